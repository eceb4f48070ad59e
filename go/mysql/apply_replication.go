package mysql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// StopReplication stops both replication threads.
func (a *Applier) StopReplication(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "stop replication", func(t Terminology) string { return t.StopReplica })
}

// StartReplication starts both replication threads.
func (a *Applier) StartReplication(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "start replication", func(t Terminology) string { return t.StartReplica })
}

// RestartReplication stops then starts both threads.
func (a *Applier) RestartReplication(ctx context.Context, key inst.InstanceKey) error {
	if err := a.StopReplication(ctx, key); err != nil {
		return err
	}
	return a.StartReplication(ctx, key)
}

// StopIOThread stops the IO (receiver) thread.
func (a *Applier) StopIOThread(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "stop IO thread", func(t Terminology) string { return t.StopIOThread })
}

// StartIOThread starts the IO (receiver) thread.
func (a *Applier) StartIOThread(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "start IO thread", func(t Terminology) string { return t.StartIOThread })
}

// StopSQLThread stops the SQL (applier) thread.
func (a *Applier) StopSQLThread(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "stop SQL thread", func(t Terminology) string { return t.StopSQLThread })
}

// StartSQLThread starts the SQL (applier) thread.
func (a *Applier) StartSQLThread(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "start SQL thread", func(t Terminology) string { return t.StartSQLThread })
}

// ResetReplicaAll forgets the replica's master and replication settings
// (RESET SLAVE ALL). Replication must be stopped.
func (a *Applier) ResetReplicaAll(ctx context.Context, key inst.InstanceKey) error {
	return a.simple(ctx, key, "reset replica", func(t Terminology) string { return t.ResetReplicaAll })
}

// StopReplicationNicely stops the IO thread, lets the SQL thread apply
// what was already received (at most timeout), then stops the SQL thread.
// It reports whether everything received was applied, waited for on the
// server: on a MariaDB GTID replica until gtid_slave_pos reaches
// Gtid_IO_Pos (MASTER_GTID_WAIT); otherwise until the executed master
// coordinates reach the read ones (MASTER_POS_WAIT). A stopped SQL thread
// cannot drain: it reports false without waiting.
func (a *Applier) StopReplicationNicely(ctx context.Context, key inst.InstanceKey, timeout time.Duration) (bool, error) {
	const kind = "stop replication nicely"
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil {
		return false, fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if !st.IsReplica {
		return false, fmt.Errorf("%s on %s: %w", kind, key, ErrNotReplica)
	}
	if st.IOThread != inst.ThreadStateStopped {
		if err := a.StopIOThread(ctx, key); err != nil {
			return false, err
		}
		if st, err = a.in.ReplicationStatus(ctx, key); err != nil {
			return false, fmt.Errorf("%s on %s: %w", kind, key, err)
		}
	}
	drained, err := a.drain(ctx, key, st, timeout)
	if err != nil {
		return false, fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return drained, a.StopReplication(ctx, key)
}

// drain waits until the SQL thread has applied what the IO thread received.
//
// MariaDB GTID replicas are judged by GTID, not coordinates: after both
// threads were stopped, MariaDB discards the relay log, and an SQL thread
// started alone then reports its executed coordinates equal to the read
// ones without having applied anything.
func (a *Applier) drain(ctx context.Context, key inst.InstanceKey, st *ReplicaStatus, timeout time.Duration) (bool, error) {
	wait := func() error { return a.WaitForCoordinates(ctx, key, st.ReadCoordinates) }
	if st.UsingMariaDBGTID() {
		received, err1 := inst.ParseMariaDBGTIDPos(st.GtidIOPos)
		applied, err2 := inst.ParseMariaDBGTIDPos(st.GtidSlavePos)
		if err := errors.Join(err1, err2); err != nil {
			return false, err
		}
		if applied.Contains(received) {
			return true, nil
		}
		wait = func() error { return a.WaitForGTID(ctx, key, st.GtidIOPos) }
	} else if st.ReadCoordinates.IsEmpty() || st.ExecCoordinates == st.ReadCoordinates {
		return true, nil
	}
	if st.SQLThread != inst.ThreadStateRunning {
		return false, nil
	}
	outer := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := wait()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotReplicating), errors.Is(err, context.DeadlineExceeded) && outer.Err() == nil:
		return false, nil
	}
	return false, err
}

// SkipQuery skips the statement the stopped SQL thread failed on, then
// starts replication. With coordinates or MariaDB GTID: SET GLOBAL
// sql_slave_skip_counter = 1. With Oracle GTID: an empty transaction for
// the master's next GTID.
func (a *Applier) SkipQuery(ctx context.Context, key inst.InstanceKey) error {
	const kind = "skip query"
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	switch {
	case !st.IsReplica:
		return fmt.Errorf("%s on %s: %w", kind, key, ErrNotReplica)
	case st.SQLThread == inst.ThreadStateRunning:
		return fmt.Errorf("%s on %s: %w: the SQL thread is running", kind, key, ErrReplicationRunning)
	}
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if t.IsMariaDB() || !st.AutoPosition {
		err = a.exec(ctx, key, statement{kind: kind, text: "SET GLOBAL " + t.SkipCounterVar + " = 1"})
	} else {
		var next string
		if next, err = nextGTID(st.ExecutedGtidSet, st.MasterUUID); err != nil {
			return fmt.Errorf("%s on %s: %w", kind, key, err)
		}
		err = a.InjectEmptyTransaction(ctx, key, next)
	}
	if err != nil {
		return err
	}
	return a.StartReplication(ctx, key)
}

// nextGTID is the GTID after the last one of masterUUID in executed.
func nextGTID(executed, masterUUID string) (string, error) {
	set, err := inst.ParseOracleGTIDSet(executed)
	if err != nil {
		return "", err
	}
	if masterUUID == "" {
		return "", fmt.Errorf("%w: master UUID unknown", inst.ErrBadRequest)
	}
	next := int64(1)
	if ivs := set.Intervals(masterUUID); len(ivs) > 0 {
		next = ivs[len(ivs)-1].End + 1
	}
	return fmt.Sprintf("%s:%d", masterUUID, next), nil
}
