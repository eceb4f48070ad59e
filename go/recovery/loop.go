package recovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

const (
	recoveryPoll    = time.Second      // full analysis of every cluster
	maintenancePoll = 5 * time.Second  // expire periods, revisit failed masters
	emergentBudget  = 3 * time.Second  // bounds the re-probes of one check
	detectionPeriod = 60 * time.Minute // default FailureDetectionPeriodBlockMinutes
)

// Trigger asks the loop to check a cluster now ("" = all); discovery calls
// it when a probe suggests a failure. It never blocks, and no trigger is
// lost: clusters triggered while the loop is busy are checked next, once
// each.
func (rc *Recoverer) Trigger(cluster string) { rc.trigger.add(cluster) }

// Run is the leader's detection and recovery loop: every second, and at
// once when triggered, it analyses, registers detections, runs detection
// hooks and starts the recoveries that are due; every second it also ends
// the recoveries orphaned by a dead or stuck runner. It returns when ctx
// ends; a recovery cut short by that is recorded as interrupted. leader is
// this node's leadership: every statement the loop's recoveries (and the
// revisits of failed masters) send to a server checks it first, as well
// as the recovery's lease, so work that outlives leadership (a step that
// ignores cancellation, a process resumed after a pause) cannot act.
func (rc *Recoverer) Run(ctx context.Context, leader Fence) {
	if leader == nil {
		leader = func() error { return fmt.Errorf("%w: the recovery loop was given no leadership fence", ErrFenced) }
	}
	tick := time.NewTicker(recoveryPoll)
	defer tick.Stop()
	maint := time.NewTicker(maintenancePoll)
	defer maint.Stop()
	rc.endOrphans(ctx)
	rc.maintain(ctx, leader)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); rc.watchMasters(ctx) }()
	// A full check reads every instance and takes seconds on a large
	// fleet: it runs beside the loop (one at a time), spaced out to at most
	// a quarter of the time, so triggered checks of one cluster (watched
	// masters, failed probes) never wait for it.
	record := newAnalysisRecord()
	var nextFull time.Time
	fullDone := make(chan time.Duration, 1)
	fullRunning, fullAgain := false, false
	full := func() {
		fullRunning, fullAgain = true, false
		wg.Add(1)
		go func() {
			defer wg.Done()
			started := time.Now()
			rc.check(ctx, "", record, leader)
			fullDone <- time.Since(started)
		}()
	}
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		var due bool
		select {
		case <-ctx.Done():
			return
		case <-rc.trigger.ready:
			due = true
		case <-retry.C:
			due = true
		case took := <-fullDone:
			fullRunning = false
			nextFull = time.Now().Add(3 * took)
			if fullAgain {
				full()
			}
		case now := <-tick.C:
			if !fullRunning && !now.Before(nextFull) {
				full()
			}
			rc.endOrphans(ctx)
		case <-maint.C:
			rc.maintain(ctx, leader)
		}
		if !due {
			continue
		}
		all, clusters, wait := rc.trigger.take(time.Now())
		if all {
			if fullRunning {
				fullAgain = true
			} else {
				full()
			}
		}
		for _, cluster := range clusters {
			rc.check(ctx, cluster, record, leader)
		}
		if wait > 0 {
			retry.Reset(wait)
		}
	}
}

// Check analyses one cluster ("" = all), performs the emergent re-probes
// that confirm or clear a suspicion (then analyses again once), and acts
// on what it finds, fenced by leader as in Run.
func (rc *Recoverer) Check(ctx context.Context, cluster string, leader Fence) {
	rc.check(ctx, cluster, newAnalysisRecord(), leader)
}

// check is Check with the codes the loop last recorded: only changed
// codes are handed to the store, and a check that changed none does not
// write.
func (rc *Recoverer) check(ctx context.Context, cluster string, record *analysisRecord, leader Fence) {
	t := newStopwatch()
	entries, err := rc.Analyze(ctx, cluster, true)
	if err != nil {
		if ctx.Err() == nil {
			log.Errorf("analysis: %v", err)
		}
		return
	}
	t.lap("analysis")
	if rc.emergent(ctx, entries) {
		t.lap("re-probes")
		if entries, err = rc.Analyze(ctx, cluster, true); err != nil {
			return
		}
		t.lap("re-analysis")
	}
	record.store(entries, t.start, func(changed map[inst.InstanceKey]string) error {
		err := rc.d.Store.RecordAnalysis(ctx, changed)
		if err != nil && ctx.Err() == nil {
			log.Errorf("%v", err)
		}
		return err
	})
	t.lap("record")
	var problems []string
	for _, e := range entries {
		if e.Analysis == analysis.NoProblem || e.SkippableDueToDowntime {
			continue
		}
		problems = append(problems, e.AnalyzedInstanceKey.String()+" "+string(e.Analysis))
		rc.detect(ctx, e)
		if e.IsActionableRecovery && kindOf(e.Analysis) != "" {
			go rc.automated(ctx, e, leader)
		}
	}
	t.lap("detect")
	if cluster == "" {
		cluster = "every cluster"
	}
	log.Debugf("check of %s: %d problems %v; took %s", cluster, len(problems), problems[:min(len(problems), 5)], t)
}

// emergent re-probes what an entry's code says would confirm it sooner;
// it reports whether it probed anything.
func (rc *Recoverer) emergent(ctx context.Context, entries []analysis.ReplicationAnalysis) bool {
	var keys []inst.InstanceKey
	for _, e := range entries {
		info, _ := analysis.Info(e.Analysis)
		switch info.Emergent {
		case analysis.EmergentReprobeAll:
			keys = append(append(keys, e.AnalyzedInstanceKey), e.Replicas...)
		case analysis.EmergentReprobeMaster:
			keys = append(keys, e.AnalyzedInstanceKey)
		case analysis.EmergentReprobeUpstream:
			keys = append(keys, e.AnalyzedInstanceMasterKey)
		}
		if info.Actionable && kindOf(e.Analysis) != "" {
			keys = append(keys, e.Replicas...)
		}
	}
	if len(keys) == 0 {
		return false
	}
	c, cancel := context.WithTimeout(ctx, emergentBudget)
	defer cancel()
	rc.probeAll(c, uniqueKeys(keys))
	return true
}

func uniqueKeys(keys []inst.InstanceKey) []inst.InstanceKey {
	seen := map[inst.InstanceKey]bool{}
	out := keys[:0]
	for _, k := range keys {
		if k.IsValid() && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// detect registers a detection once per period and runs the detection
// hooks for a new one.
func (rc *Recoverer) detect(ctx context.Context, e analysis.ReplicationAnalysis) {
	_, isNew, err := rc.d.Store.InsertDetection(ctx, backend.Detection{Key: e.AnalyzedInstanceKey, Analysis: string(e.Analysis),
		ClusterName: e.ClusterDetails.ClusterName, ClusterAlias: e.ClusterDetails.ClusterAlias, CountAffectedReplicas: int(e.CountReplicas),
		IsActionable: e.IsActionableRecovery, ProcessingNodeHostname: rc.d.Holder.Hostname, ProcessingNodeToken: rc.d.Holder.Token,
		Explanation: strings.Join(e.Explanation, "\n")})
	if err != nil {
		if ctx.Err() == nil {
			log.Errorf("%v", err)
		}
		return
	}
	if !isNew || len(rc.conf().OnFailureDetectionProcesses) == 0 {
		return
	}
	r := rc.newRecovery(e, kindOf(e.Analysis), "")
	r.UID = ""
	if err := rc.runHooks(ctx, "OnFailureDetectionProcesses", rc.conf().OnFailureDetectionProcesses, rc.hookVarsOf(r, nil)); err != nil {
		log.Errorf("detection hooks for %s: %v", e.AnalyzedInstanceKey, err)
	}
}

// automated runs an automatic recovery for an actionable entry.
func (rc *Recoverer) automated(ctx context.Context, e analysis.ReplicationAnalysis, leader Fence) {
	if why := rc.automationRefusal(ctx, e, kindOf(e.Analysis)); why != "" {
		rc.recordSkipped(ctx, e, why)
		return
	}
	r, err := rc.recoverFenced(ctx, Request{Key: e.AnalyzedInstanceKey, Hint: HintAutomated}, leader)
	switch {
	case err == nil:
		log.Infof("recovered %s (%s): new master/successor %s", e.AnalyzedInstanceKey, e.Analysis, r.SuccessorKey)
	case errors.Is(err, ErrLocked), errors.Is(err, ErrBlocked), IsNotAttempted(err):
		log.Debugf("no recovery of %s: %v", e.AnalyzedInstanceKey, err)
	default:
		log.Errorf("recovery of %s: %v", e.AnalyzedInstanceKey, err)
	}
}

// maintain ends expired detection and recovery periods and revisits
// recent failovers.
func (rc *Recoverer) maintain(ctx context.Context, leader Fence) {
	rc.flushUnresolved(ctx)
	period := time.Duration(rc.conf().FailureDetectionPeriodBlockMinutes) * time.Minute
	if period <= 0 {
		period = detectionPeriod
	}
	if _, err := rc.d.Store.ExpireDetections(ctx, period); err != nil && ctx.Err() == nil {
		log.Errorf("expire detections: %v", err)
	}
	block := rc.conf().RecoveryPeriodBlock()
	if _, err := rc.d.Store.ExpireRecoveryPeriods(ctx, block); err != nil && ctx.Err() == nil {
		log.Errorf("expire recovery periods: %v", err)
	}
	rc.revisit(ctx, leader)
}

// revisit completes the data-safety report of recent master failovers
// once the failed master answers again, and sets it read-only (fenced by
// leader).
func (rc *Recoverer) revisit(ctx context.Context, leader Fence) {
	rows, err := rc.d.Store.RecoveriesToRevisit(ctx)
	if err != nil {
		return
	}
	for _, row := range rows {
		if row.SuccessorKey.Hostname == "" || row.DataSafety == "" {
			continue
		}
		failed, err := rc.d.Reader.Instance(ctx, row.Key)
		if err != nil || !failed.IsLastCheckValid || !failed.LastChecked.After(row.EndRecovery) {
			continue
		}
		// It answers again: act on fresh reads of both, not on the poll's.
		failed, newMaster, err := rc.freshPair(ctx, row.Key, row.SuccessorKey)
		if err != nil {
			continue
		}
		r := fromRow(row)
		r.fence = leader
		rc.completeSafety(ctx, &r, failed, newMaster)
	}
}

// freshPair probes a and b now and reads them back.
func (rc *Recoverer) freshPair(ctx context.Context, a, b inst.InstanceKey) (*inst.Instance, *inst.Instance, error) {
	var out [2]*inst.Instance
	for n, key := range []inst.InstanceKey{a, b} {
		if err := rc.fresh(ctx, key); err != nil {
			return nil, nil, err
		}
		i, err := rc.d.Reader.Instance(ctx, key)
		if err != nil {
			return nil, nil, err
		}
		if !i.IsLastCheckValid {
			return nil, nil, fmt.Errorf("%s: last check invalid", key)
		}
		out[n] = i
	}
	return out[0], out[1], nil
}

func (rc *Recoverer) completeSafety(ctx context.Context, r *TopologyRecovery, failed, newMaster *inst.Instance) {
	rep := r.DataSafety
	if how := rejoined(failed, newMaster); how != "" {
		rep.noteRejoined(failed, how, time.Now())
		rc.step(ctx, r, "data safety: %s", rep.FailedMasterReadOnlyNote)
		rc.storeSafety(ctx, r)
		return
	}
	if !failed.ReadOnly && failed.IsMaster() {
		c, cancel := context.WithTimeout(ctx, readOnlyTimeout)
		err := rc.apply(r).SetReadOnly(c, failed.Key, true)
		cancel()
		rep.FailedMasterSetReadOnly = err == nil
		rep.FailedMasterReadOnlyNote = "the failed master answered again and was writable: set read_only=1"
		if err != nil {
			rep.FailedMasterReadOnlyNote = "the failed master answered again and is writable; setting read_only=1 failed: " + err.Error()
		}
		rc.step(ctx, r, "%s", rep.FailedMasterReadOnlyNote)
	}
	rep.checkFailedMaster(failed, newMaster, time.Now())
	rc.step(ctx, r, "data safety: the failed master %s is readable again at %s; transactions it has that the new master %s lacks: %q",
		failed.Key, rep.FailedMasterPosition, newMaster.Key, rep.LostTransactions)
	rc.storeSafety(ctx, r)
}

func (rc *Recoverer) storeSafety(ctx context.Context, r *TopologyRecovery) {
	row := rc.toRow(r)
	if err := rc.d.Store.SetRecoveryDataSafety(ctx, r.UID, row.DataSafety); err != nil {
		log.Errorf("%v", err)
	}
}
