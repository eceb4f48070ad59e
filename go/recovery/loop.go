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
	if rc.emergent(ctx, entries, leader) {
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
	now := time.Now()
	for _, e := range entries {
		if e.Analysis == analysis.NoProblem {
			continue
		}
		key := e.AnalyzedInstanceKey
		actionable := e.IsActionableRecovery && kindOf(e.Analysis) != ""
		if e.SkippableDueToDowntime {
			if actionable {
				rc.skipDowntimed(ctx, e, now)
			}
			continue
		}
		problems = append(problems, key.String()+" "+string(e.Analysis))
		hooks := rc.registerDetection(ctx, e) && len(rc.conf().OnFailureDetectionProcesses) > 0
		attempt := actionable && !rc.gate.held(key, false, now)
		if !hooks && !attempt {
			continue
		}
		if !rc.gate.enter(key) {
			if hooks { // a recovery of it runs here already: the detection's hooks still run
				go func() { _ = rc.detectionHooks(ctx, e) }()
			}
			continue
		}
		go rc.handle(ctx, e, hooks, attempt, leader)
	}
	t.lap("detect")
	if cluster == "" {
		cluster = "every cluster"
	}
	log.Debugf("check of %s: %d problems %v; took %s", cluster, len(problems), problems[:min(len(problems), 5)], t)
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

// registerDetection records a detection once per detection period; it
// reports whether this one is new.
func (rc *Recoverer) registerDetection(ctx context.Context, e analysis.ReplicationAnalysis) bool {
	_, isNew, err := rc.d.Store.InsertDetection(ctx, backend.Detection{Key: e.AnalyzedInstanceKey, Analysis: string(e.Analysis),
		ClusterName: e.ClusterDetails.ClusterName, ClusterAlias: e.ClusterDetails.ClusterAlias, CountAffectedReplicas: int(e.CountReplicas),
		IsActionable: e.IsActionableRecovery, ProcessingNodeHostname: rc.d.Holder.Hostname, ProcessingNodeToken: rc.d.Holder.Token,
		Explanation: strings.Join(e.Explanation, "\n")})
	if err != nil && ctx.Err() == nil {
		log.Errorf("%v", err)
	}
	return isNew
}

// detectionHooks runs OnFailureDetectionProcesses for a new detection.
func (rc *Recoverer) detectionHooks(ctx context.Context, e analysis.ReplicationAnalysis) error {
	r := rc.newRecovery(e, kindOf(e.Analysis), "")
	r.UID = ""
	err := rc.runHooks(ctx, "OnFailureDetectionProcesses", rc.conf().OnFailureDetectionProcesses, rc.hookVarsOf(r, nil))
	if err != nil {
		log.Errorf("detection of %s on %s: %v", e.Analysis, e.AnalyzedInstanceKey, err)
	}
	return err
}

// handle is the loop's work on one entry, in its own goroutine: the
// detection hooks of a new detection, then (attempt) the automatic
// recovery. A failing detection hook aborts this attempt, as upstream
// does: the attempt is recorded as skipped, with the hook's error, and the
// next check, which runs no hooks (they run once per detection), recovers.
func (rc *Recoverer) handle(ctx context.Context, e analysis.ReplicationAnalysis, hooks, attempt bool, leader Fence) {
	defer rc.gate.leave(e.AnalyzedInstanceKey)
	if hooks {
		if err := rc.detectionHooks(ctx, e); err != nil {
			if attempt {
				rc.recordSkipped(ctx, e, fmt.Sprintf("this recovery attempt was aborted because %v; the next check attempts it again "+
					"(detection hooks run once per detection)", err))
			}
			return
		}
	}
	if attempt {
		rc.automated(ctx, e, leader)
	}
}

// skipDowntimed records, at most every refusedRecheck, that an actionable
// entry is not recovered automatically because of a downtime.
func (rc *Recoverer) skipDowntimed(ctx context.Context, e analysis.ReplicationAnalysis, now time.Time) {
	if rc.gate.held(e.AnalyzedInstanceKey, true, now) {
		return
	}
	rc.gate.hold(e.AnalyzedInstanceKey, holdDowntime, now)
	rc.recordSkipped(ctx, e, "not recovered automatically: "+rc.downtimeRefusal(ctx, e))
}

// downtimeRefusal says why a downtimed entry is not recovered, with the
// downtime's owner and reason when the instance itself is downtimed.
func (rc *Recoverer) downtimeRefusal(ctx context.Context, e analysis.ReplicationAnalysis) string {
	why := analysis.DowntimeReason(e)
	if e.IsDowntimed {
		if all, err := rc.d.Store.ActiveDowntimes(ctx); err == nil {
			if d, ok := all[e.AnalyzedInstanceKey]; ok {
				why += fmt.Sprintf(" (by %s: %s)", d.Owner, d.Reason)
			}
		}
	}
	return why + "; end the downtime, or recover it explicitly"
}

// automated runs an automatic recovery for an actionable entry. A refused
// one (filters, global switch, anti-flapping) is held for refusedRecheck.
func (rc *Recoverer) automated(ctx context.Context, e analysis.ReplicationAnalysis, leader Fence) {
	key := e.AnalyzedInstanceKey
	if why := rc.automationRefusal(ctx, e, kindOf(e.Analysis)); why != "" {
		rc.gate.hold(key, holdRefused, time.Now())
		rc.recordSkipped(ctx, e, why)
		return
	}
	r, err := rc.recoverFenced(ctx, Request{Key: key, Hint: HintAutomated}, leader)
	switch {
	case err == nil:
		log.Infof("recovered %s (%s): new master/successor %s", key, e.Analysis, r.SuccessorKey)
	case errors.Is(err, ErrBlocked):
		rc.gate.hold(key, holdRefused, time.Now())
		log.Debugf("no recovery of %s: %v", key, err)
	case errors.Is(err, ErrLocked), IsNotAttempted(err):
		log.Debugf("no recovery of %s: %v", key, err)
	default:
		log.Errorf("recovery of %s: %v", key, err)
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
