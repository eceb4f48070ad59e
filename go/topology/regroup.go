package topology

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"orchestrator/go/inst"
)

// Regroup is the outcome of RegroupReplicas.
type Regroup struct {
	Promoted *inst.Instance   // the replica its siblings now replicate from
	Moved    []*inst.Instance // siblings moved below Promoted
	Lost     []*inst.Instance // siblings that could not be moved (see the error)
}

// Summary is upstream's one-line report of a regroup.
func (g *Regroup) Summary() string {
	return fmt.Sprintf("%s lost: %d, moved: %d", g.Promoted.Key, len(g.Lost), len(g.Moved))
}

// RegroupReplicas picks the most advanced replica of key and moves its
// siblings below it: by GTID where they use it, else by binlog
// coordinates (siblings align with START SLAVE UNTIL). Siblings that
// cannot move are returned as Lost, their reasons joined in the error.
func (o *Operator) RegroupReplicas(ctx context.Context, key inst.InstanceKey) (*Regroup, error) {
	return o.regroup(ctx, "regroup-replicas", key, false)
}

// RegroupReplicasGTID is RegroupReplicas moving by GTID only; siblings
// not using GTID are lost.
func (o *Operator) RegroupReplicasGTID(ctx context.Context, key inst.InstanceKey) (*Regroup, error) {
	return o.regroup(ctx, "regroup-replicas-gtid", key, true)
}

func (o *Operator) regroup(ctx context.Context, name string, key inst.InstanceKey, gtidOnly bool) (*Regroup, error) {
	m, err := o.known(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	replicas, err := o.freshReplicas(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	promoted, err := regroupCandidate(replicas, gtidOnly)
	if err != nil {
		err = fmt.Errorf("%s %s: %w", name, key, err)
		o.audit(ctx, name, key, m.ClusterName, "", err)
		return nil, err
	}
	g := &Regroup{Promoted: promoted, Moved: []*inst.Instance{}, Lost: []*inst.Instance{}}
	var errs []error
	for _, r := range replicas {
		if r.Key == promoted.Key {
			continue
		}
		var moved *inst.Instance
		if r.UsingGTID() && promoted.SupportsGTID() {
			moved, err = o.MoveBelowGTID(ctx, r.Key, promoted.Key)
		} else if gtidOnly {
			err = refused("%s does not use GTID", r.Key)
		} else {
			moved, err = o.MoveBelow(ctx, r.Key, promoted.Key)
		}
		if err != nil {
			g.Lost, errs = append(g.Lost, r), append(errs, err)
			continue
		}
		g.Moved = append(g.Moved, moved)
	}
	err = errors.Join(errs...)
	o.audit(ctx, name, key, m.ClusterName, "promoted "+g.Summary(), err)
	if err != nil {
		err = fmt.Errorf("%s %s: promoted %s: %w", name, key, g.Summary(), err)
	}
	return g, err
}

// regroupCandidate picks the replica to regroup below: the most advanced
// (executed coordinates of the common master's log) among those that can
// serve replicas (log_bin, log_slave_updates), were checked successfully,
// are not delayed, have no errant GTID (their siblings would receive it)
// and are not marked must_not; ties go to the better
// promotion rule, then the lower key.
func regroupCandidate(replicas []*inst.Instance, gtidOnly bool) (*inst.Instance, error) {
	if len(replicas) == 0 {
		return nil, refused("no replicas to regroup")
	}
	var ok []*inst.Instance
	var why []string
	for _, r := range replicas {
		switch {
		case !r.IsLastCheckValid:
			why = append(why, r.Key.String()+": last check not valid")
		case !r.CanRelay():
			why = append(why, r.Key.String()+": no log_bin or log_slave_updates")
		case r.PromotionRule == inst.MustNotPromoteRule:
			why = append(why, r.Key.String()+": promotion rule must_not")
		case r.SQLDelay > 0:
			why = append(why, r.Key.String()+": delayed replica")
		case r.GtidErrant != "":
			// its siblings would replicate its errant transactions
			why = append(why, r.Key.String()+": errant GTID "+r.GtidErrant)
		case gtidOnly && !r.UsingGTID():
			why = append(why, r.Key.String()+": not using GTID")
		default:
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, refused("no replica can take its siblings: %s", strings.Join(why, "; "))
	}
	sort.SliceStable(ok, func(a, b int) bool {
		if c := ok[a].ExecBinlogCoordinates.Compare(ok[b].ExecBinlogCoordinates); c != 0 {
			return c > 0
		}
		if ok[a].PromotionRule != ok[b].PromotionRule {
			return ok[a].PromotionRule.BetterThan(ok[b].PromotionRule)
		}
		return ok[a].Key.String() < ok[b].Key.String()
	})
	return ok[0], nil
}

// freshReplicas probes the known replicas of key now; those that cannot
// be probed are left out (they cannot take their siblings anyway).
func (o *Operator) freshReplicas(ctx context.Context, key inst.InstanceKey) ([]*inst.Instance, error) {
	listed, err := o.reader.Replicas(ctx, key)
	if err != nil {
		return nil, err
	}
	replicas := make([]*inst.Instance, 0, len(listed))
	for _, r := range listed {
		if fresh, err := o.fresh(ctx, r.Key); err == nil {
			replicas = append(replicas, fresh)
		}
	}
	return replicas, nil
}
