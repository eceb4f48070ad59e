package topology

import (
	"context"
	"fmt"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// MoveBelowGTID makes key replicate from below by GTID (MariaDB
// MASTER_USE_GTID=slave_pos, Oracle MASTER_AUTO_POSITION=1): stop, change
// master, start, wait until it replicates. Returns the refreshed instance.
func (o *Operator) MoveBelowGTID(ctx context.Context, key, below inst.InstanceKey) (*inst.Instance, error) {
	const name = "move-below-gtid"
	if err := o.validateMove(ctx, name, key, below); err != nil {
		return nil, err
	}
	err := o.run(ctx, name, key, []inst.InstanceKey{key}, func(ctx context.Context, op *operation) (string, error) {
		master, err := o.fresh(ctx, below)
		if err != nil {
			return "", err
		}
		if err := canMoveBelow(master, o.maxLag()); err != nil {
			return "", err
		}
		if err := canReplicateFromGTID(op.before[key], master); err != nil {
			return "", err
		}
		if err := o.pointGTID(ctx, op.before[key], master); err != nil {
			return "", err
		}
		return fmt.Sprintf("moved %s below %s via GTID", key, below), nil
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

// validateMove checks what can be known before locking: both instances are
// known, differ, and the move makes no cycle.
func (o *Operator) validateMove(ctx context.Context, name string, key, below inst.InstanceKey) error {
	if key == below {
		return fmt.Errorf("%s %s: %w", name, key, badRequest("cannot move an instance below itself"))
	}
	if _, err := o.known(ctx, key); err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	if _, err := o.known(ctx, below); err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	if err := o.checkNoCycle(ctx, key, below); err != nil {
		err = fmt.Errorf("%s %s: %w", name, key, err)
		o.auditRefusal(ctx, name, key, err)
		return err
	}
	return nil
}

// pointGTID repoints a replica (or a former master) to master by GTID and
// waits until it replicates. On MariaDB a server that has been a master
// first takes its gtid_current_pos as its slave position, so it resumes
// after its own writes instead of fetching them again.
func (o *Operator) pointGTID(ctx context.Context, replica, master *inst.Instance) error {
	key := replica.Key
	if replica.IsReplica() {
		if err := o.ap.StopReplication(ctx, key); err != nil {
			return err
		}
	}
	mode := mysql.GTIDAutoPosition
	if replica.IsMariaDB() {
		mode = mysql.GTIDSlavePos
		if !replica.IsReplica() || replica.MariaDBGtidCurrentPos != replica.MariaDBGtidSlavePos {
			now, err := o.fresh(ctx, key)
			if err != nil {
				return err
			}
			if now.MariaDBGtidCurrentPos != "" {
				if err := o.ap.SetGTIDSlavePos(ctx, key, now.MariaDBGtidCurrentPos); err != nil {
					return err
				}
			}
		}
	}
	spec, err := o.withCredentials(ctx, replica, to(master.Key, nil, mode))
	if err != nil {
		return err
	}
	return o.redirect(ctx, key, spec)
}

// MoveReplicasGTID moves the replicas of key (matching pattern) below
// below by GTID, one at a time; it returns those moved and the errors of
// the others.
func (o *Operator) MoveReplicasGTID(ctx context.Context, key, below inst.InstanceKey, pattern string) ([]*inst.Instance, error) {
	return o.moveReplicas(ctx, "move-replicas-gtid", key, pattern, func(ctx context.Context, r *inst.Instance) (*inst.Instance, error) {
		if r.Key == below {
			return nil, nil // the target itself stays
		}
		return o.MoveBelowGTID(ctx, r.Key, below)
	})
}
