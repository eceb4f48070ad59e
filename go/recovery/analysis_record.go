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
	mu      sync.Mutex
	codes   map[inst.InstanceKey]string
	started map[string]time.Time // per cluster: start of the check last stored
}

func newAnalysisRecord() *analysisRecord {
	return &analysisRecord{codes: map[inst.InstanceKey]string{}, started: map[string]time.Time{}}
}

// store hands write the codes of a check started at started that differ
// from those stored, leaving out clusters a newer check has stored since.
// The codes count as stored while write runs (outside the lock: a large
// write must not hold up a check of one cluster), and are forgotten if it
// fails, so the next check writes them again. Nothing changed: write is not
// called.
func (r *analysisRecord) store(entries []analysis.ReplicationAnalysis, started time.Time, write func(map[inst.InstanceKey]string) error) {
	changed := r.claim(entries, started)
	if len(changed) == 0 || write(changed) == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, code := range changed {
		if r.codes[k] == code {
			delete(r.codes, k)
		}
	}
}

// claim returns the changed codes and marks them stored.
func (r *analysisRecord) claim(entries []analysis.ReplicationAnalysis, started time.Time) map[inst.InstanceKey]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := map[inst.InstanceKey]string{}
	for _, e := range entries {
		c := e.ClusterDetails.ClusterName
		if r.started[c].After(started) {
			continue
		}
		r.started[c] = started
		if code := string(e.Analysis); r.codes[e.AnalyzedInstanceKey] != code {
			changed[e.AnalyzedInstanceKey] = code
			r.codes[e.AnalyzedInstanceKey] = code
		}
	}
	return changed
}
