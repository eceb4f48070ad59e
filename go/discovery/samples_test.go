package discovery

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
	"orchestrator/go/sim"
)

// TestSamplesOfProbesQueueAndWrites: every probe (ok and failed) is kept
// with its latencies, every batch write with its rows, and the running
// poll loop samples its queue once a second.
func TestSamplesOfProbesQueueAndWrites(t *testing.T) {
	r := newSimRig(t, sim.Spec{Clusters: 1, Depth: 1, FanOut: 2})
	ctx := context.Background()
	start := time.Now()
	master := r.masterKey(t)
	_, err := r.d.DiscoverTopology(ctx, master)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := inst.InstanceKey{Hostname: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	require.NoError(t, l.Close())
	_, err = r.d.Probe(ctx, closed)
	require.Error(t, err)

	probes := r.d.ProbeSamples(start)
	require.Len(t, probes, 4, "the master, its 2 replicas and the closed port")
	failed := 0
	for _, p := range probes {
		require.False(t, p.At.Before(start))
		require.Positive(t, p.InstanceLatency, p.Key)
		if p.Err != "" {
			failed++
			require.Equal(t, closed, p.Key)
			require.Contains(t, p.Err, "connection refused")
		}
	}
	require.Equal(t, 1, failed)
	require.Empty(t, r.d.ProbeSamples(time.Now().Add(time.Second)))

	rows := 0
	for _, w := range r.d.WriteSamples(start) {
		require.Empty(t, w.Err)
		require.Positive(t, w.Flush)
		rows += w.Instances
	}
	require.Equal(t, 3, rows, "each discovered server stored once")

	require.Empty(t, r.d.QueueSamples(10), "no samples while not polling")
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.d.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return len(r.d.QueueSamples(10)) >= 2 }, 10*time.Second, 50*time.Millisecond,
		"the poll loop samples its queue every second")
	require.Len(t, r.d.QueueSamples(1), 1)
}
