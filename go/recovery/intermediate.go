package recovery

import (
	"context"
	"fmt"

	"orchestrator/go/inst"
)

// recoverIntermediateMaster relocates the replicas of a dead intermediate
// master by GTID: below a sibling of it in the same data center that is at
// least as advanced as every one of them (it then serves them instead of
// the master), else below the intermediate master's own master. Without
// GTID their positions on another server cannot be computed safely and
// the recovery fails, saying so.
func (rc *Recoverer) recoverIntermediateMaster(ctx context.Context, r *TopologyRecovery, req Request) error {
	e := r.AnalysisEntry
	failed, err := rc.d.Reader.Instance(ctx, e.AnalyzedInstanceKey)
	if err != nil {
		return err
	}
	replicas, err := rc.d.Reader.Replicas(ctx, failed.Key)
	if err != nil {
		return err
	}
	var movable []*inst.Instance
	for _, x := range replicas {
		r.participate(x.Key)
		switch {
		case !x.IsLastCheckValid:
			rc.decide(ctx, r, "%s cannot be reached: left alone", x.Key)
			r.LostReplicas = append(r.LostReplicas, x.Key)
		case !x.UsingGTID():
			rc.decide(ctx, r, "%s does not replicate by GTID: its position on another server cannot be computed safely", x.Key)
			r.LostReplicas = append(r.LostReplicas, x.Key)
		default:
			movable = append(movable, x)
		}
	}
	if len(movable) == 0 {
		return fmt.Errorf("no replica of %s can be relocated", failed.Key)
	}
	target, err := rc.imTarget(ctx, r, failed, movable, req.Candidate)
	if err != nil {
		return err
	}
	r.RecoveryType = TypeGTID
	if req.DryRun {
		k := target.Key
		r.SuccessorKey = &k
		for _, m := range movable {
			rc.decide(ctx, r, "would move %s below %s (GTID)", m.Key, target.Key)
		}
		return nil
	}
	moved := 0
	for _, res := range rc.moveAll(ctx, r, movable, target.Key, true, nil) {
		if res.err != nil {
			rc.decide(ctx, r, "could not move %s below %s: %v", res.key, target.Key, res.err)
			r.LostReplicas = append(r.LostReplicas, res.key)
			r.addError(res.err)
			continue
		}
		moved++
		rc.step(ctx, r, "moved %s below %s", res.key, target.Key)
	}
	rc.probeAll(ctx, append(r.ParticipatingInstanceKeys, target.Key))
	if moved == 0 {
		return fmt.Errorf("no replica of %s could be relocated", failed.Key)
	}
	k := target.Key
	r.SuccessorKey, r.SuccessorAlias, r.IsSuccessful = &k, target.InstanceAlias, true
	rc.decide(ctx, r, "relocated %d replicas of %s below %s", moved, failed.Key, target.Key)
	if err := rc.d.Store.AckDetections(ctx, failed.Key); err != nil {
		r.addError(err)
	}
	return nil
}

// imTarget picks where the replicas of a dead intermediate master go.
func (rc *Recoverer) imTarget(ctx context.Context, r *TopologyRecovery, failed *inst.Instance, movable []*inst.Instance, explicit inst.InstanceKey) (*inst.Instance, error) {
	if explicit.IsValid() {
		t, err := rc.d.Reader.Instance(ctx, explicit)
		if err != nil {
			return nil, err
		}
		rc.decide(ctx, r, "relocating below the requested %s", explicit)
		return t, nil
	}
	siblings, err := rc.d.Reader.Replicas(ctx, failed.MasterKey)
	if err != nil {
		return nil, err
	}
	for _, s := range siblings {
		if why := siblingRefusal(s, failed, movable); why != "" {
			if s.Key != failed.Key {
				rc.step(ctx, r, "sibling %s not used: %s", s.Key, why)
			}
			continue
		}
		rc.decide(ctx, r, "relocating below sibling %s: same data center %q, replicating, logs replica updates, at least as advanced as every replica", s.Key, s.DataCenter)
		return s, nil
	}
	master, err := rc.d.Reader.Instance(ctx, failed.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("the master %s of %s: %w", failed.MasterKey, failed.Key, err)
	}
	if !master.IsLastCheckValid {
		return nil, fmt.Errorf("no sibling qualifies and the master %s of %s cannot be reached", master.Key, failed.Key)
	}
	rc.decide(ctx, r, "relocating below %s, the master of %s (no sibling qualifies)", master.Key, failed.Key)
	return master, nil
}

func siblingRefusal(s, failed *inst.Instance, movable []*inst.Instance) string {
	switch {
	case s.Key == failed.Key:
		return "it is the failed server"
	case !s.IsLastCheckValid || !s.IsReplicating():
		return "not reachable or not replicating"
	case !s.CanRelay():
		return "no log_bin with log_slave_updates"
	case s.DataCenter != failed.DataCenter:
		return fmt.Sprintf("other data center %q", s.DataCenter)
	case s.PromotionRule == inst.MustNotPromoteRule:
		return "promotion rule must_not"
	}
	for _, m := range movable {
		cmp, ok, err := inst.GTIDCompare(s.ExecutedGTID(), m.ExecutedGTID(), !s.IsMariaDB())
		if err != nil || !ok || cmp < 0 {
			return fmt.Sprintf("not at least as advanced as %s", m.Key)
		}
	}
	return ""
}
