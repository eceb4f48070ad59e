package recovery

import (
	"context"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// readOnlyTimeout bounds the best-effort read_only=1 on a failed master.
const readOnlyTimeout = 3 * time.Second

// recoverDeadMaster promotes the best replica of the failed master and
// moves its siblings below it. Order: stop every replica nicely (draining
// its relay log), probe them, choose the candidate (see drainPlan for the
// undrained), promote it (validated, made writable, checked, reset: see
// promote), and only then repoint the others. If promotion fails no
// replica has been moved: each is started again where it was, the
// candidate set back read-only, and the state of every server recorded.
func (rc *Recoverer) recoverDeadMaster(ctx context.Context, r *TopologyRecovery, req Request) (*inst.Instance, error) {
	e := r.AnalysisEntry
	failed, err := rc.d.Reader.Instance(ctx, e.AnalyzedInstanceKey)
	if err != nil {
		return nil, err
	}
	replicas, err := rc.d.Reader.Replicas(ctx, failed.Key)
	if err != nil {
		return nil, err
	}
	if len(replicas) == 0 {
		rc.decide(ctx, r, "%s has no replicas: nothing to promote", failed.Key)
		return nil, ErrNoPromotion
	}
	notDrained := map[inst.InstanceKey]string{}
	drained := map[inst.InstanceKey]bool{}
	if !req.DryRun {
		plan := rc.drainPlanFor(req)
		rc.step(ctx, r, "stopping replication on %d replicas, %s", len(replicas), plan)
		drained, notDrained = rc.drainAll(ctx, r, replicas, plan)
		keys := make([]inst.InstanceKey, 0, len(replicas))
		for _, x := range replicas {
			keys = append(keys, x.Key)
			r.participate(x.Key)
		}
		rc.probeAll(ctx, keys)
		if replicas, err = rc.d.Reader.Replicas(ctx, failed.Key); err != nil {
			return nil, err
		}
	}
	o := rc.candidateOptions()
	o.ExplicitCandidate, o.NotDrained, o.FailIfNotDrained = req.Candidate, notDrained, rc.conf().FailMasterPromotionIfSQLThreadNotUpToDate
	choice, err := ChooseCandidate(failed, replicas, o)
	for _, line := range choice.Explanation {
		rc.decide(ctx, r, "%s", line)
	}
	if err != nil {
		rc.decide(ctx, r, "no replica promoted: %v", err)
		if !req.DryRun {
			rc.startAll(ctx, r, replicas)
		}
		return nil, fmt.Errorf("%w: %v", ErrNoPromotion, err)
	}
	cand := choice.Candidate
	gtid := choice.Candidate.UsingGTID() && allUseGTID(choice.Moved)
	r.RecoveryType = TypeCoordinates
	if gtid {
		r.RecoveryType = TypeGTID
	}
	moved, lost := rc.splitMovable(ctx, r, cand, choice, gtid)
	if req.DryRun {
		return rc.planOnly(ctx, r, cand, moved, lost), nil
	}
	promoted, err := rc.promote(ctx, r, cand, req.Hint == HintGraceful)
	if err != nil {
		rc.decide(ctx, r, "promotion of %s failed: %v; no replica was moved: each is restarted where it was", cand.Key, err)
		rc.startAll(ctx, r, replicas)
		rc.recordStates(ctx, r, keysOf(replicas))
		return nil, fmt.Errorf("%w: %v", ErrNoPromotion, err)
	}
	outcome := rc.moveSiblings(ctx, r, promoted, moved, gtid, &lost)
	rc.finishLost(ctx, r, failed, lost, outcome)
	r.DataSafety = newSafetyReport(cand, replicas, drained, outcome)
	rc.announce(ctx, r, failed, promoted)
	return promoted, nil
}

func allUseGTID(list []*inst.Instance) bool {
	for _, x := range list {
		if !x.UsingGTID() {
			return false
		}
	}
	return true
}

// splitMovable refines the choice: without GTID a sibling can only follow
// the candidate when it executed exactly as far (its position on the new
// master is then the candidate's own binlog position).
func (rc *Recoverer) splitMovable(ctx context.Context, r *TopologyRecovery, cand *inst.Instance, choice CandidateChoice, gtid bool) ([]*inst.Instance, []LostReplica) {
	lost := append([]LostReplica(nil), choice.Lost...)
	var moved []*inst.Instance
	for _, x := range choice.Moved {
		if x.Key == cand.Key {
			continue
		}
		if !gtid && x.ExecBinlogCoordinates != cand.ExecBinlogCoordinates {
			lost = append(lost, LostReplica{Instance: x, Reason: fmt.Sprintf(
				"no GTID and executed %s of the failed master, not %s like the candidate: its position on the new master cannot be computed",
				x.ExecBinlogCoordinates, cand.ExecBinlogCoordinates)})
			continue
		}
		moved = append(moved, x)
	}
	for _, l := range lost {
		rc.decide(ctx, r, "%s will be lost: %s", l.Instance.Key, l.Reason)
	}
	return moved, lost
}

// planOnly fills a dry run's outcome.
func (rc *Recoverer) planOnly(ctx context.Context, r *TopologyRecovery, cand *inst.Instance, moved []*inst.Instance, lost []LostReplica) *inst.Instance {
	k := cand.Key
	r.SuccessorKey = &k
	for _, m := range moved {
		rc.decide(ctx, r, "would move %s below %s (%s)", m.Key, cand.Key, r.RecoveryType)
	}
	for _, l := range lost {
		r.LostReplicas = append(r.LostReplicas, l.Instance.Key)
	}
	rc.decide(ctx, r, "would promote %s: stop and reset its replication, set read_only=0", cand.Key)
	return cand
}

// moveSiblings repoints the movable replicas below the promoted server;
// those that fail become lost. It returns each replica's outcome.
func (rc *Recoverer) moveSiblings(ctx context.Context, r *TopologyRecovery, promoted *inst.Instance, moved []*inst.Instance, gtid bool, lost *[]LostReplica) map[inst.InstanceKey]string {
	outcome := map[inst.InstanceKey]string{promoted.Key: "promoted"}
	coords := promoted.SelfBinlogCoordinates
	for _, res := range rc.moveAll(ctx, r, moved, promoted.Key, gtid, &coords) {
		if res.err != nil {
			rc.decide(ctx, r, "could not move %s below %s: %v", res.key, promoted.Key, res.err)
			outcome[res.key] = "lost: " + res.err.Error()
			for _, m := range moved {
				if m.Key == res.key {
					*lost = append(*lost, LostReplica{Instance: m, Reason: res.err.Error()})
				}
			}
			continue
		}
		outcome[res.key] = "moved below " + promoted.Key.String()
		rc.step(ctx, r, "moved %s below %s", res.key, promoted.Key)
	}
	return outcome
}

// finishLost detaches (when configured) and downtimes the lost replicas
// and downtimes the failed master.
func (rc *Recoverer) finishLost(ctx context.Context, r *TopologyRecovery, failed *inst.Instance, lost []LostReplica, outcome map[inst.InstanceKey]string) {
	toDowntime := []inst.InstanceKey{failed.Key}
	for _, l := range lost {
		k := l.Instance.Key
		r.LostReplicas = append(r.LostReplicas, k)
		toDowntime = append(toDowntime, k)
		if _, ok := outcome[k]; !ok {
			outcome[k] = "lost: " + l.Reason
		}
		if rc.conf().DetachLostReplicas() && l.Instance.IsLastCheckValid {
			if err := rc.apply(r).DetachMasterHost(ctx, k); err != nil {
				r.addError(err)
			} else {
				rc.step(ctx, r, "detached lost replica %s from the failed master (DetachLostReplicasAfterMasterFailover)", k)
			}
		}
	}
	rc.downtimeLost(ctx, r, toDowntime)
	if err := rc.d.Store.AckDetections(ctx, failed.Key); err != nil {
		r.addError(err)
	}
}

// announce records the successor, moves the cluster's alias and domain to
// it, refreshes every instance touched so the API shows the new topology
// at once, and sets the old master read-only if it still answers.
func (rc *Recoverer) announce(ctx context.Context, r *TopologyRecovery, failed, promoted *inst.Instance) {
	k := promoted.Key
	c := promoted.SelfBinlogCoordinates
	r.SuccessorKey, r.SuccessorBinlogCoordinates, r.SuccessorAlias, r.IsSuccessful = &k, &c, promoted.InstanceAlias, true
	rc.decide(ctx, r, "%s is the new master of cluster %s", k, r.AnalysisEntry.ClusterDetails.ClusterName)
	if err := rc.d.Store.MoveClusterNames(ctx, r.AnalysisEntry.ClusterDetails.ClusterName, k.String()); err != nil {
		r.addError(err)
	}
	rc.probeAll(ctx, r.ParticipatingInstanceKeys)
	if failed.Key != promoted.Key {
		rc.demoteIfAlive(ctx, r, failed.Key)
	}
}

// demoteIfAlive sets the failed master read-only when it answers (best
// effort, bounded): a master that comes back must not take writes.
func (rc *Recoverer) demoteIfAlive(ctx context.Context, r *TopologyRecovery, key inst.InstanceKey) {
	c, cancel := context.WithTimeout(ctx, readOnlyTimeout)
	defer cancel()
	if err := rc.apply(r).SetReadOnly(c, key, true); err != nil {
		rc.step(ctx, r, "old master %s not set read-only now (%v); it will be when it answers again", key, err)
		return
	}
	rc.decide(ctx, r, "old master %s answers: set read_only=1", key)
}
