package recovery

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// comStopSlave is the server's count of STOP SLAVE statements.
func (f *fixture) comStopSlave(t *testing.T, k inst.InstanceKey) int {
	t.Helper()
	out, err := f.sb.SQL(k.Port, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='COM_STOP_SLAVE'")
	require.NoError(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(out))
	require.NoError(t, err)
	return n
}

// TestLaggingReplicasOfUnreachableMasterRestarted: orchestrator alone is
// cut off from the master while every replica lags (ReplicationLagQuery
// says 100 s): UnreachableMasterWithLaggingReplicas. The emergent
// operation restarts the replicas' IO threads (audited, at most once per
// five poll intervals each); they reconnect, so nothing is promoted.
func TestLaggingReplicasOfUnreachableMasterRestarted(t *testing.T) {
	p, dial := masterThroughProxy(t)
	f := setup(t, func(c *config.Config) { c.ReplicationLagQuery = "SELECT 100" }, dial)
	ctx := context.Background()
	before := map[inst.InstanceKey]int{f.r1: f.comStopSlave(t, f.r1), f.r2: f.comStopSlave(t, f.r2)}
	f.runLoops(t)
	p.cutOff()
	var last analysis.Code
	require.Eventually(t, func() bool {
		entries, err := f.rc.Analyze(ctx, f.master.String(), true)
		require.NoError(t, err)
		for _, e := range entries {
			if e.AnalyzedInstanceKey == f.master {
				last = e.Analysis
			}
		}
		return last == analysis.UnreachableMasterWithLaggingReplicas
	}, 15*time.Second, 100*time.Millisecond, "analysis: %s", last)
	restarted := map[inst.InstanceKey]int{}
	require.Eventually(t, func() bool {
		for k, n := range before {
			restarted[k] = f.comStopSlave(t, k)
			if restarted[k] == n {
				return false
			}
		}
		return true
	}, 15*time.Second, 100*time.Millisecond, "both replicas' IO threads restarted")
	for k := range before {
		audit, err := f.store.ReadAudit(ctx, 0, &k)
		require.NoError(t, err)
		found := false
		for _, a := range audit {
			found = found || a.AuditType == "emergently-restart-replication"
		}
		require.True(t, found, "restart of %s audited: %+v", k, audit)
	}
	// Within the spacing (5 s at InstancePollSeconds=1), while checks run
	// every second, no second restart.
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		for k, n := range restarted {
			require.Equal(t, n, f.comStopSlave(t, k), "%s restarted once per spacing", k)
		}
	}
	for k := range restarted {
		require.Equal(t, f.master.Port, f.masterPortOf(t, k))
		require.NoError(t, f.sb.WaitReplicating(ctx, k.Port), "%s reconnected to its live master", k)
	}
	list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{})
	require.NoError(t, err)
	require.Empty(t, list, "nothing promoted")
}
