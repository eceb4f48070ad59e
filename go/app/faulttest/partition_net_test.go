package faulttest

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// Network partitions made with iptables on loopback. The service nodes
// run as nobody, so a rule matching that user's packets (-m owner) cuts
// orchestrator alone off from a server while the replicas (mariadbd, run
// as root) still reach it; a rule on every packet to the server's port
// cuts it off from everybody. Packets are dropped, not refused: a
// partition hangs connections, it does not reset them. Rules are removed
// when the test ends. The test's own SQL goes over the servers' unix
// sockets, which no rule touches.

// iptables adds (-I) a rule to the OUTPUT chain and returns the func that
// removes it (-D), called at cleanup too if not before; a missing
// iptables fails the test (script/bootstrap installs it).
func iptables(t *testing.T, rule ...string) (heal func()) {
	t.Helper()
	path, err := exec.LookPath("iptables")
	require.NoError(t, err, "iptables is needed for the partition tests (script/bootstrap installs it)")
	add := append([]string{"-w", "-I", "OUTPUT", "1"}, rule...)
	out, err := exec.Command(path, add...).CombinedOutput()
	require.NoError(t, err, "iptables %s: %s", strings.Join(add, " "), out)
	var once sync.Once
	heal = func() {
		once.Do(func() {
			del := append([]string{"-w", "-D", "OUTPUT"}, rule...)
			if out, err := exec.Command(path, del...).CombinedOutput(); err != nil {
				t.Errorf("iptables %s: %v: %s", strings.Join(del, " "), err, out)
			}
		})
	}
	t.Cleanup(heal)
	return heal
}

// cutOff drops packets to port on loopback: orchestrator's (nobody's)
// only when alone, else everybody's. It returns the func that heals it.
func cutOff(t *testing.T, port int, alone bool) (heal func()) {
	rule := []string{"-o", "lo", "-p", "tcp", "--dport", strconv.Itoa(port)}
	if alone {
		rule = append(rule, "-m", "owner", "--uid-owner", strconv.Itoa(int(service.Nobody.Uid)))
	}
	return iptables(t, append(rule, "-j", "DROP")...)
}

// TestNetworkPartitionOrchestratorAlone: the service nodes' packets to
// the master are dropped while its replicas keep replicating from it →
// UnreachableMaster, no recovery, the replicas untouched; once the
// partition heals, the master is healthy again.
func TestNetworkPartitionOrchestratorAlone(t *testing.T) {
	f := newFixtureWith(t, 2, nil, service.RunAsNobody)
	s := f.StartSampler()
	heal := cutOff(t, f.sb.MasterPort, true)
	var last string
	f.Eventually(30*time.Second, "UnreachableMaster", func() bool {
		last = f.analysisOf(f.sb.MasterPort)
		return last == "UnreachableMaster"
	})
	f.writeAndWait(f.sb.Replica1Port, f.sb.Replica2Port, f.sb.Replica3Port) // the replicas still replicate
	time.Sleep(5 * time.Second)                                             // several detection rounds, partitioned
	require.Equal(t, "UnreachableMaster", f.analysisOf(f.sb.MasterPort))
	require.Empty(t, f.recoveries(), "no failover when only orchestrator lost the master")
	for _, p := range []int{f.sb.Replica1Port, f.sb.Replica2Port} {
		require.Equal(t, fmt.Sprint(f.sb.MasterPort), masterPortOf(t, f.sb, p))
	}
	heal()
	f.Eventually(30*time.Second, "the master reachable again", func() bool { return f.analysisOf(f.sb.MasterPort) == "" })
	f.checkInvariants()
	s.Check(t)
}

// TestNetworkPartitionMasterFromEverybody: every packet to the master is
// dropped (orchestrator's and the replicas') → the replicas' connections
// hang until they time out, the master is DeadMaster, and it is failed
// over once.
func TestNetworkPartitionMasterFromEverybody(t *testing.T) {
	f := newFixtureWith(t, 2, nil, service.RunAsNobody)
	s := f.StartSampler()
	heal := cutOff(t, f.sb.MasterPort, false)
	rec := f.waitRecovery(f.sb.MasterPort, 60*time.Second)
	require.Contains(t, rec.Analysis, "DeadMaster")
	require.Contains(t, []int{f.sb.Replica1Port, f.sb.Replica2Port}, rec.SuccessorPort)
	other := map[int]int{f.sb.Replica1Port: f.sb.Replica2Port, f.sb.Replica2Port: f.sb.Replica1Port}[rec.SuccessorPort]
	out, err := f.sb.SQL(rec.SuccessorPort, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "0", out, "the new master is writable")
	require.Equal(t, fmt.Sprint(rec.SuccessorPort), masterPortOf(t, f.sb, other), "the other replica follows it")
	heal()
	f.checkInvariants()
	s.Check(t)
}
