package app

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/election"
	"orchestrator/go/recovery"
)

// TestStuckLeaderWorkDoesNotStopTheElection: leader work whose step
// ignores cancellation does not hold the election up. After the node is
// asked to step down the election keeps ticking (node health refreshed),
// the stuck work's fence refuses, and no second term starts beside it
// (the node sits the election out); once it returns, the node leads and
// works again.
func TestStuckLeaderWorkDoesNotStopTheElection(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.sqlite3")
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.EnsureSchema(ctx))

	var mu sync.Mutex
	var fences []recovery.Fence
	unstick := make(chan struct{})
	l := &leaderWork{stepDownWait: 50 * time.Millisecond, work: func(ctx context.Context, fence recovery.Fence) {
		mu.Lock()
		fences = append(fences, fence)
		first := len(fences) == 1
		mu.Unlock()
		if first {
			<-unstick // ignores ctx
			return
		}
		<-ctx.Done()
	}}
	terms := func() int { mu.Lock(); defer mu.Unlock(); return len(fences) }
	fence := func(n int) error { mu.Lock(); f := fences[n]; mu.Unlock(); return f() }
	node := backend.Node{Hostname: "node", Token: "t1", ExtraInfo: "http"}
	el := election.New(store, node, 100*time.Millisecond, time.Second, l.setLeader)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); el.Run(ctx, false) }()
	go func() { defer wg.Done(); l.run(ctx, el) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	require.Eventually(t, func() bool { return terms() == 1 }, 5*time.Second, 10*time.Millisecond, "leader work starts")
	require.NoError(t, fence(0))
	_, err = store.Reelect(ctx)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !el.IsLeader() }, 5*time.Second, 10*time.Millisecond, "the node steps down")
	require.ErrorIs(t, fence(0), recovery.ErrFenced, "the stuck term is fenced")

	health := func() int {
		var n int
		require.NoError(t, store.DB().QueryRowContext(ctx, `SELECT incrementing_indicator FROM node_health WHERE token=?`, node.Token).Scan(&n))
		return n
	}
	from := health()
	require.Eventually(t, func() bool { return health() >= from+5 }, 5*time.Second, 20*time.Millisecond,
		"election ticks go on while leader work is stuck")
	require.Equal(t, 1, terms(), "no second term beside the stuck one")
	require.ErrorIs(t, fence(0), recovery.ErrFenced)

	close(unstick)
	require.Eventually(t, func() bool { return terms() == 2 && el.IsLeader() }, 5*time.Second, 10*time.Millisecond,
		"once the stuck work returned, the node leads and works again")
	require.NoError(t, fence(1))
	require.ErrorIs(t, fence(0), recovery.ErrFenced, "an ended term stays fenced when the node leads again")
}
