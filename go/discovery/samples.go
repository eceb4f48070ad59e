package discovery

import (
	"time"

	"orchestrator/go/inst"
	"orchestrator/go/metrics"
)

// Recent samples kept in memory for /api/discovery-metrics-*,
// /api/discovery-queue-metrics-* and /api/write-buffer-metrics-*: each
// kind in a bounded ring (the newest win), so memory stays fixed whatever
// the fleet size.
const (
	probeSamples = 10000 // about 2 minutes of 400 servers polled every 5 s
	writeSamples = 2000
)

// ProbeSample is one probe (poll or request) of a server.
type ProbeSample struct {
	At              time.Time // when the probe started
	Key             inst.InstanceKey
	InstanceLatency time.Duration // talking to the server
	BackendLatency  time.Duration // storing what it answered (or the failure)
	Err             string        // "" when the probe succeeded
}

// QueueSample is the poll queue, sampled once a second while polling.
type QueueSample struct {
	At     time.Time
	Active int // probes running
	Queued int // keys waiting for a worker
}

// WriteSample is one batch of probe results stored by the batch writer.
type WriteSample struct {
	At        time.Time     // when the batch was written
	Wait      time.Duration // how long its oldest row waited for the batch
	Flush     time.Duration // how long the write took
	Instances int
	Err       string
}

// samples are a Discoverer's rings.
type samples struct {
	probes *metrics.Ring[ProbeSample]
	queue  *metrics.Ring[QueueSample]
	writes *metrics.Ring[WriteSample]
}

func newSamples(queueSize int) samples {
	if queueSize <= 0 {
		queueSize = 120
	}
	return samples{probes: metrics.NewRing[ProbeSample](probeSamples), queue: metrics.NewRing[QueueSample](queueSize),
		writes: metrics.NewRing[WriteSample](writeSamples)}
}

// ProbeSamples returns the probes started at or after since, oldest first.
func (d *Discoverer) ProbeSamples(since time.Time) []ProbeSample {
	return d.samples.probes.Since(since)
}

// QueueSamples returns the newest n queue samples (one a second while
// the poll loop runs; at most DiscoveryQueueMaxStatisticsSize), oldest
// first.
func (d *Discoverer) QueueSamples(n int) []QueueSample { return d.samples.queue.Last(n) }

// WriteSamples returns the batches written at or after since, oldest first.
func (d *Discoverer) WriteSamples(since time.Time) []WriteSample {
	return d.samples.writes.Since(since)
}

// recordProbe notes a probe that started at started and spent
// instanceLatency talking to the server; the rest, until now, was
// spent storing the outcome.
func (d *Discoverer) recordProbe(started time.Time, key inst.InstanceKey, instanceLatency time.Duration, err error) {
	s := ProbeSample{At: started, Key: key, InstanceLatency: instanceLatency, BackendLatency: max(time.Since(started)-instanceLatency, 0)}
	if err != nil {
		s.Err = err.Error()
	}
	d.samples.probes.Add(started, s)
}

// sampleQueue notes the poll queue's state now.
func (d *Discoverer) sampleQueue() {
	d.mu.Lock()
	active := len(d.inflight)
	d.mu.Unlock()
	now := time.Now()
	d.samples.queue.Add(now, QueueSample{At: now, Active: active, Queued: len(d.live) + len(d.failing)})
}
