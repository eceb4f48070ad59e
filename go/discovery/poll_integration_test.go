package discovery

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// TestPollLoopDiscoversWhatFirstFailed: a server down when it is first
// given to discover is retried by the running poll loop (with back-off)
// and, once it answers, discovered and crawled from, with no explicit
// probe.
func TestPollLoopDiscoversWhatFirstFailed(t *testing.T) {
	r := newRig(t, func(c *config.Config) { c.MySQLConnectTimeoutSeconds = 1 })
	t.Cleanup(func() {
		_ = r.sb.StartOne(r.sb.Replica2Port) // in case the test failed before
		_ = r.sb.Reset(context.Background())
	})
	require.NoError(t, r.sb.StopOne(r.sb.Replica2Port))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	r2 := r.key(r.sb.Replica2Port)
	_, err := r.d.DiscoverTopology(ctx, r2)
	require.Error(t, err, "the server is down")
	i, err := r.store.ReadInstance(ctx, r2)
	require.NoError(t, err, "the failed attempt is recorded")
	require.True(t, i.LastSeen.IsZero())

	require.NoError(t, r.sb.StartOne(r.sb.Replica2Port))
	require.Eventually(t, func() bool {
		i, err := r.reader.Instance(ctx, r2)
		return err == nil && i.IsLastCheckValid && i.MasterKey == r.key(r.sb.MasterPort) && i.ReplicationDepth == 1
	}, 60*time.Second, 100*time.Millisecond, "the poll loop discovers %s once it answers", r2)
	require.Eventually(t, func() bool {
		list, err := r.reader.Cluster(ctx, r2.String())
		return err == nil && len(list) == 4
	}, 30*time.Second, 100*time.Millisecond, "and crawls from it to the whole topology")
}
