package discovery

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/sim"
)

// TestHungServersDoNotDelayLiveOnes: 12 servers of a simulated fleet of
// 100 hang (connections accepted, never answered: every probe of one
// lasts its whole timeout), three times as many as the 4 poll workers;
// probed like the others they would hold every worker. The live servers
// are still polled every few intervals: the hung ones wait in the failing
// servers' queue, served by their own workers, and back off.
func TestHungServersDoNotDelayLiveOnes(t *testing.T) {
	r := newSimRig(t, sim.Spec{Clusters: 20, Depth: 1, FanOut: 4, Versions: []string{"mariadb-10.11"}, GTID: true})
	r.cfg.DiscoveryMaxConcurrency = 4
	r.cfg.MySQLConnectTimeoutSeconds, r.cfg.MySQLDiscoveryReadTimeoutSeconds = 1, 1
	ctx := context.Background()
	var live, hung []inst.InstanceKey
	for n, s := range r.sim.Fleet().Servers() {
		key := inst.InstanceKey{Hostname: s.Host, Port: s.Port}
		if s.Master != "" && n%5 == 1 && len(hung) < 12 {
			hung = append(hung, key)
		} else {
			live = append(live, key)
		}
	}
	require.Len(t, hung, 12, "12 of %d servers hang", len(live)+len(hung))
	for _, m := range r.sim.Fleet().Masters() {
		key, err := inst.ParseInstanceKey(m, 3306)
		require.NoError(t, err)
		_, err = r.d.DiscoverTopology(ctx, key)
		require.NoError(t, err)
	}
	for _, k := range hung {
		r.fault(t, sim.FaultHang, k)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.d.Run(runCtx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	// A hung server is probed with the others until its first failure;
	// once every one has failed, it must never hold up the others again.
	require.Eventually(t, func() bool {
		list, err := r.reader.Instances(ctx, backend.InstanceFilter{})
		if err != nil {
			return false
		}
		failed := 0
		for _, i := range list {
			for _, k := range hung {
				if i.Key == k && !i.IsLastCheckValid {
					failed++
				}
			}
		}
		return failed == len(hung)
	}, 30*time.Second, 100*time.Millisecond, "every hung server failed a probe")

	// Every live server checked successfully after the hung ones have
	// had time to occupy workers (a timeout of theirs), again and again.
	for round := 1; round <= 3; round++ {
		since := time.Now().Add(time.Second)
		require.Eventually(t, func() bool {
			list, err := r.reader.Instances(ctx, backend.InstanceFilter{})
			if err != nil {
				return false
			}
			byKey := map[inst.InstanceKey]*inst.Instance{}
			for _, i := range list {
				byKey[i.Key] = i
			}
			for _, k := range live {
				i := byKey[k]
				if i == nil || !i.IsLastCheckValid || !i.LastChecked.After(since) {
					return false
				}
			}
			return true
		}, 3*time.Second, 50*time.Millisecond, "round %d: every live server polled anew within 3 poll intervals while %d hang", round, len(hung))
	}
	st := r.d.Stats()
	require.Positive(t, st.ProbesFailed, "the hung servers were probed and failed")
	require.Positive(t, st.BackedOff, "the hung servers backed off")
}
