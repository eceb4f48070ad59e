package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestBatchWriterGroupsConcurrentWrites holds the first write until the
// others have queued: they must then go out as one batch, and every
// caller returns once its own row is written.
func TestBatchWriterGroupsConcurrentWrites(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]*inst.Instance
	b := newBatchWriter(func(_ context.Context, list []*inst.Instance) error {
		mu.Lock()
		first := len(batches) == 0
		batches = append(batches, list)
		mu.Unlock()
		if first {
			<-release
		}
		return nil
	}, 0)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); require.NoError(t, b.Write(ctx, instance(0))) }()
	for len(pendingOf(b)) != 0 || countOf(&mu, &batches) == 0 {
		time.Sleep(time.Millisecond)
	}
	for n := 1; n <= 20; n++ {
		wg.Add(1)
		go func(n int) { defer wg.Done(); require.NoError(t, b.Write(ctx, instance(n))) }(n)
	}
	for len(pendingOf(b)) != 20 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	require.Len(t, batches, 2)
	require.Len(t, batches[0], 1)
	require.Len(t, batches[1], 20)
	nb, rows := b.counts()
	require.Equal(t, int64(2), nb)
	require.Equal(t, int64(21), rows)
}

func TestBatchWriterReportsErrorsToEachCaller(t *testing.T) {
	boom := errors.New("backend down")
	b := newBatchWriter(func(context.Context, []*inst.Instance) error { return boom }, 0)
	require.ErrorIs(t, b.Write(context.Background(), instance(1)), boom)
}

// TestBatchWriterSubmitDoesNotWait: a submitted row is stored without its
// caller waiting, and a full backlog makes the submitter wait for room.
func TestBatchWriterSubmitDoesNotWait(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]*inst.Instance
	b := newBatchWriter(func(_ context.Context, list []*inst.Instance) error {
		<-release
		mu.Lock()
		batches = append(batches, list)
		mu.Unlock()
		return nil
	}, 2)
	ctx := context.Background()
	for n := 0; n < b.maxBacklog; n++ {
		b.Submit(ctx, instance(n)) // below the backlog bound: returns at once
	}
	for nb, _ := b.counts(); nb == 0; nb, _ = b.counts() {
		time.Sleep(time.Millisecond) // the first batch (2 rows) is being written
	}
	b.Submit(ctx, instance(b.maxBacklog))
	b.Submit(ctx, instance(b.maxBacklog+1)) // the backlog is full now
	full := make(chan struct{})
	go func() { b.Submit(ctx, instance(100)); close(full) }()
	select {
	case <-full:
		t.Fatal("Submit with a full backlog returned before anything was stored")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-full
	for stored := 0; stored < b.maxBacklog+3; {
		time.Sleep(time.Millisecond)
		mu.Lock()
		stored = 0
		for _, list := range batches {
			stored += len(list)
		}
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	stored := map[string]bool{}
	for _, list := range batches {
		require.LessOrEqual(t, len(list), 2)
		for _, i := range list {
			stored[i.Key.Hostname] = true
		}
	}
	require.Len(t, stored, b.maxBacklog+3)
	require.True(t, stored["db100"])
}

func TestBackoffDoublesUpToTheBound(t *testing.T) {
	poll := 5 * time.Second
	got := []time.Duration{}
	for n := 1; n <= 6; n++ {
		got = append(got, backoff(poll, n))
	}
	require.Equal(t, []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 40 * time.Second, 40 * time.Second}, got)
}

func instance(n int) *inst.Instance {
	return &inst.Instance{Key: inst.InstanceKey{Hostname: fmt.Sprintf("db%d", n), Port: 3306}}
}

func pendingOf(b *batchWriter) []pendingWrite {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]pendingWrite(nil), b.pending...)
}

func countOf(mu *sync.Mutex, batches *[][]*inst.Instance) int {
	mu.Lock()
	defer mu.Unlock()
	return len(*batches)
}
