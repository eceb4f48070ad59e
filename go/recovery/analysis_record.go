package recovery

import (
	"sync"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/inst"
)

// analysisRecord is what the loop last stored of each instance's analysis
// code. Checks of one cluster run while a check of every cluster is under
// way, so the newest analysis of a cluster wins: entries from a check that
// started before the last stored check of their cluster are not stored.
type analysisRecord struct {
	mu      sync.Mutex // held while storing, so stores do not interleave
	codes   map[inst.InstanceKey]string
	started map[string]time.Time // per cluster: start of the check last stored
}

func newAnalysisRecord() *analysisRecord {
	return &analysisRecord{codes: map[inst.InstanceKey]string{}, started: map[string]time.Time{}}
}

// store hands write the codes of a check started at started that differ
// from those stored, leaving out clusters a newer check has stored since,
// and remembers them once written. Nothing changed: write is not called.
func (r *analysisRecord) store(entries []analysis.ReplicationAnalysis, started time.Time, write func(map[inst.InstanceKey]string) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := map[inst.InstanceKey]string{}
	for _, e := range entries {
		if r.started[e.ClusterDetails.ClusterName].After(started) {
			continue
		}
		if code := string(e.Analysis); r.codes[e.AnalyzedInstanceKey] != code {
			changed[e.AnalyzedInstanceKey] = code
		}
	}
	if len(changed) > 0 && write(changed) != nil {
		return
	}
	for k, code := range changed {
		r.codes[k] = code
	}
	for _, e := range entries {
		if c := e.ClusterDetails.ClusterName; !r.started[c].After(started) {
			r.started[c] = started
		}
	}
}
