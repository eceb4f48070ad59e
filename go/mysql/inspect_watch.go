package mysql

import (
	"context"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// Hold keeps one connection to key busy for about d (a server-side
// SLEEP) and returns nil when the sleep ends normally. It returns an error
// as soon as the connection breaks: a server killed or restarted closes
// the socket, so a caller watching a master learns of it at once instead of
// at the next poll. A hung server is not detected here (the sleep simply
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
		return fmt.Errorf("watch %s: %w", key, in.c.Redact(err))
	}
	return nil
}
