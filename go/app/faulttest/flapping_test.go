package faulttest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// blockedRecovery is one entry of /api/blocked-recoveries.
type blockedRecovery struct {
	FailedInstanceKey struct {
		Hostname string
		Port     int
	}
	Analysis           string
	BlockingRecoveryId int64 //nolint:revive // upstream JSON name
	Reason             string
}

// TestFlapping: the master is killed → one recovery; the old master is
// started again and the new master killed inside RecoveryPeriodBlockSeconds
// → no second recovery, the failure is listed by /api/blocked-recoveries
// on every node, and exactly one recovery row exists.
func TestFlapping(t *testing.T) {
	f := newFixture(t, 2, nil)
	s := f.StartSampler()
	require.NoError(t, f.sb.Kill(f.sb.MasterPort))
	first := f.waitRecovery(f.sb.MasterPort, 30*time.Second)
	newMaster := first.SuccessorPort
	require.Contains(t, []int{f.sb.Replica1Port, f.sb.Replica2Port}, newMaster)

	require.NoError(t, f.sb.StartOne(f.sb.MasterPort)) // the old master comes back, detached
	require.NoError(t, f.sb.Kill(newMaster))
	f.waitBlocked(f.Nodes[0], newMaster)
	for _, nd := range f.Nodes {
		var again []blockedRecovery
		code := f.GetJSON(nd, "/api/blocked-recoveries", &again)
		require.Equal(t, http.StatusOK, code, nd.Name)
		require.NotEmpty(t, again, "%s lists the blocked recovery", nd.Name)
	}
	time.Sleep(3 * time.Second) // several detection rounds while blocked
	rows := f.checkInvariants()
	require.Len(t, rows, 1, "exactly one recovery row: %+v", rows)
	require.Equal(t, f.sb.MasterPort, rows[0].Port)
	s.Check(t)
}

// waitBlocked waits until the node's /api/blocked-recoveries lists an
// anti-flapping block of the server on port.
func (f *fixture) waitBlocked(nd *service.Node, port int) {
	f.T.Helper()
	f.Eventually(30*time.Second, fmt.Sprintf("a blocked recovery of %d", port), func() bool {
		var blocked []blockedRecovery
		if f.GetJSON(nd, "/api/blocked-recoveries", &blocked) != http.StatusOK {
			return false
		}
		for _, b := range blocked {
			if b.FailedInstanceKey.Port == port && strings.Contains(b.Reason, "blocked by recovery") {
				return true
			}
		}
		return false
	})
}
