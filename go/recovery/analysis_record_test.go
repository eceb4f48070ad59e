package recovery

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/inst"
)

func entry(cluster string, port int, code analysis.Code) analysis.ReplicationAnalysis {
	e := analysis.ReplicationAnalysis{AnalyzedInstanceKey: inst.InstanceKey{Hostname: "h", Port: port}, Analysis: code}
	e.ClusterDetails.ClusterName = cluster
	return e
}

// TestAnalysisRecordNewestWins: only changed codes are written; a check
// that started before the last stored check of a cluster does not
// overwrite it; a failed write is written again next time.
func TestAnalysisRecordNewestWins(t *testing.T) {
	r := newAnalysisRecord()
	var wrote []map[inst.InstanceKey]string
	write := func(m map[inst.InstanceKey]string) error { wrote = append(wrote, m); return nil }
	t0 := time.Now()
	full := []analysis.ReplicationAnalysis{entry("a", 1, analysis.NoProblem), entry("b", 2, analysis.NoProblem)}

	r.store([]analysis.ReplicationAnalysis{entry("a", 1, analysis.DeadMaster)}, t0.Add(time.Second), write)
	r.store(full, t0, write) // older full check: cluster a left alone
	require.Equal(t, []map[inst.InstanceKey]string{
		{{Hostname: "h", Port: 1}: string(analysis.DeadMaster)},
		{{Hostname: "h", Port: 2}: string(analysis.NoProblem)},
	}, wrote)

	wrote = nil
	r.store(full[1:], t0.Add(2*time.Second), write)
	require.Empty(t, wrote, "unchanged codes are not written")

	failed := func(map[inst.InstanceKey]string) error { return errors.New("backend down") }
	r.store([]analysis.ReplicationAnalysis{entry("b", 2, analysis.DeadMaster)}, t0.Add(3*time.Second), failed)
	r.store([]analysis.ReplicationAnalysis{entry("b", 2, analysis.DeadMaster)}, t0.Add(4*time.Second), write)
	require.Equal(t, []map[inst.InstanceKey]string{{{Hostname: "h", Port: 2}: string(analysis.DeadMaster)}}, wrote)
}
