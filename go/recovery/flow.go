package recovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/inst"
)

// Request is one recovery to attempt.
type Request struct {
	Key       inst.InstanceKey // the failed instance
	Candidate inst.InstanceKey // optional: the only acceptable successor
	// Forced bypasses the recovery filters, the global disable switch and
	// anti-flapping (recover, force-master-*, graceful takeover).
	Forced    bool
	SkipHooks bool
	Hint      string        // command hint ({command})
	ForceCode analysis.Code // treat the instance as failed with this code
	DryRun    bool          // plan only: touch nothing
}

// freshTimeout bounds one fresh probe, retried while the poller holds it.
const freshTimeout = 5 * time.Second

// fresh probes key now, waiting for a probe already in flight.
func (rc *Recoverer) fresh(ctx context.Context, key inst.InstanceKey) error {
	deadline := time.Now().Add(freshTimeout)
	for {
		_, err := rc.d.Probe(ctx, key)
		if err == nil || !strings.Contains(err.Error(), "already running") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// probeAll probes keys in parallel; failures are recorded by the prober.
func (rc *Recoverer) probeAll(ctx context.Context, keys []inst.InstanceKey) {
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func(k inst.InstanceKey) { defer wg.Done(); _ = rc.fresh(ctx, k) }(k)
	}
	wg.Wait()
}

// confirm probes the failed instance and its replicas now and returns its
// analysis entry from those fresh probes.
func (rc *Recoverer) confirm(ctx context.Context, req Request) (analysis.ReplicationAnalysis, error) {
	failed, err := rc.d.Reader.Instance(ctx, req.Key)
	if err != nil {
		return analysis.ReplicationAnalysis{}, err
	}
	replicas, err := rc.d.Reader.Replicas(ctx, req.Key)
	if err != nil {
		return analysis.ReplicationAnalysis{}, err
	}
	keys := []inst.InstanceKey{req.Key}
	for _, r := range replicas {
		keys = append(keys, r.Key)
	}
	rc.probeAll(ctx, keys)
	entries, whyNone, err := rc.analyzeWhy(ctx, failed.ClusterName, true)
	if err != nil {
		return analysis.ReplicationAnalysis{}, err
	}
	for _, e := range entries {
		if e.AnalyzedInstanceKey != req.Key {
			continue
		}
		if req.ForceCode != "" {
			e.Explanation = append(e.Explanation, fmt.Sprintf("forced by %s: treated as %s (analysis found %s)", req.Hint, req.ForceCode, e.Analysis))
			e.Analysis, e.Description = req.ForceCode, req.ForceCode.Description()
			e.IsActionableRecovery = true
		}
		e.CommandHint = req.Hint
		return e, nil
	}
	return analysis.ReplicationAnalysis{}, fmt.Errorf("%w: %s has no analysis entry: %s", ErrNotAttempted, req.Key, whyNone(req.Key))
}

// kindOf maps an analysis code to the recovery that handles it.
func kindOf(c analysis.Code) string {
	switch c.Recovery() {
	case analysis.RecoveryMaster:
		return KindMaster
	case analysis.RecoveryCoMaster:
		return KindCoMaster
	case analysis.RecoveryIntermediateMaster:
		return KindIntermediateMaster
	}
	return ""
}

// Recover confirms the failure of req.Key from fresh probes and recovers
// it: under the per-cluster lock, after anti-flapping (unless forced),
// with hooks (unless skipped). A dry run returns the plan and changes
// nothing. ErrNotAttempted when there is nothing actionable to recover;
// ErrNoPromotion when a recovery ran but promoted nobody.
//
// A recovery asked by a user (API, CLI) is fenced by its own lease on the
// cluster's recovery lock: see recoverFenced.
func (rc *Recoverer) Recover(ctx context.Context, req Request) (*TopologyRecovery, error) {
	return rc.recoverFenced(ctx, req, nil)
}

// recoverFenced is Recover for leader work when leader is set: every
// statement the recovery sends to a server first checks the lease on the
// cluster's recovery lock, then leader. The recovery runs under a context
// cancelled when the lease is lost.
func (rc *Recoverer) recoverFenced(ctx context.Context, req Request, leader Fence) (*TopologyRecovery, error) {
	i, err := rc.d.Reader.Instance(ctx, req.Key)
	if err != nil {
		return nil, err
	}
	cluster := i.ClusterName
	if !rc.claim(cluster) {
		return nil, fmt.Errorf("%w: %s (in this process)", ErrLocked, cluster)
	}
	defer rc.unclaim(cluster)
	fence := leader
	if !req.DryRun {
		lctx, l, err := rc.lockCluster(ctx, cluster)
		if err != nil {
			return nil, err
		}
		defer l.release(ctx)
		ctx, fence = lctx, l.fence(leader)
	}
	e, err := rc.confirm(ctx, req)
	if err != nil {
		return nil, err
	}
	if e.ClusterDetails.ClusterName != cluster {
		// The lock held is that of the cluster the instance was in:
		// acting on another cluster would not be under its lock.
		return nil, fmt.Errorf("%w: %s moved from cluster %s to %s while its recovery started; try again", ErrNotAttempted,
			req.Key, cluster, e.ClusterDetails.ClusterName)
	}
	kind := kindOf(e.Analysis)
	if !e.IsActionableRecovery || kind == "" {
		return nil, fmt.Errorf("%w: analysis of %s is %s (%s), which has no recovery: %s", ErrNotAttempted,
			req.Key, e.Analysis, e.Description, strings.Join(e.Explanation, "; "))
	}
	if !req.Forced {
		if why := rc.automationRefusal(ctx, e, kind); why != "" {
			rc.recordSkipped(ctx, e, why)
			return nil, fmt.Errorf("%w: %s", ErrNotAttempted, why)
		}
	}
	r := rc.newRecovery(e, kind, req.Hint)
	r.fence = fence
	if req.DryRun {
		r.UID = ""
		r.Decision = append(r.Decision, "dry run: nothing was changed")
		return r, rc.run(ctx, r, req, kind)
	}
	if err := rc.register(ctx, r, req.Forced); err != nil {
		return nil, err
	}
	rc.decide(ctx, r, "%s on %s (cluster %s): %s", e.Analysis, req.Key, e.ClusterDetails.ClusterName, strings.Join(e.Explanation, "; "))
	err = rc.run(ctx, r, req, kind)
	r.addError(err)
	rc.endSuccessorDowntime(ctx, r)
	r.IsActive = true
	rc.resolve(ctx, r)
	rc.postHooks(ctx, r, req)
	if err == nil && r.SuccessorKey == nil {
		err = ErrNoPromotion
	}
	return r, err
}

// automationRefusal says why an automated recovery must not run: global
// switch, cluster filters ("" when it may).
func (rc *Recoverer) automationRefusal(ctx context.Context, e analysis.ReplicationAnalysis, kind string) string {
	disabled, err := rc.d.Store.GlobalRecoveriesDisabled(ctx)
	if err != nil {
		return "cannot read the global recovery switch: " + err.Error()
	}
	if disabled {
		return "recoveries are disabled globally (disable-global-recoveries); enable-global-recoveries to allow them"
	}
	ci := e.ClusterDetails
	switch {
	case kind == KindIntermediateMaster && !ci.HasAutomatedIntermediateMasterRecovery:
		return fmt.Sprintf("cluster %s (alias %s) matches no RecoverIntermediateMasterClusterFilters %q", ci.ClusterName, ci.ClusterAlias, rc.conf().RecoverIntermediateMasterClusterFilters)
	case kind != KindIntermediateMaster && !ci.HasAutomatedMasterRecovery:
		return fmt.Sprintf("cluster %s (alias %s) matches no RecoverMasterClusterFilters %q", ci.ClusterName, ci.ClusterAlias, rc.conf().RecoverMasterClusterFilters)
	}
	return ""
}

// run runs the recovery flow of its kind.
func (rc *Recoverer) run(ctx context.Context, r *TopologyRecovery, req Request, kind string) error {
	if !req.SkipHooks && !req.DryRun {
		if err := rc.runHooks(ctx, "PreFailoverProcesses", rc.conf().PreFailoverProcesses, rc.hookVarsOf(r, nil)); err != nil {
			rc.decide(ctx, r, "aborted: a PreFailoverProcesses hook failed: %v", err)
			return err
		}
	}
	switch kind {
	case KindIntermediateMaster:
		return rc.recoverIntermediateMaster(ctx, r, req)
	case KindCoMaster:
		otherKey := r.AnalysisEntry.AnalyzedInstanceMasterKey
		other, err := rc.d.Reader.Instance(ctx, otherKey)
		if err != nil {
			other = nil
		}
		cand, why, err := coMasterSuccessor(other, otherKey, req.Candidate, rc.conf().CoMasterRecoveryMustPromoteOtherCoMaster)
		if err != nil {
			rc.decide(ctx, r, "no replica promoted: %v", err)
			return err
		}
		rc.decide(ctx, r, "%s", why)
		req.Candidate = cand
	}
	_, err := rc.recoverDeadMaster(ctx, r, req)
	return err
}

// postHooks runs the post-recovery hooks per outcome.
func (rc *Recoverer) postHooks(ctx context.Context, r *TopologyRecovery, req Request) {
	if req.SkipHooks {
		return
	}
	var successor *inst.Instance
	if r.SuccessorKey != nil {
		successor, _ = rc.d.Reader.Instance(ctx, *r.SuccessorKey)
		if successor == nil {
			successor = &inst.Instance{Key: *r.SuccessorKey}
		}
	}
	v := rc.hookVarsOf(r, successor)
	run := func(name string, hooks []string) {
		if err := rc.runHooks(ctx, name, hooks, v); err != nil {
			r.addError(err)
		}
	}
	if successor == nil {
		run("PostUnsuccessfulFailoverProcesses", rc.conf().PostUnsuccessfulFailoverProcesses)
		return
	}
	switch r.Type {
	case KindMaster, KindCoMaster:
		run("PostMasterFailoverProcesses", rc.conf().PostMasterFailoverProcesses)
	case KindIntermediateMaster:
		run("PostIntermediateMasterFailoverProcesses", rc.conf().PostIntermediateMasterFailoverProcesses)
	}
	run("PostFailoverProcesses", rc.conf().PostFailoverProcesses)
}

// IsNotAttempted reports errors that mean "nothing to recover".
func IsNotAttempted(err error) bool { return errors.Is(err, ErrNotAttempted) }
