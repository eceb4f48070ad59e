package mysql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// drainPoll is how often StopReplicationPatiently reads the replica.
const drainPoll = 100 * time.Millisecond

// StopReplicationPatiently stops replication once the replica has applied
// its relay log, waiting for as long as its SQL thread makes progress. It
// is StopReplicationNicely for a promotion that would rather wait than
// promote a server that has not applied what it received
// (DelayMasterPromotionIfSQLThreadNotUpToDate):
//
//   - an SQL thread stopped without an error is started first, while the IO
//     thread still runs: on MariaDB with GTID, starting it after both
//     threads stopped would purge the relay log instead of applying it. A
//     replica with both threads stopped, or whose SQL thread stopped on an
//     error, is not started and reports not drained;
//   - the IO thread is stopped, then the replica is read every 100 ms until
//     it has applied everything received (MariaDB GTID: gtid_slave_pos
//     contains Gtid_IO_Pos; otherwise the executed coordinates reach the
//     read ones). It gives up when its executed position has not moved for
//     stall, or after limit in all;
//   - replication is stopped in the end, drained or not.
//
// It reports whether the relay log was applied and, when not, why.
func (a *Applier) StopReplicationPatiently(ctx context.Context, key inst.InstanceKey, stall, limit time.Duration) (bool, string, error) {
	const kind = "stop replication patiently"
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil {
		return false, "", fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if !st.IsReplica {
		return false, "", fmt.Errorf("%s on %s: %w", kind, key, ErrNotReplica)
	}
	why := ""
	if st.SQLThread != inst.ThreadStateRunning {
		switch {
		case st.LastSQLErrno != 0:
			why = fmt.Sprintf("its SQL thread stopped on error %d (%s)", st.LastSQLErrno, st.LastSQLError)
		case st.IOThread <= inst.ThreadStateStopped:
			why = "both its replication threads were stopped: starting the SQL thread alone could discard the relay log instead of applying it"
		default:
			if err := a.StartSQLThread(ctx, key); err != nil {
				return false, "", err
			}
		}
	}
	if st.IOThread != inst.ThreadStateStopped {
		if err := a.StopIOThread(ctx, key); err != nil {
			return false, "", err
		}
	}
	if why != "" {
		return a.stoppedAsIs(ctx, key, why)
	}
	drained, why, err := a.waitApplied(ctx, key, stall, limit)
	if err != nil {
		return false, "", fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return drained, why, a.StopReplication(ctx, key)
}

// stoppedAsIs stops replication on a replica whose SQL thread is not
// started: drained only when there was nothing left to apply.
func (a *Applier) stoppedAsIs(ctx context.Context, key inst.InstanceKey, why string) (bool, string, error) {
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil {
		return false, "", err
	}
	applied, _, err := relayApplied(st)
	if err != nil {
		return false, "", err
	}
	if applied {
		why = ""
	}
	return applied, why, a.StopReplication(ctx, key)
}

// waitApplied reads the replica until its relay log is applied, its SQL
// thread stops, its executed position stands still for stall, or limit
// passes.
func (a *Applier) waitApplied(ctx context.Context, key inst.InstanceKey, stall, limit time.Duration) (bool, string, error) {
	started := time.Now()
	last, moved := "", started
	for {
		st, err := a.in.ReplicationStatus(ctx, key)
		if err != nil {
			return false, "", err
		}
		applied, pos, err := relayApplied(st)
		switch {
		case err != nil:
			return false, "", err
		case applied:
			return true, "", nil
		case st.SQLThread != inst.ThreadStateRunning:
			return false, fmt.Sprintf("its SQL thread stopped before applying its relay log (error %d: %s)", st.LastSQLErrno, st.LastSQLError), nil
		}
		now := time.Now()
		if pos != last {
			last, moved = pos, now
		}
		switch {
		case now.Sub(moved) > stall:
			return false, fmt.Sprintf("its SQL thread applied nothing for %s (executed position %s)", stall, pos), nil
		case now.Sub(started) > limit:
			return false, fmt.Sprintf("its relay log was still not applied after %s (executed position %s)", limit, pos), nil
		}
		select {
		case <-ctx.Done():
			return false, "", ctx.Err()
		case <-time.After(drainPoll):
		}
	}
}

// relayApplied reports whether the replica has applied everything its IO
// thread received, and its executed position: by GTID on a MariaDB GTID
// replica (see drain), by coordinates otherwise.
func relayApplied(st *ReplicaStatus) (bool, string, error) {
	if st.UsingMariaDBGTID() {
		received, err1 := inst.ParseMariaDBGTIDPos(st.GtidIOPos)
		applied, err2 := inst.ParseMariaDBGTIDPos(st.GtidSlavePos)
		if err := errors.Join(err1, err2); err != nil {
			return false, "", err
		}
		return applied.Contains(received), st.GtidSlavePos, nil
	}
	return st.ReadCoordinates.IsEmpty() || st.ExecCoordinates == st.ReadCoordinates, st.ExecCoordinates.String(), nil
}
