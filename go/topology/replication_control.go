package topology

import (
	"context"
	"fmt"
	"time"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// control runs a one-instance operation under its lock and returns the
// refreshed instance. replica says the instance must be a replica.
func (o *Operator) control(ctx context.Context, name string, key inst.InstanceKey, replica bool,
	act func(ctx context.Context, i *inst.Instance) error) (*inst.Instance, error) {
	if _, err := o.known(ctx, key); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	err := o.run(ctx, name, key, []inst.InstanceKey{key}, func(ctx context.Context, op *operation) (string, error) {
		i := op.before[key]
		if replica && !i.IsReplica() {
			return "", refused("%s is not a replica", key)
		}
		if err := act(ctx, i); err != nil {
			return "", err
		}
		return name + " done", nil
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

// StartReplica starts both replication threads.
func (o *Operator) StartReplica(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "start-replica", key, true, func(ctx context.Context, _ *inst.Instance) error {
		if err := o.ap.StartReplication(ctx, key); err != nil {
			return err
		}
		return o.waitReplicating(ctx, key)
	})
}

// StopReplica stops both replication threads.
func (o *Operator) StopReplica(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "stop-replica", key, true, func(ctx context.Context, _ *inst.Instance) error {
		return o.ap.StopReplication(ctx, key)
	})
}

// RestartReplica stops then starts replication.
func (o *Operator) RestartReplica(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "restart-replica", key, true, func(ctx context.Context, _ *inst.Instance) error {
		if err := o.ap.RestartReplication(ctx, key); err != nil {
			return err
		}
		return o.waitReplicating(ctx, key)
	})
}

// StopReplicaNice stops the IO thread, lets the SQL thread apply the relay
// log (bounded), then stops it.
func (o *Operator) StopReplicaNice(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "stop-replica-nice", key, true, func(ctx context.Context, _ *inst.Instance) error {
		_, err := o.ap.StopReplicationNicely(ctx, key, replicationWait)
		return err
	})
}

// ResetReplica stops replication and forgets the master (RESET SLAVE ALL).
func (o *Operator) ResetReplica(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "reset-replica", key, true, func(ctx context.Context, _ *inst.Instance) error {
		if err := o.ap.StopReplication(ctx, key); err != nil {
			return err
		}
		return o.ap.ResetReplicaAll(ctx, key)
	})
}

// DetachReplicaMasterHost rewrites the master host to //host (reversible).
func (o *Operator) DetachReplicaMasterHost(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "detach-replica-master-host", key, false, func(ctx context.Context, i *inst.Instance) error {
		switch {
		case i.MasterKey.Hostname == "":
			return refused("%s is not a replica", key)
		case i.MasterKey.IsDetached():
			return refused("%s's master host %s is already detached", key, i.MasterKey)
		}
		return o.ap.DetachMasterHost(ctx, key)
	})
}

// ReattachReplicaMasterHost undoes DetachReplicaMasterHost and starts replication.
func (o *Operator) ReattachReplicaMasterHost(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "reattach-replica-master-host", key, false, func(ctx context.Context, i *inst.Instance) error {
		if !i.MasterKey.IsDetached() {
			return refused("%s's master host %s is not detached", key, i.MasterKey)
		}
		if err := o.ap.ReattachMasterHost(ctx, key); err != nil {
			return err
		}
		return o.ap.StartReplication(ctx, key)
	})
}

// SkipQuery skips the statement the SQL thread stopped on and starts replication.
func (o *Operator) SkipQuery(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "skip-query", key, true, func(ctx context.Context, _ *inst.Instance) error {
		return o.ap.SkipQuery(ctx, key)
	})
}

// SetReadOnly sets read_only (and super_read_only when configured).
func (o *Operator) SetReadOnly(ctx context.Context, key inst.InstanceKey, readOnly bool) (*inst.Instance, error) {
	name := "set-read-only"
	if !readOnly {
		name = "set-writeable"
	}
	return o.control(ctx, name, key, false, func(ctx context.Context, _ *inst.Instance) error {
		return o.ap.SetReadOnly(ctx, key, readOnly)
	})
}

// EnableGTID switches a replica to GTID positioning (MariaDB slave_pos,
// Oracle auto-position), keeping its threads' state.
func (o *Operator) EnableGTID(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "enable-gtid", key, true, func(ctx context.Context, i *inst.Instance) error {
		if !i.SupportsGTID() {
			return refused("%s does not support GTID", key)
		}
		mode := mysql.GTIDAutoPosition
		if i.IsMariaDB() {
			mode = mysql.GTIDSlavePos
		}
		return o.ap.SetMasterUseGTID(ctx, key, mode)
	})
}

// DisableGTID switches a replica to binlog coordinates.
func (o *Operator) DisableGTID(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "disable-gtid", key, true, func(ctx context.Context, _ *inst.Instance) error {
		return o.ap.SetMasterUseGTID(ctx, key, mysql.GTIDNone)
	})
}

// DelayReplication sets MASTER_DELAY.
func (o *Operator) DelayReplication(ctx context.Context, key inst.InstanceKey, seconds uint) (*inst.Instance, error) {
	return o.control(ctx, "delay-replication", key, true, func(ctx context.Context, i *inst.Instance) error {
		if err := o.ap.SetReplicationDelay(ctx, key, seconds); err != nil {
			return err
		}
		if i.IsReplicating() {
			return o.waitReplicating(ctx, key)
		}
		return nil
	})
}

// SetSemiSync toggles semi-sync on the master side or the replica side.
func (o *Operator) SetSemiSync(ctx context.Context, key inst.InstanceKey, master, enabled bool) (*inst.Instance, error) {
	side := "replica"
	if master {
		side = "master"
	}
	verb := "disable"
	if enabled {
		verb = "enable"
	}
	return o.control(ctx, verb+"-semi-sync-"+side, key, false, func(ctx context.Context, _ *inst.Instance) error {
		if master {
			return o.ap.SetSemiSyncMaster(ctx, key, enabled)
		}
		return o.ap.SetSemiSyncReplica(ctx, key, enabled)
	})
}

// FlushBinaryLogs rotates the binary log.
func (o *Operator) FlushBinaryLogs(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "flush-binary-logs", key, false, func(ctx context.Context, i *inst.Instance) error {
		if !i.LogBinEnabled {
			return refused("%s has no binary logs", key)
		}
		return o.ap.FlushBinaryLogs(ctx, key)
	})
}

// PurgeBinaryLogs purges the binary logs before file. Without force it
// refuses when a replica has not yet read up to file.
func (o *Operator) PurgeBinaryLogs(ctx context.Context, key inst.InstanceKey, file string, force bool) (*inst.Instance, error) {
	if !binlogFileName.MatchString(file) {
		return nil, fmt.Errorf("purge-binary-logs %s: %w", key, badRequest("invalid binary log name %q", file))
	}
	return o.control(ctx, "purge-binary-logs", key, false, func(ctx context.Context, _ *inst.Instance) error {
		if force {
			return o.purgeAndCheck(ctx, key, file)
		}
		listed, err := o.reader.Replicas(ctx, key)
		if err != nil {
			return err
		}
		limit := inst.BinlogCoordinates{LogFile: file}
		for _, known := range listed {
			r, err := o.fresh(ctx, known.Key)
			if err != nil {
				return refused("cannot tell which binary logs replica %s still needs: %v; use force", known.Key, err)
			}
			if r.ReadBinlogCoordinates.SmallerThan(limit) {
				return refused("replica %s still needs %s (it has read up to %s); use force", r.Key, r.ReadBinlogCoordinates.LogFile, r.ReadBinlogCoordinates)
			}
		}
		return o.purgeAndCheck(ctx, key, file)
	})
}

// purgeKeptFor bounds how long a purge keeps retrying while the server
// holds on to an older log.
const purgeKeptFor = 5 * time.Second

// purgeAndCheck purges and then checks the older logs are gone: the server
// silently keeps a log that a dump thread still has open, and MariaDB keeps
// one until its binlog checkpoint is written (shortly after a rotation), so
// a kept log is purged again for a few seconds before the refusal.
func (o *Operator) purgeAndCheck(ctx context.Context, key inst.InstanceKey, file string) error {
	limit := inst.BinlogCoordinates{LogFile: file}
	deadline := time.Now().Add(purgeKeptFor)
	for {
		if err := o.ap.PurgeBinaryLogsTo(ctx, key, file); err != nil {
			return err
		}
		logs, err := o.in.BinaryLogs(ctx, key)
		if err != nil {
			return err
		}
		if len(logs) == 0 || !(inst.BinlogCoordinates{LogFile: logs[0]}).SmallerThan(limit) {
			return nil
		}
		if time.Now().After(deadline) {
			return refused("%s kept %s: a replica is still reading it or the server has not checkpointed it; try again once replicas have moved on", key, logs[0])
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
