package topology

import (
	"context"
	"fmt"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// TakeMaster swaps key with its master: key replicates from its
// grandparent and its former master replicates from key. The master must
// not be the top of the topology (use a graceful takeover for that). GTID
// replicas move by GTID; others by binlog coordinates (a move-up followed
// by the former master moving below its sibling).
func (o *Operator) TakeMaster(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.withMaster(ctx, "take-master", key, func(ctx context.Context, replica, master *inst.Instance) (string, error) {
		switch {
		case !master.IsReplica() || master.MasterKey.IsDetached():
			return "", refused("%s's master %s is the top of its topology: use graceful-master-takeover", key, master.Key)
		case master.IsCoMaster:
			return "", refused("%s's master %s is a co-master", key, master.Key)
		}
		grand, err := o.fresh(ctx, master.MasterKey)
		if err != nil {
			return "", err
		}
		if err := canMoveBelow(grand, o.maxLag()); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("%s took over its master %s", key, master.Key)
		if replica.UsingGTID() {
			return msg + " via GTID", o.takeMasterGTID(ctx, replica, master, grand)
		}
		return msg, o.takeMasterClassic(ctx, replica, master, grand)
	})
}

// withMaster runs an operation on the replica key and its master under
// the locks of both, refusing when key is not a replica or changed master
// meanwhile; it returns key refreshed.
func (o *Operator) withMaster(ctx context.Context, name string, key inst.InstanceKey,
	act func(ctx context.Context, replica, master *inst.Instance) (string, error)) (*inst.Instance, error) {
	i, err := o.known(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	if !i.IsReplica() {
		return nil, fmt.Errorf("%s %s: %w", name, key, refused("%s is not a replica", key))
	}
	err = o.run(ctx, name, key, []inst.InstanceKey{key, i.MasterKey}, func(ctx context.Context, op *operation) (string, error) {
		replica, master := op.before[key], op.before[i.MasterKey]
		if replica.MasterKey != master.Key {
			return "", refused("%s changed master to %s meanwhile", key, replica.MasterKey)
		}
		return act(ctx, replica, master)
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

func (o *Operator) takeMasterGTID(ctx context.Context, replica, master, grand *inst.Instance) error {
	if err := canReplicateFromGTID(replica, grand); err != nil {
		return err
	}
	if err := o.pointGTID(ctx, replica, grand); err != nil {
		return err
	}
	now, err := o.fresh(ctx, replica.Key)
	if err != nil {
		return err
	}
	if err := canReplicateFromGTID(master, now); err != nil {
		return err
	}
	return o.pointGTID(ctx, master, now)
}

// takeMasterClassic: move replica up next to its master (binlog
// coordinates through the master), then the former master below it.
func (o *Operator) takeMasterClassic(ctx context.Context, replica, master, grand *inst.Instance) error {
	if err := CanReplicateFrom(replica, grand); err != nil {
		return err
	}
	if err := o.moveUpClassic(ctx, replica, master, grand); err != nil {
		return err
	}
	now, err := o.fresh(ctx, replica.Key)
	if err != nil {
		return err
	}
	formerMaster, err := o.fresh(ctx, master.Key)
	if err != nil {
		return err
	}
	if err := CanReplicateFrom(formerMaster, now); err != nil {
		return err
	}
	return o.moveBelowClassic(ctx, formerMaster, now)
}

// MakeCoMaster makes the master of key (a top master) replicate from key.
// With GTID on key it moves by GTID; otherwise the master starts at key's
// current binary log position: everything key logged before came from the
// master, and what comes back with the master's own server_id is skipped.
func (o *Operator) MakeCoMaster(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.withMaster(ctx, "make-co-master", key, func(ctx context.Context, replica, master *inst.Instance) (string, error) {
		if master.IsReplica() && !master.MasterKey.IsDetached() {
			return "", refused("%s's master %s is itself a replica of %s", key, master.Key, master.MasterKey)
		}
		if err := canMoveBelow(replica, o.maxLag()); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("%s is co-master of %s", key, master.Key)
		if replica.UsingGTID() && master.SupportsGTID() {
			if err := canReplicateFromGTID(master, replica); err != nil {
				return "", err
			}
			return msg + " via GTID", o.pointGTID(ctx, master, replica)
		}
		if err := CanReplicateFrom(master, replica); err != nil {
			return "", err
		}
		if err := o.waitCaughtUp(ctx, replica.Key, master.Key); err != nil {
			return "", err
		}
		now, err := o.fresh(ctx, replica.Key)
		if err != nil {
			return "", err
		}
		coords := now.SelfBinlogCoordinates
		spec, err := o.withCredentials(ctx, master, to(replica.Key, &coords, mysql.GTIDNone))
		if err != nil {
			return "", err
		}
		return msg, o.redirect(ctx, master.Key, spec)
	})
}

// waitCaughtUp waits until replica has executed what master has logged so far.
func (o *Operator) waitCaughtUp(ctx context.Context, replica, master inst.InstanceKey) error {
	m, err := o.fresh(ctx, master)
	if err != nil {
		return err
	}
	return o.ap.WaitForCoordinates(ctx, replica, m.SelfBinlogCoordinates)
}
