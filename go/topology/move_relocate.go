package topology

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// Relocate places key below below by whatever method works: GTID when both
// support it, else a binlog-position move when below is key's grandparent
// (move-up) or sibling (move-below). Anything else is refused with why.
func (o *Operator) Relocate(ctx context.Context, key, below inst.InstanceKey) (*inst.Instance, error) {
	const name = "relocate"
	if err := o.validateMove(ctx, name, key, below); err != nil {
		return nil, err
	}
	i, _ := o.known(ctx, key)
	target, _ := o.known(ctx, below)
	if i.IsReplica() && i.MasterKey == below {
		return i, nil // already there
	}
	how, move := o.relocation(ctx, i, target)
	if move == nil {
		err := fmt.Errorf("%s %s: %w", name, key,
			refused("cannot relocate %s below %s without GTID: only to its grandparent or a sibling", key, below))
		o.auditRefusal(ctx, name, key, err)
		return nil, err
	}
	moved, err := move()
	o.audit(ctx, name, key, i.ClusterName, fmt.Sprintf("relocated %s below %s by %s", key, below, how), err)
	return moved, err
}

// relocation chooses how to put i below target: a replica by binlog
// coordinates stays so when its grandparent or a sibling is the target
// (move-up, move-below); otherwise GTID when both sides support it, which
// reaches any target. nil when there is no way.
func (o *Operator) relocation(ctx context.Context, i, target *inst.Instance) (string, func() (*inst.Instance, error)) {
	if i.IsReplica() && !i.UsingGTID() {
		if master, err := o.known(ctx, i.MasterKey); err == nil && master.IsReplica() && master.MasterKey == target.Key {
			return "move-up", func() (*inst.Instance, error) { return o.MoveUp(ctx, i.Key) }
		}
		if target.IsReplica() && target.MasterKey == i.MasterKey {
			return "move-below", func() (*inst.Instance, error) { return o.MoveBelow(ctx, i.Key, target.Key) }
		}
	}
	if i.SupportsGTID() && target.SupportsGTID() && i.IsMariaDB() == target.IsMariaDB() {
		return "move-below-gtid", func() (*inst.Instance, error) { return o.MoveBelowGTID(ctx, i.Key, target.Key) }
	}
	return "", nil
}

// Repoint points key at below (default: its current master) keeping its
// executed coordinates (or its GTID position). Only safe when below has
// the same binary logs as the old master (binlog servers, co-masters).
func (o *Operator) Repoint(ctx context.Context, key, below inst.InstanceKey) (*inst.Instance, error) {
	const name = "repoint"
	i, err := o.known(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	if below == (inst.InstanceKey{}) {
		below = i.MasterKey
	}
	if err := o.validateMove(ctx, name, key, below); err != nil {
		return nil, err
	}
	err = o.run(ctx, name, key, []inst.InstanceKey{key}, func(ctx context.Context, op *operation) (string, error) {
		replica := op.before[key]
		if !replica.IsReplica() {
			return "", refused("%s is not a replica", key)
		}
		master, err := o.fresh(ctx, below)
		if err != nil {
			return "", err
		}
		if err := canMoveBelow(master, o.maxLag()); err != nil {
			return "", err
		}
		if err := CanReplicateFrom(replica, master); err != nil {
			return "", err
		}
		now, err := o.stopAndRead(ctx, key)
		if err != nil {
			return "", err
		}
		var coords *inst.BinlogCoordinates
		if !now.UsingGTID() {
			c := now.ExecBinlogCoordinates
			coords = &c
		}
		return fmt.Sprintf("repointed %s to %s", key, below), o.redirect(ctx, key, to(below, coords, mysql.GTIDKeep))
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

// moveReplicas applies move to each replica of key whose key matches
// pattern (all when empty; a move returning nil, nil skips its replica).
// It returns the moved replicas and the errors,
// and audits the whole under name (each move audits itself too).
func (o *Operator) moveReplicas(ctx context.Context, name string, key inst.InstanceKey, pattern string,
	move func(ctx context.Context, r *inst.Instance) (*inst.Instance, error)) ([]*inst.Instance, error) {
	m, err := o.known(ctx, key)
	if err != nil {
		return nil, err
	}
	moved, tried, err := o.eachReplica(ctx, key, pattern, move)
	summary := fmt.Sprintf("%d of %d replicas of %s", len(moved), tried, key)
	if pattern != "" {
		summary += " matching " + pattern
	}
	o.audit(ctx, name, key, m.ClusterName, summary, err)
	return moved, err
}

func (o *Operator) eachReplica(ctx context.Context, key inst.InstanceKey, pattern string,
	move func(ctx context.Context, r *inst.Instance) (*inst.Instance, error)) ([]*inst.Instance, int, error) {
	var re *regexp.Regexp
	if pattern != "" {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			return nil, 0, badRequest("invalid pattern %q: %v", pattern, err)
		}
	}
	replicas, err := o.reader.Replicas(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	moved := []*inst.Instance{}
	var errs []error
	tried := 0
	for _, r := range replicas {
		if re != nil && !re.MatchString(r.Key.String()) {
			continue
		}
		m, err := move(ctx, r)
		switch {
		case err != nil:
			errs = append(errs, err)
		case m == nil: // move says this replica is not one to move
			continue
		default:
			moved = append(moved, m)
		}
		tried++
	}
	return moved, tried, errors.Join(errs...)
}

// RelocateReplicas relocates the replicas of key (matching pattern) below below.
func (o *Operator) RelocateReplicas(ctx context.Context, key, below inst.InstanceKey, pattern string) ([]*inst.Instance, error) {
	if _, err := o.known(ctx, below); err != nil {
		return nil, err
	}
	return o.moveReplicas(ctx, "relocate-replicas", key, pattern, func(ctx context.Context, r *inst.Instance) (*inst.Instance, error) {
		if r.Key == below {
			return nil, badRequest("%s is a replica of %s: cannot move it below itself", below, key)
		}
		return o.Relocate(ctx, r.Key, below)
	})
}

// MoveUpReplicas moves the replicas of key (matching pattern) up one level.
func (o *Operator) MoveUpReplicas(ctx context.Context, key inst.InstanceKey, pattern string) ([]*inst.Instance, error) {
	return o.moveReplicas(ctx, "move-up-replicas", key, pattern, func(ctx context.Context, r *inst.Instance) (*inst.Instance, error) {
		return o.MoveUp(ctx, r.Key)
	})
}

// RepointReplicas repoints the replicas of key to key (or to below when given).
func (o *Operator) RepointReplicas(ctx context.Context, key, below inst.InstanceKey, pattern string) ([]*inst.Instance, error) {
	if below == (inst.InstanceKey{}) {
		below = key
	}
	return o.moveReplicas(ctx, "repoint-replicas", key, pattern, func(ctx context.Context, r *inst.Instance) (*inst.Instance, error) {
		return o.Repoint(ctx, r.Key, below)
	})
}

// TakeSiblings makes the siblings of key replicate from key; it returns
// how many moved.
func (o *Operator) TakeSiblings(ctx context.Context, key inst.InstanceKey) (int, error) {
	i, err := o.known(ctx, key)
	if err != nil {
		return 0, err
	}
	if !i.IsReplica() {
		return 0, refused("%s is not a replica: it has no siblings", key)
	}
	moved, err := o.moveReplicas(ctx, "take-siblings", i.MasterKey, "", func(ctx context.Context, r *inst.Instance) (*inst.Instance, error) {
		if r.Key == key {
			return nil, nil // not a sibling of itself
		}
		return o.MoveBelow(ctx, r.Key, key)
	})
	return len(moved), err
}
