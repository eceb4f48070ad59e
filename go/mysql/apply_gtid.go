package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// ErrNotReplicating: a wait cannot finish because the SQL thread is not
// running or no replication is configured (MASTER_POS_WAIT returned NULL).
var ErrNotReplicating = errors.New("replication SQL thread not running")

// WaitForGTID waits until the replica has applied gtidPos: MariaDB
// MASTER_GTID_WAIT (a GTID position, e.g. the master's gtid_binlog_pos),
// Oracle WAIT_FOR_EXECUTED_GTID_SET (a GTID set). The server waits at most
// until ctx's deadline (or the connection read timeout); on timeout the
// error wraps context.DeadlineExceeded.
func (a *Applier) WaitForGTID(ctx context.Context, key inst.InstanceKey, gtidPos string) error {
	const kind = "wait for GTID"
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	wait := a.waitSeconds(ctx)
	st := statement{kind: kind}
	if t.IsMariaDB() {
		if _, err := inst.ParseMariaDBGTIDPos(gtidPos); err != nil {
			return fmt.Errorf("%s on %s: %w", kind, key, err)
		}
		st.text, st.args = "SELECT MASTER_GTID_WAIT(?, ?)", []any{gtidPos, wait.Seconds()}
	} else {
		if _, err := inst.ParseOracleGTIDSet(gtidPos); err != nil {
			return fmt.Errorf("%s on %s: %w", kind, key, err)
		}
		st.text, st.args = "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)", []any{gtidPos, int64(math.Ceil(wait.Seconds()))}
	}
	res, err := a.queryInt(ctx, key, st)
	switch {
	case err != nil:
		return err
	case !res.Valid:
		return a.fail(key, st, ErrNotReplicating)
	case res.Int64 != 0:
		return a.fail(key, st, fmt.Errorf("gave up after %v: %w", wait, context.DeadlineExceeded))
	}
	return nil
}

// WaitForCoordinates waits until the replica's SQL thread has executed up
// to coords of its master's binary log (MASTER_POS_WAIT). Timeout and
// errors as WaitForGTID; ErrNotReplicating when the SQL thread is stopped.
func (a *Applier) WaitForCoordinates(ctx context.Context, key inst.InstanceKey, coords inst.BinlogCoordinates) error {
	const kind = "wait for coordinates"
	if coords.IsEmpty() || coords.LogPos < 0 {
		return fmt.Errorf("%w: %s on %s: invalid coordinates %q", inst.ErrBadRequest, kind, key, coords.String())
	}
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	wait := a.waitSeconds(ctx)
	st := statement{kind: kind, text: "SELECT " + t.PosWaitFunction + "(?, ?, ?)",
		args: []any{coords.LogFile, coords.LogPos, int64(math.Ceil(wait.Seconds()))}}
	res, err := a.queryInt(ctx, key, st)
	switch {
	case err != nil:
		return err
	case !res.Valid:
		return a.fail(key, st, ErrNotReplicating)
	case res.Int64 < 0:
		return a.fail(key, st, fmt.Errorf("gave up after %v: %w", wait, context.DeadlineExceeded))
	}
	return nil
}

// waitSeconds is how long a server-side wait may last: until ctx's
// deadline, and shorter than the connection's read timeout. Never zero
// (to the server, zero may mean forever).
func (a *Applier) waitSeconds(ctx context.Context) time.Duration {
	limit := a.c.readTimeout() - time.Second
	if limit <= 0 {
		limit = time.Hour
	}
	if deadline, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(deadline))
	}
	return max(limit, time.Millisecond).Round(time.Millisecond)
}

// queryInt runs a SELECT of one integer (NULL allowed).
func (a *Applier) queryInt(ctx context.Context, key inst.InstanceKey, st statement) (sql.NullInt64, error) {
	var n sql.NullInt64
	if err := a.checkFence(key, st.kind); err != nil {
		return n, err
	}
	db, err := a.c.DB(key)
	if err != nil {
		return n, a.fail(key, st, err)
	}
	if err := db.QueryRowContext(ctx, st.text, st.args...).Scan(&n); err != nil {
		return n, a.fail(key, st, err)
	}
	return n, nil
}

// ResetMaster empties the binary logs and the executed GTID history
// (RESET MASTER / RESET BINARY LOGS AND GTIDS); for errant-GTID repair.
func (a *Applier) ResetMaster(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "reset master", func(t Terminology) string { return t.ResetMaster })
}

// SetGTIDSlavePos sets MariaDB's @@gtid_slave_pos (replication stopped).
func (a *Applier) SetGTIDSlavePos(ctx context.Context, key inst.InstanceKey, pos string) error {
	const kind = "set gtid_slave_pos"
	if _, err := inst.ParseMariaDBGTIDPos(pos); err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return a.flavourExec(ctx, key, true, statement{kind: kind, text: "SET GLOBAL gtid_slave_pos = ?", args: []any{pos}})
}

// SetGTIDPurged sets Oracle's @@gtid_purged (after ResetMaster).
func (a *Applier) SetGTIDPurged(ctx context.Context, key inst.InstanceKey, set string) error {
	const kind = "set gtid_purged"
	if _, err := inst.ParseOracleGTIDSet(set); err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return a.flavourExec(ctx, key, false, statement{kind: kind, text: "SET GLOBAL gtid_purged = ?", args: []any{set}})
}

// flavourExec runs st on a server of the given flavour only.
func (a *Applier) flavourExec(ctx context.Context, key inst.InstanceKey, mariaDB bool, st statement) error {
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", st.kind, key, err)
	}
	if t.IsMariaDB() != mariaDB {
		return fmt.Errorf("%s on %s: %w (%s)", st.kind, key, ErrUnsupported, t.Flavor)
	}
	return a.exec(ctx, key, st)
}

// InjectEmptyTransaction commits an empty transaction as gtid
// ("uuid:number") on an Oracle GTID server: how a replica skips a
// transaction or a server is given a GTID it lacks. MariaDB does not log
// empty transactions: ErrUnsupported.
func (a *Applier) InjectEmptyTransaction(ctx context.Context, key inst.InstanceKey, gtid string) error {
	const kind = "inject empty transaction"
	set, err := inst.ParseOracleGTIDSet(gtid)
	if err != nil || set.Count() != 1 || strings.Contains(gtid, ",") {
		return fmt.Errorf("%w: %s on %s: want one GTID uuid:number, got %q", inst.ErrBadRequest, kind, key, gtid)
	}
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if !t.hasOracleGTID() {
		return fmt.Errorf("%s on %s: %w (%s)", kind, key, ErrUnsupported, t.Flavor)
	}
	st := statement{kind: kind, text: "SET GTID_NEXT = ?", args: []any{gtid}}
	err = a.session(ctx, key, func(conn *sql.Conn) error {
		for _, q := range []statement{st, {text: "BEGIN"}, {text: "COMMIT"}, {text: "SET GTID_NEXT = 'AUTOMATIC'"}} {
			if _, err := conn.ExecContext(ctx, q.text, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return a.fail(key, st, err)
	}
	return nil
}
