package mysql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"orchestrator/go/inst"
)

// ErrWatchAnswered marks a watch that ended with an error the server itself
// sent (SLEEP refused or interrupted, a proxy that does not allow it): the
// server is alive and answering, so it is no sign of failure.
var ErrWatchAnswered = errors.New("the server answered the watch with an error")

// shutdownError reports what a server sends to its open connections as it
// shuts down (ER_SERVER_SHUTDOWN, MariaDB's ER_CONNECTION_KILLED): the
// watch broke.
func shutdownError(code uint16) bool { return code == 1053 || code == 1927 }

// Hold keeps one connection to key busy for about d (a server-side
// SLEEP) and returns nil when the sleep ends normally. It returns an error
// as soon as the connection breaks: a server killed or restarted closes
// the socket, so a caller watching a master learns of it at once instead of
// at the next poll. An error the server sent is wrapped in
// ErrWatchAnswered. A hung server is not detected here (the sleep simply
// does not return): that is what the replicas' stalled heartbeats are for.
func (in *Inspector) Hold(ctx context.Context, key inst.InstanceKey, d time.Duration) error {
	if rt := in.c.readTimeout(); rt > 0 && d >= rt {
		d = rt - time.Second
	}
	d = max(d, time.Second)
	db, err := in.c.DB(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d+in.cfg.ConnectTimeout()+time.Second)
	defer cancel()
	var slept int
	if err := db.QueryRowContext(ctx, "SELECT SLEEP(?)", d.Seconds()).Scan(&slept); err != nil {
		if ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded {
			return ctx.Err()
		}
		return watchError(key, in.c.Redact(err))
	}
	return nil
}

// watchError wraps the error that ended a watch, marking those the server
// sent while alive with ErrWatchAnswered.
func watchError(key inst.InstanceKey, err error) error {
	if me := (*mysql.MySQLError)(nil); errors.As(err, &me) && !shutdownError(me.Number) {
		return fmt.Errorf("watch %s: %w: %w", key, ErrWatchAnswered, err)
	}
	return fmt.Errorf("watch %s: %w", key, err)
}
