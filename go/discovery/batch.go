package discovery

import (
	"context"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/inst"
	"orchestrator/go/metrics"
)

// batchWriter stores probe results with group commit: a probe's write
// joins whatever other probes are waiting, and one multi-row upsert stores
// them all. No timer delays a write: the first waiter writes at once, and
// the ones that arrive meanwhile form the next batch. A Write returns once
// its own row is stored (or the batch failed); a Submit returns at once
// unless maxBacklog rows are already waiting, and its failures are logged
// here.
type batchWriter struct {
	write      func(ctx context.Context, instances []*inst.Instance) error
	maxBatch   int
	maxBacklog int

	mu       sync.Mutex
	pending  []pendingWrite
	flushing bool
	batches  int64
	rows     int64

	samples *metrics.Ring[WriteSample] // nil: not recorded
}

type pendingWrite struct {
	i      *inst.Instance
	done   chan error // nil for a Submit
	queued time.Time
}

func newBatchWriter(write func(context.Context, []*inst.Instance) error, maxBatch int) *batchWriter {
	if maxBatch <= 0 {
		maxBatch = 500
	}
	return &batchWriter{write: write, maxBatch: maxBatch, maxBacklog: 4 * maxBatch}
}

// Submit queues i for the next batch without waiting for it to be stored.
// When the backlog is full it waits like Write, which slows the callers
// down to what the backend can store.
func (b *batchWriter) Submit(ctx context.Context, i *inst.Instance) {
	b.mu.Lock()
	if len(b.pending) >= b.maxBacklog {
		b.mu.Unlock()
		if err := b.Write(ctx, i); err != nil && ctx.Err() == nil {
			log.Errorf("discovery: store %s: %v", i.Key, err)
		}
		return
	}
	b.pending = append(b.pending, pendingWrite{i: i, queued: time.Now()})
	if b.flushing {
		b.mu.Unlock()
		return
	}
	b.flushing = true
	b.mu.Unlock()
	go func() {
		b.mu.Lock()
		b.flushLocked(context.WithoutCancel(ctx))
	}()
}

// Write stores i, in a batch with other concurrent writes.
func (b *batchWriter) Write(ctx context.Context, i *inst.Instance) error {
	w := pendingWrite{i: i, done: make(chan error, 1), queued: time.Now()}
	b.mu.Lock()
	b.pending = append(b.pending, w)
	if b.flushing {
		b.mu.Unlock()
		select {
		case err := <-w.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.flushing = true
	b.flushLocked(context.WithoutCancel(ctx))
	return <-w.done
}

// flushLocked writes batches until nothing is pending; it is entered with
// b.mu held and returns with it released.
func (b *batchWriter) flushLocked(ctx context.Context) {
	for len(b.pending) > 0 {
		n := min(len(b.pending), b.maxBatch)
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.batches++
		b.rows += int64(n)
		b.mu.Unlock()
		list := make([]*inst.Instance, n)
		for k, w := range batch {
			list[k] = w.i
		}
		started := time.Now()
		err := b.write(ctx, list)
		b.record(started, batch[0].queued, len(list), err)
		queued := 0
		for _, w := range batch {
			if w.done == nil {
				queued++
				continue
			}
			w.done <- err
		}
		if err != nil && queued > 0 {
			log.Errorf("discovery: store %d polled instances: %v", queued, err)
		}
		b.mu.Lock()
	}
	b.pending = nil
	b.flushing = false
	b.mu.Unlock()
}

// record notes one batch write.
func (b *batchWriter) record(started, oldest time.Time, rows int, err error) {
	if b.samples == nil {
		return
	}
	s := WriteSample{At: started, Wait: started.Sub(oldest), Flush: time.Since(started), Instances: rows}
	if err != nil {
		s.Err = err.Error()
	}
	b.samples.Add(started, s)
}

// counts returns the batches and rows written so far.
func (b *batchWriter) counts() (batches, rows int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.batches, b.rows
}
