package discovery

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestShardedWriterWritesShardsInParallel holds every write until four
// batches are being written at once: with four shards that must happen
// (with one batch writer it never would). Each instance always lands in
// the same shard, so its rows keep their order, and every row is stored.
func TestShardedWriterWritesShardsInParallel(t *testing.T) {
	const shards, rows = 4, 400
	var mu sync.Mutex
	inFlight, peak := 0, 0
	allBusy := make(chan struct{})
	var releaseAll sync.Once
	shardOf := map[inst.InstanceKey]map[*batchWriter]bool{}
	stored := map[inst.InstanceKey][]uint{}
	w := newShardedWriter(func(_ context.Context, list []*inst.Instance) error {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		if inFlight == shards { // later batches may reach it again
			releaseAll.Do(func() { close(allBusy) })
		}
		for _, i := range list {
			stored[i.Key] = append(stored[i.Key], i.ServerID)
		}
		mu.Unlock()
		<-allBusy
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil
	}, 500, shards) // a backlog of 500 rows per shard: no Submit here waits
	ctx := context.Background()
	for round := uint(1); round <= 2; round++ {
		for n := 0; n < rows/2; n++ {
			i := instance(n)
			i.ServerID = round
			b := w.shard(i.Key)
			if shardOf[i.Key] == nil {
				shardOf[i.Key] = map[*batchWriter]bool{}
			}
			shardOf[i.Key][b] = true
			w.Submit(ctx, i)
		}
	}
	select {
	case <-allBusy:
	case <-time.After(10 * time.Second):
		t.Fatalf("never %d batches written at once", shards)
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, ids := range stored {
			n += len(ids)
		}
		return n == rows && inFlight == 0
	}, 10*time.Second, time.Millisecond)
	batches, written := w.counts()
	require.Equal(t, int64(rows), written)
	require.GreaterOrEqual(t, batches, int64(shards), "every shard wrote")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, shards, peak)
	require.Len(t, stored, rows/2)
	for key, ids := range stored {
		require.Equal(t, []uint{1, 2}, ids, "%s: rows of one instance stored in probe order", key)
		require.Len(t, shardOf[key], 1, "%s always goes through one shard", key)
	}
}

// TestShardedWriterSharesTheBacklogBound: n shards together hold about as
// many waiting rows as one writer would.
func TestShardedWriterSharesTheBacklogBound(t *testing.T) {
	one := newShardedWriter(nil, 500, 1)
	four := newShardedWriter(nil, 500, 4)
	require.Equal(t, 2000, one.shards[0].maxBacklog)
	total := 0
	for _, b := range four.shards {
		total += b.maxBacklog
	}
	require.Equal(t, 2000, total)
}
