package recovery

import (
	"context"
	"fmt"
	"strings"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// Recoveries returns stored recoveries in the API shape, newest first.
func (rc *Recoverer) Recoveries(ctx context.Context, q backend.RecoveryQuery) ([]TopologyRecovery, error) {
	rows, err := rc.d.Store.ReadRecoveries(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]TopologyRecovery, 0, len(rows))
	for _, row := range rows {
		out = append(out, fromRow(row))
	}
	return out, nil
}

// Acknowledge acknowledges the selected recoveries; a comment is required.
func (rc *Recoverer) Acknowledge(ctx context.Context, q backend.RecoveryQuery, by, comment string) (int64, error) {
	if strings.TrimSpace(comment) == "" {
		return 0, fmt.Errorf("%w: a comment is required to acknowledge recoveries", inst.ErrBadRequest)
	}
	if by == "" {
		by = rc.d.Holder.Hostname
	}
	q.All = true
	n, err := rc.d.Store.AckRecoveries(ctx, q, by, comment)
	if err == nil && n > 0 {
		rc.gate.releaseAll() // what the acknowledged recoveries blocked is examined at once
	}
	return n, err
}

// Blocked lists the recoveries refused or skipped within the block period.
func (rc *Recoverer) Blocked(ctx context.Context, cluster string) ([]backend.BlockedRecovery, error) {
	within := rc.conf().RecoveryPeriodBlock()
	if within <= 0 {
		within = detectionPeriod
	}
	return rc.d.Store.BlockedRecoveries(ctx, cluster, within)
}

// Why explains an instance: its analysis now (with the facts used), the
// recoveries that concerned it and the ones blocked or skipped.
type Why struct {
	Key        inst.InstanceKey
	Analysis   *analysis.ReplicationAnalysis
	Recoveries []TopologyRecovery
	Blocked    []backend.BlockedRecovery
	Lines      []string
}

// Explain gathers the Why of an instance.
func (rc *Recoverer) Explain(ctx context.Context, key inst.InstanceKey) (*Why, error) {
	i, err := rc.d.Reader.Instance(ctx, key)
	if err != nil {
		return nil, err
	}
	w := &Why{Key: key, Blocked: []backend.BlockedRecovery{}}
	entries, whyNone, err := rc.analyzeWhy(ctx, i.ClusterName, true)
	if err != nil {
		return nil, err
	}
	for n := range entries {
		if entries[n].AnalyzedInstanceKey == key {
			e := entries[n]
			w.Analysis = &e
			w.Lines = append(w.Lines, fmt.Sprintf("analysis: %s — %s", e.Analysis, e.Description))
			w.Lines = append(w.Lines, e.Explanation...)
			w.Lines = append(w.Lines, rc.automationLines(ctx, e)...)
		}
	}
	if w.Analysis == nil {
		w.Lines = append(w.Lines, "no analysis entry: "+whyNone(key))
	}
	if w.Recoveries, err = rc.Recoveries(ctx, backend.RecoveryQuery{Key: &key}); err != nil {
		return nil, err
	}
	for _, r := range w.Recoveries {
		w.Lines = append(w.Lines, fmt.Sprintf("recovery %d (%s) at %s: successful=%v, successor=%v", r.Id, r.AnalysisEntry.Analysis, r.RecoveryStartTimestamp, r.IsSuccessful, r.SuccessorKey))
		w.Lines = append(w.Lines, r.Decision...)
	}
	blocked, err := rc.Blocked(ctx, i.ClusterName)
	if err != nil {
		return nil, err
	}
	for _, b := range blocked {
		if b.FailedInstanceKey == key {
			w.Blocked = append(w.Blocked, b)
			w.Lines = append(w.Lines, fmt.Sprintf("recovery not run at %s (%s): %s", b.LastBlockedTimestamp, b.Analysis, b.Reason))
		}
	}
	return w, nil
}

// automationLines say whether an automatic recovery of e would run, and
// if not why: downtime, global switch, cluster filters.
func (rc *Recoverer) automationLines(ctx context.Context, e analysis.ReplicationAnalysis) []string {
	if !e.IsActionableRecovery || kindOf(e.Analysis) == "" {
		return nil
	}
	if e.SkippableDueToDowntime {
		return []string{"no automatic recovery: " + rc.downtimeRefusal(ctx, e)}
	}
	if why := rc.automationRefusal(ctx, e, kindOf(e.Analysis)); why != "" {
		return []string{"no automatic recovery: " + why}
	}
	return nil
}

// Candidate says which replica of key a failover would promote now, from
// the latest probes, without changing anything.
func (rc *Recoverer) Candidate(ctx context.Context, key inst.InstanceKey) (CandidateChoice, error) {
	failed, err := rc.d.Reader.Instance(ctx, key)
	if err != nil {
		return CandidateChoice{}, err
	}
	replicas, err := rc.d.Reader.Replicas(ctx, key)
	if err != nil {
		return CandidateChoice{}, err
	}
	choice, err := ChooseCandidate(failed, replicas, rc.candidateOptions())
	if err != nil {
		return choice, fmt.Errorf("%w: %v", inst.ErrNotFound, err)
	}
	return choice, nil
}
