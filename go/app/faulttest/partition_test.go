package faulttest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// analysisOf returns the code the node's /api/replication-analysis gives
// the server on port ("" when none).
func (f *fixture) analysisOf(port int) string {
	var env struct {
		Details []struct {
			AnalyzedInstanceKey struct{ Port int }
			Analysis            string
		}
	}
	if f.GetJSON(f.Nodes[0], "/api/replication-analysis", &env) != http.StatusOK {
		return ""
	}
	for _, e := range env.Details {
		if e.AnalyzedInstanceKey.Port == port {
			return e.Analysis
		}
	}
	return ""
}

// cutOffOrchestrator locks orchestrator's MySQL account on the server and
// kills its sessions, without writing to the binary log: orchestrator
// alone loses the server while the replicas (user repl) keep replicating
// from it. The returned func restores the account.
func cutOffOrchestrator(t *testing.T, f *fixture, port int) func() {
	t.Helper()
	const users = "'orchestrator'@'%', 'orchestrator'@'127.0.0.1', 'orchestrator'@'localhost'"
	_, err := f.sb.SQL(port, "SET sql_log_bin=0; ALTER USER "+users+" ACCOUNT LOCK")
	require.NoError(t, err)
	ids, err := f.sb.SQL(port, "SELECT id FROM information_schema.processlist WHERE user='orchestrator'")
	require.NoError(t, err)
	for _, id := range strings.Fields(ids) {
		_, _ = f.sb.SQL(port, "KILL "+id) // a session may end by itself meanwhile
	}
	return func() {
		_, err := f.sb.SQL(port, "SET sql_log_bin=0; ALTER USER "+users+" ACCOUNT UNLOCK")
		require.NoError(t, err)
	}
}

// TestOrchestratorAloneCutOff: the service processes cannot reach the
// master any more but its replicas still replicate from it → analysis
// UnreachableMaster, no recovery, the replicas untouched.
func TestOrchestratorAloneCutOff(t *testing.T) {
	f := newFixture(t, 2, nil)
	restore := cutOffOrchestrator(t, f, f.sb.MasterPort)
	t.Cleanup(restore)
	var last string
	f.Eventually(20*time.Second, "UnreachableMaster", func() bool {
		last = f.analysisOf(f.sb.MasterPort)
		return last == "UnreachableMaster"
	})
	time.Sleep(4 * time.Second) // several detection rounds
	require.Equal(t, "UnreachableMaster", f.analysisOf(f.sb.MasterPort))
	require.Empty(t, f.recoveries(), "no failover when only orchestrator lost the master")
	for _, p := range []int{f.sb.Replica1Port, f.sb.Replica2Port} {
		require.Equal(t, fmt.Sprint(f.sb.MasterPort), masterPortOf(t, f.sb, p))
	}
	restore()
	f.checkInvariants()
}

// TestMasterCutOffFromEverybody: the master stops answering anyone
// (SIGSTOP: its sockets stay open, nothing is answered) → DeadMaster and
// one failover.
func TestMasterCutOffFromEverybody(t *testing.T) {
	f := newFixture(t, 2, nil)
	require.NoError(t, f.sb.Pause(f.sb.MasterPort))
	rec := f.waitRecovery(f.sb.MasterPort, 40*time.Second)
	require.Contains(t, rec.Analysis, "DeadMaster")
	require.NoError(t, f.sb.Resume(f.sb.MasterPort))
	f.checkInvariants()
}
