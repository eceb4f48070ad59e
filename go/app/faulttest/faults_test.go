package faulttest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// TestIntermediateMasterFaults: kill -9 of replica1 (replica3's master)
// → one intermediate-master recovery relocating replica3; then SIGSTOP of
// replica2 (a plain replica) → nothing recovered for it.
func TestIntermediateMasterFaults(t *testing.T) {
	f := newFixture(t, 2, nil)
	s := f.StartSampler()
	require.NoError(t, f.sb.Kill(f.sb.Replica1Port))
	rec := f.waitRecovery(f.sb.Replica1Port, 30*time.Second)
	require.Contains(t, rec.Analysis, "DeadIntermediateMaster")
	require.Contains(t, []int{f.sb.MasterPort, f.sb.Replica2Port}, rec.SuccessorPort)
	require.Equal(t, fmt.Sprint(rec.SuccessorPort), masterPortOf(t, f.sb, f.sb.Replica3Port))

	require.NoError(t, f.sb.Pause(f.sb.Replica2Port))
	time.Sleep(4 * time.Second) // several detection rounds with a hung replica
	require.NoError(t, f.sb.Resume(f.sb.Replica2Port))
	rows := f.checkInvariants()
	require.Len(t, rows, 1, "only the intermediate master was recovered: %+v", rows)
	s.Check(t)
}

// TestReplicaFaults: kill -9 of replica2 and SIGSTOP of replica3 at rest
// → no recovery, nobody's replication stopped; both come back.
func TestReplicaFaults(t *testing.T) {
	f := newFixture(t, 2, nil)
	require.NoError(t, f.sb.Kill(f.sb.Replica2Port))
	require.NoError(t, f.sb.Pause(f.sb.Replica3Port))
	time.Sleep(4 * time.Second)
	require.NoError(t, f.sb.Resume(f.sb.Replica3Port))
	require.NoError(t, f.sb.StartOne(f.sb.Replica2Port))
	require.Empty(t, f.checkInvariants(), "a replica failure is not recovered")
	f.waitDiscovered()
}

// slowFailover delays every failover by a PreFailoverProcesses hook, so
// that a fault can land in the middle of the recovery.
func slowFailover(cfg map[string]any) {
	cfg["PreFailoverProcesses"] = []string{"sleep 2"}
}

// waitRecoveryInProgress waits for a started, unfinished recovery row.
func (f *fixture) waitRecoveryInProgress() {
	f.T.Helper()
	f.Eventually(30*time.Second, "a recovery in progress", func() bool {
		var n int
		return f.query(`SELECT COUNT(*) FROM topology_recovery WHERE end_recovery IS NULL`).Scan(&n) == nil && n > 0
	})
}

// waitAllEnded waits up to 30 s for every recovery row to have ended
// (successful, failed or interrupted).
func (f *fixture) waitAllEnded() {
	f.T.Helper()
	f.Eventually(30*time.Second, "every recovery ended (successful, failed or interrupted)", func() bool {
		var n int
		return f.query(`SELECT COUNT(*) FROM topology_recovery WHERE end_recovery IS NULL`).Scan(&n) == nil && n == 0
	})
}

// TestLeaderFaultsDuringRecovery: the master dies and, while its recovery
// runs (held 2 s in a pre-failover hook), the leader node is killed
// (kill -9) or stopped (SIGSTOP, resumed after another node took over).
// The new leader records the cut-short recovery as interrupted at once
// and releases its lock; having been cut short before it recorded any
// promotion, it does not block: the new leader recovers the master
// exactly once, with no acknowledgement needed. Throughout: one leader at
// every sample; afterwards replication running everywhere.
func TestLeaderFaultsDuringRecovery(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFixture(t, 3, slowFailover)
			s := f.StartSampler()
			leader := f.Leader()
			require.NotNil(t, leader)
			require.NoError(t, f.sb.Kill(f.sb.MasterPort))
			f.waitRecoveryInProgress()
			leader.Signal(t, sig)
			next := f.WaitLeader(service.Expire+5*time.Second, leader)
			if sig == syscall.SIGSTOP {
				leader.Signal(t, syscall.SIGCONT)
			}
			f.Eventually(10*time.Second, "the cut-short recovery is recorded as interrupted", func() bool {
				rows := f.recoveries()
				return len(rows) >= 1 && rows[0].Interrupted && rows[0].Ended && !rows[0].Successful
			})
			rec := f.waitRecovery(f.sb.MasterPort, 30*time.Second)
			t.Logf("promoted %d; new leader %s", rec.SuccessorPort, next.Name)
			rows := f.checkInvariants()
			require.Len(t, rows, 2, "the interrupted recovery and the new leader's: %+v", rows)
			s.Check(t)
		})
	}
}

// TestBackendFaults: the backend MariaDB is killed (kill -9) at rest →
// no node leads while it is down and every node reports unhealthy; it is
// started again → one leader, and a master failure is then recovered
// once. A SIGSTOP of the backend during that recovery follows: afterwards
// still one promotion and every recovery ended.
func TestBackendFaults(t *testing.T) {
	f := newFixture(t, 2, slowFailover)
	require.NoError(t, f.sb.Kill(f.sb.BackendPort))
	f.Eventually(service.Expire+5*time.Second, "no node leads without the backend", func() bool {
		return len(f.HTTPLeaders()) == 0
	})
	for _, nd := range f.Nodes {
		var env struct{ Details struct{ Healthy bool } }
		code := f.GetJSON(nd, "/api/health", &env)
		require.True(t, code != http.StatusOK || !env.Details.Healthy, "%s healthy without a backend (%d)", nd.Name, code)
	}
	require.NoError(t, f.sb.StartOne(f.sb.BackendPort))
	s := f.StartSampler()
	f.WaitLeader(20*time.Second, nil)
	f.waitDiscovered()

	require.NoError(t, f.sb.Kill(f.sb.MasterPort))
	f.waitRecoveryInProgress()
	require.NoError(t, f.sb.Pause(f.sb.BackendPort))
	time.Sleep(3 * time.Second)
	require.NoError(t, f.sb.Resume(f.sb.BackendPort))
	f.WaitLeader(20*time.Second, nil)
	f.waitRecovery(f.sb.MasterPort, 60*time.Second)
	f.waitAllEnded()
	f.checkInvariants()
	s.Check(t)
}

// TestServerFaultsDuringRecovery: while a master recovery runs (held 2 s
// in a pre-failover hook), another server dies.
//
//   - A replica (kill -9 of replica2): the recovery goes on and promotes
//     replica1 with replica2 lost.
//   - The backend (kill -9; started again once the recovery has tried to
//     record its next step and its end, well within the leader expiry):
//     the recovery cannot record its steps and stops before changing
//     anything. It must then be recorded as ended (failed or
//     interrupted) once the backend is back; it blocks a new attempt
//     (visible in /api/blocked-recoveries) until acknowledged, after which
//     the master is recovered once.
//
// Throughout: one leader at every sample; afterwards the invariants.
func TestServerFaultsDuringRecovery(t *testing.T) {
	cases := []struct {
		name    string
		fault   func(f *fixture, leader *service.Node) error
		aborted bool // the first recovery cannot complete
	}{
		{"replica kill -9", func(f *fixture, _ *service.Node) error { return f.sb.Kill(f.sb.Replica2Port) }, false},
		{"backend kill -9", func(f *fixture, leader *service.Node) error {
			if err := f.sb.Kill(f.sb.BackendPort); err != nil {
				return err
			}
			f.Eventually(10*time.Second, "the recovery fails to record its end", func() bool {
				return strings.Contains(leader.LogText(), "ERROR resolve recovery")
			})
			return f.sb.StartOne(f.sb.BackendPort)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2, slowFailover)
			s := f.StartSampler()
			leader := f.Leader()
			require.NotNil(t, leader)
			require.NoError(t, f.sb.Kill(f.sb.MasterPort))
			f.waitRecoveryInProgress()
			require.NoError(t, tc.fault(f, leader))
			f.waitAllEnded()
			if first := f.recoveries()[0]; tc.aborted && !first.Interrupted {
				// Failed while the node stayed leader: it blocks until
				// acknowledged. (Interrupted by a loss of leadership before
				// any promotion was recorded, it does not block.)
				require.False(t, first.Successful)
				leader := f.WaitLeader(20*time.Second, nil)
				f.waitBlocked(leader, f.sb.MasterPort)
				code, body := f.Get(leader, "/api/ack-all-recoveries?comment="+url.QueryEscape("aborted while the backend was down; checked"))
				require.Equal(t, http.StatusOK, code, string(body))
			} else if tc.aborted {
				require.False(t, first.Successful)
			}
			rec := f.waitRecovery(f.sb.MasterPort, 30*time.Second)
			require.Contains(t, []int{f.sb.Replica1Port, f.sb.Replica2Port}, rec.SuccessorPort)
			t.Logf("promoted %d; lost %s", rec.SuccessorPort, rec.LostSlaves)
			f.checkInvariants()
			s.Check(t)
		})
	}
}
