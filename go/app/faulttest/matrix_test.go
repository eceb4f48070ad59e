package faulttest

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// The remaining cells of the fault matrix (docs/reliability.md, rows
// 3m-3x): kill -9 or SIGSTOP of a server in the middle of a recovery or
// of a refactoring. What must hold afterwards is the same in every cell:
// no two promotions for one failure, every recovery ended (successful,
// failed or interrupted), no replica left stopped by us, no lock left,
// the refactoring either finished or recorded as failed or interrupted,
// and one leader at every sample.

// pause stops a server (SIGSTOP) for d, then resumes it.
func (f *fixture) pause(port int, d time.Duration) {
	f.T.Helper()
	require.NoError(f.T, f.sb.Pause(port))
	time.Sleep(d) // the fault's length: a hung server for d
	require.NoError(f.T, f.sb.Resume(port))
}

// kill9 kills a server and starts it again once the check is done.
func (f *fixture) kill9(port int) {
	f.T.Helper()
	require.NoError(f.T, f.sb.Kill(port))
	f.T.Cleanup(func() {
		if !f.sb.Running(port) {
			_ = f.sb.StartOne(port)
		}
	})
}

// TestFaultsDuringRecovery: a failover is held 2 s in its pre-failover
// hook (slowFailover) while another server of the topology fails.
func TestFaultsDuringRecovery(t *testing.T) {
	cases := []struct {
		name         string
		intermediate bool             // the recovery is of replica1 (else of the master)
		fault        func(f *fixture) // applied while that recovery runs
		recovered    []string         // servers that must end recovered: "master"
	}{
		{name: "replica SIGSTOP during a master recovery",
			fault: func(f *fixture) { f.pause(f.sb.Replica2Port, 3*time.Second) }},
		{name: "intermediate master kill -9 during a master recovery",
			fault: func(f *fixture) { f.kill9(f.sb.Replica1Port) }},
		{name: "intermediate master SIGSTOP during a master recovery",
			fault: func(f *fixture) { f.pause(f.sb.Replica1Port, 3*time.Second) }},
		{name: "master kill -9 during an intermediate-master recovery", intermediate: true,
			fault: func(f *fixture) { f.kill9(f.sb.MasterPort) }, recovered: []string{"master"}},
		{name: "master SIGSTOP during an intermediate-master recovery", intermediate: true,
			fault: func(f *fixture) { f.pause(f.sb.MasterPort, 3*time.Second) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2, slowFailover)
			s := f.StartSampler()
			failed := f.sb.MasterPort
			if tc.intermediate {
				failed = f.sb.Replica1Port
			}
			f.kill9(failed)
			f.waitRecoveryInProgress()
			tc.fault(f)
			for _, which := range tc.recovered {
				require.Equal(t, "master", which)
				f.waitRecovery(f.sb.MasterPort, 60*time.Second)
			}
			f.waitAllEnded()
			rows := f.checkInvariants()
			t.Logf("recoveries: %+v", rows)
			require.NotEmpty(t, rows, "the failure was recovered (or the attempt recorded)")
			s.Check(t)
		})
	}
}

// requireMoveAccountedFor: the held move either finished (its answer 200
// and an audit row saying so) or failed cleanly (an error answer, or none
// when its node died) and is audited as failed or interrupted.
func (f *fixture) requireMoveAccountedFor(h *heldMove) {
	f.T.Helper()
	r := h.wait()
	f.T.Logf("move-up answer: %d %v %.200s", r.code, r.err, r.body)
	f.waitNoLocks(60 * time.Second)
	f.Eventually(30*time.Second, "the move-up audited with its outcome", func() bool {
		lines := f.audit()
		if r.err == nil && r.code == http.StatusOK {
			return auditHas(lines, "move-up", f.sb.Replica3Port, "moved")
		}
		return auditHas(lines, "move-up", f.sb.Replica3Port, "failed") || auditHas(lines, "move-up", f.sb.Replica3Port, "interrupted")
	})
}

// TestFaultsDuringRefactoringMatrix: the held move-up of replica3 (see
// holdMoveUp) meets a fault of the master, the intermediate master, the
// moving replica, the node running the move (the leader this time) or
// the backend.
func TestFaultsDuringRefactoringMatrix(t *testing.T) {
	cases := []struct {
		name     string
		onLeader bool
		fault    func(f *fixture, h *heldMove)
	}{
		{name: "master kill -9", fault: func(f *fixture, h *heldMove) {
			f.kill9(f.sb.MasterPort)
			h.unlock()
		}},
		{name: "master SIGSTOP", fault: func(f *fixture, h *heldMove) {
			require.NoError(f.T, f.sb.Pause(f.sb.MasterPort))
			h.unlock()
			time.Sleep(3 * time.Second) // the master hangs while the move goes on
			require.NoError(f.T, f.sb.Resume(f.sb.MasterPort))
		}},
		{name: "intermediate master SIGSTOP", fault: func(f *fixture, h *heldMove) {
			require.NoError(f.T, f.sb.Pause(f.sb.Replica1Port))
			h.unlock()
			time.Sleep(3 * time.Second)
			require.NoError(f.T, f.sb.Resume(f.sb.Replica1Port))
		}},
		{name: "moving replica kill -9", fault: func(f *fixture, h *heldMove) {
			f.kill9(f.sb.Replica3Port)
			h.ftwrl = nil // its connection died with it
			f.T.Cleanup(func() { _ = f.sb.StartOne(f.sb.Replica3Port) })
		}},
		{name: "moving replica SIGSTOP", fault: func(f *fixture, h *heldMove) {
			require.NoError(f.T, f.sb.Pause(f.sb.Replica3Port))
			time.Sleep(3 * time.Second)
			require.NoError(f.T, f.sb.Resume(f.sb.Replica3Port))
			h.unlock()
		}},
		{name: "leader node SIGSTOP past the expiry", onLeader: true, fault: func(f *fixture, h *heldMove) {
			h.node.Signal(f.T, syscall.SIGSTOP)
			f.WaitLeader(service.Expire+5*time.Second, h.node)
			h.unlock()
			h.node.Signal(f.T, syscall.SIGCONT)
		}},
		{name: "leader node kill -9", onLeader: true, fault: func(f *fixture, h *heldMove) {
			h.node.Kill9(f.T)
			f.WaitLeader(service.Expire+5*time.Second, h.node)
			h.unlock()
		}},
		{name: "backend kill -9", fault: func(f *fixture, h *heldMove) {
			f.kill9(f.sb.BackendPort)
			h.unlock()
			time.Sleep(2 * time.Second) // the backend is down while the move goes on
			require.NoError(f.T, f.sb.StartOne(f.sb.BackendPort))
			f.WaitLeader(20*time.Second, nil)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2, nil)
			s := f.StartSampler()
			node := f.follower()
			if tc.onLeader {
				node = f.Leader()
			}
			h := f.holdMoveUp(node)
			tc.fault(f, h)
			f.requireMoveAccountedFor(h)
			f.waitAllEnded()
			rows := f.checkInvariants()
			t.Logf("recoveries: %+v", rows)
			s.Check(t)
		})
	}
}

// TestBackendStoppedAtRest: the backend MariaDB hangs (SIGSTOP) past the
// leader's expiry with nothing failing in the topology → the leader,
// unable to refresh its row, stops acting; nobody else can lead either;
// once the backend resumes, one leader again, every node healthy, no
// recovery; one leader at every sample.
func TestBackendStoppedAtRest(t *testing.T) {
	f := newFixture(t, 2, nil)
	s := f.StartSampler()
	require.NoError(t, f.sb.Pause(f.sb.BackendPort))
	f.Eventually(service.Expire+10*time.Second, "no node leads while the backend hangs", func() bool {
		return len(f.HTTPLeaders()) == 0
	})
	require.NoError(t, f.sb.Resume(f.sb.BackendPort))
	f.WaitLeader(30*time.Second, nil)
	for _, nd := range f.Nodes {
		f.Eventually(20*time.Second, nd.Name+" healthy again", func() bool {
			code, _ := f.Get(nd, "/api/health")
			return code == http.StatusOK
		})
	}
	require.Empty(t, f.checkInvariants(), "nothing failed in the topology: no recovery")
	s.Check(t)
}
