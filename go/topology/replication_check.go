package topology

import (
	"context"
	"strings"

	"orchestrator/go/inst"
)

// binlogFormatRank orders binlog formats: a logging replica must not log in
// a "smaller" format than its master.
var binlogFormatRank = map[string]int{"STATEMENT": 1, "MIXED": 2, "ROW": 3}

// CanReplicateFrom reports why replica cannot replicate from master, or
// nil when it can. Both must come from fresh probes. It does not look at
// the rest of the topology: see checkNoCycle for that.
func CanReplicateFrom(replica, master *inst.Instance) error {
	switch {
	case replica.Key == master.Key:
		return refused("%s cannot replicate from itself", replica.Key)
	case !replica.IsLastCheckValid:
		return refused("%s: last check is not valid (%s)", replica.Key, replica.LastProbeError)
	case !master.IsLastCheckValid:
		return refused("%s: last check is not valid (%s)", master.Key, master.LastProbeError)
	case !master.LogBinEnabled:
		return refused("%s does not have binary logs enabled (log_bin)", master.Key)
	case master.IsReplica() && !master.MasterKey.IsDetached() && !master.LogReplicationUpdatesEnabled:
		return refused("%s is a replica without log_slave_updates: its replicas would miss its master's changes", master.Key)
	case inst.MajorVersionLess(replica.Version, master.Version):
		return refused("%s runs %s, older than %s's %s", replica.Key, replica.Version, master.Key, master.Version)
	case replica.ServerID != 0 && replica.ServerID == master.ServerID:
		return refused("%s and %s have the same server_id %d", replica.Key, master.Key, replica.ServerID)
	case replica.ServerUUID != "" && replica.ServerUUID == master.ServerUUID:
		return refused("%s and %s have the same server_uuid %s", replica.Key, master.Key, replica.ServerUUID)
	}
	if replica.LogBinEnabled && replica.LogReplicationUpdatesEnabled {
		r, m := binlogFormatRank[strings.ToUpper(replica.Binlog_format)], binlogFormatRank[strings.ToUpper(master.Binlog_format)]
		if r != 0 && m != 0 && r < m {
			return refused("%s logs in binlog_format %s, which cannot follow %s's %s", replica.Key, replica.Binlog_format, master.Key, master.Binlog_format)
		}
	}
	return nil
}

// canReplicateFromGTID adds the GTID conditions: both support GTID, same
// flavour, and the replica has executed nothing the master lacks (errant
// transactions would be lost or break replication).
func canReplicateFromGTID(replica, master *inst.Instance) error {
	if err := CanReplicateFrom(replica, master); err != nil {
		return err
	}
	switch {
	case !replica.SupportsGTID():
		return refused("%s does not support GTID replication", replica.Key)
	case !master.SupportsGTID():
		return refused("%s does not support GTID replication", master.Key)
	case replica.IsMariaDB() != master.IsMariaDB():
		return refused("%s (%s) and %s (%s) use different GTID flavours", replica.Key, replica.FlavorName, master.Key, master.FlavorName)
	}
	errant, err := inst.ErrantGTID(replica.ExecutedGTID(), master.ExecutedGTID(), !replica.IsMariaDB())
	if err != nil {
		return refused("cannot compare the GTID sets of %s and %s: %v", replica.Key, master.Key, err)
	}
	if errant != "" {
		return refused("%s has errant GTID %s that %s lacks", replica.Key, errant, master.Key)
	}
	return nil
}

// checkNoCycle refuses when master is replica or replicates, directly or
// not, from replica (per the store).
func (o *Operator) checkNoCycle(ctx context.Context, replica, master inst.InstanceKey) error {
	seen := map[inst.InstanceKey]bool{}
	for k := master; k.IsValid() && !seen[k]; {
		if k == replica {
			return refused("%s replicates (directly or not) from %s: moving %s below it would make a cycle", master, replica, replica)
		}
		seen[k] = true
		i, err := o.reader.Instance(ctx, k)
		if err != nil || !i.IsReplica() || i.MasterKey.IsDetached() {
			return nil
		}
		k = i.MasterKey
	}
	return nil
}

// CanReplicateFrom checks live state: it refreshes both and applies
// CanReplicateFrom plus the cycle check. No locks, nothing changed.
func (o *Operator) CanReplicateFrom(ctx context.Context, key, below inst.InstanceKey) error {
	replica, master, err := o.freshPair(ctx, key, below)
	if err != nil {
		return err
	}
	return CanReplicateFrom(replica, master)
}

// CanReplicateFromGTID is CanReplicateFrom plus the GTID conditions: both
// use a GTID flavour in common and key has no errant transactions below lacks.
func (o *Operator) CanReplicateFromGTID(ctx context.Context, key, below inst.InstanceKey) error {
	replica, master, err := o.freshPair(ctx, key, below)
	if err != nil {
		return err
	}
	return canReplicateFromGTID(replica, master)
}

// freshPair validates a (replica, master) pair against the store, checks
// for a cycle, and probes both now.
func (o *Operator) freshPair(ctx context.Context, key, below inst.InstanceKey) (*inst.Instance, *inst.Instance, error) {
	if _, err := o.known(ctx, key); err != nil {
		return nil, nil, err
	}
	if _, err := o.known(ctx, below); err != nil {
		return nil, nil, err
	}
	if err := o.checkNoCycle(ctx, key, below); err != nil {
		return nil, nil, err
	}
	replica, err := o.fresh(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	master, err := o.fresh(ctx, below)
	if err != nil {
		return nil, nil, err
	}
	return replica, master, nil
}

// maxLag is ReasonableMaintenanceReplicationLagSeconds.
func (o *Operator) maxLag() int64 { return int64(o.cfg.ReasonableMaintenanceReplicationLagSeconds) }

// canMoveBelow refuses a new master that a replica should not be moved
// below now: its last check failed or is stale, or, being a replica
// itself, it lags more than maxLag seconds. A replica whose lag is unknown
// (its master is gone, as during a recovery) is not refused for that.
func canMoveBelow(target *inst.Instance, maxLag int64) error {
	if err := checkedRecently(target); err != nil {
		return err
	}
	if !target.IsReplica() || !target.ReplicationLagSeconds.Valid {
		return nil
	}
	return lagWithin(target, maxLag)
}

func checkedRecently(i *inst.Instance) error {
	switch {
	case !i.IsLastCheckValid:
		return refused("%s: last check is not valid (%s)", i.Key, i.LastProbeError)
	case !i.IsRecentlyChecked:
		return refused("%s was not checked recently (last seen %s)", i.Key, i.LastSeenTimestamp)
	}
	return nil
}

func lagWithin(i *inst.Instance, maxLag int64) error {
	switch {
	case !i.ReplicationLagSeconds.Valid:
		return refused("%s: replication lag is unknown (is it replicating?)", i.Key)
	case i.ReplicationLagSeconds.Int64 > maxLag:
		return refused("%s lags %d seconds, more than ReasonableMaintenanceReplicationLagSeconds (%d)",
			i.Key, i.ReplicationLagSeconds.Int64, maxLag)
	}
	return nil
}

// requireMovable refuses binlog-position moves of instances that are not
// replicating, were not checked recently, or lag too much: their
// coordinates could not be aligned in reasonable time.
func (o *Operator) requireMovable(list ...*inst.Instance) error {
	if err := requireReplicating(list...); err != nil {
		return err
	}
	for _, i := range list {
		if err := checkedRecently(i); err != nil {
			return err
		}
		if err := lagWithin(i, o.maxLag()); err != nil {
			return err
		}
	}
	return nil
}
