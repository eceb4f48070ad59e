// Package metrics holds the latency histogram the components record into
// and the HTTP layer renders for Prometheus. It is a leaf: no I/O.
package metrics

import (
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds (seconds) of every latency histogram.
var LatencyBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram counts durations into LatencyBounds. Safe for concurrent use;
// the zero value is not usable: use NewHistogram.
type Histogram struct {
	buckets []atomic.Int64 // cumulative: count of observations <= bound
	count   atomic.Int64
	nanos   atomic.Int64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{buckets: make([]atomic.Int64, len(LatencyBounds))}
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	if h == nil {
		return
	}
	secs := d.Seconds()
	for n, le := range LatencyBounds {
		if secs <= le {
			h.buckets[n].Add(1)
		}
	}
	h.count.Add(1)
	h.nanos.Add(int64(d))
}

// Snapshot is a histogram's state at one moment.
type Snapshot struct {
	Buckets []int64 // cumulative, one per LatencyBounds entry
	Count   int64
	Sum     float64 // seconds
}

// Snapshot reads the histogram.
func (h *Histogram) Snapshot() Snapshot {
	s := Snapshot{Buckets: make([]int64, len(LatencyBounds))}
	if h == nil {
		return s
	}
	for n := range h.buckets {
		s.Buckets[n] = h.buckets[n].Load()
	}
	s.Count, s.Sum = h.count.Load(), time.Duration(h.nanos.Load()).Seconds()
	return s
}
