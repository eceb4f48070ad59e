package discovery

import (
	"context"
	"hash/maphash"

	"orchestrator/go/inst"
	"orchestrator/go/metrics"
)

// shardedWriter stores probe results through several batchWriters at once,
// each instance always through the same one: batches of different shards
// are written in parallel (on a MySQL backend, on their own connections),
// while the rows of one instance still reach the backend in the order they
// were probed, and no two concurrent transactions touch the same row.
type shardedWriter struct {
	seed   maphash.Seed
	shards []*batchWriter
}

// newShardedWriter spreads rows over n batch writers of at most maxBatch
// rows per batch; the backlog bound (4 batches) is shared between them.
func newShardedWriter(write func(context.Context, []*inst.Instance) error, maxBatch, n int) *shardedWriter {
	if n < 1 {
		n = 1
	}
	w := &shardedWriter{seed: maphash.MakeSeed(), shards: make([]*batchWriter, n)}
	for k := range w.shards {
		b := newBatchWriter(write, maxBatch)
		b.maxBacklog = max(b.maxBatch, b.maxBacklog/n)
		w.shards[k] = b
	}
	return w
}

func (w *shardedWriter) shard(key inst.InstanceKey) *batchWriter {
	if len(w.shards) == 1 {
		return w.shards[0]
	}
	var h maphash.Hash
	h.SetSeed(w.seed)
	h.WriteString(key.Hostname)
	h.WriteByte(byte(key.Port))
	h.WriteByte(byte(key.Port >> 8))
	return w.shards[h.Sum64()%uint64(len(w.shards))]
}

// recordInto makes every shard note its batch writes in r.
func (w *shardedWriter) recordInto(r *metrics.Ring[WriteSample]) {
	for _, b := range w.shards {
		b.samples = r
	}
}

// Submit queues i without waiting (see batchWriter.Submit).
func (w *shardedWriter) Submit(ctx context.Context, i *inst.Instance) { w.shard(i.Key).Submit(ctx, i) }

// Write stores i and returns once it is stored (see batchWriter.Write).
func (w *shardedWriter) Write(ctx context.Context, i *inst.Instance) error {
	return w.shard(i.Key).Write(ctx, i)
}

// counts returns the batches and rows written so far by all shards.
func (w *shardedWriter) counts() (batches, rows int64) {
	for _, b := range w.shards {
		nb, nr := b.counts()
		batches += nb
		rows += nr
	}
	return batches, rows
}
