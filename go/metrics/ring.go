package metrics

import (
	"sort"
	"sync"
	"time"
)

// Ring keeps the most recent samples of one kind, at most its capacity:
// the oldest is dropped when a new one arrives. Safe for concurrent use;
// a component holds one per kind of sample as a field. The zero value
// is not usable: use NewRing.
type Ring[T any] struct {
	mu   sync.Mutex
	buf  []stamped[T]
	next int  // where the next sample goes
	full bool // every slot holds a sample
}

type stamped[T any] struct {
	at time.Time
	v  T
}

// NewRing returns an empty ring of the given capacity (at least 1).
func NewRing[T any](capacity int) *Ring[T] {
	return &Ring[T]{buf: make([]stamped[T], max(capacity, 1))}
}

// Add records a sample taken at at.
func (r *Ring[T]) Add(at time.Time, v T) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = stamped[T]{at: at, v: v}
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// Since returns the samples taken at or after t, oldest first.
func (r *Ring[T]) Since(t time.Time) []T {
	return r.filter(func(at time.Time) bool { return !at.Before(t) })
}

// Last returns the newest n samples, oldest first.
func (r *Ring[T]) Last(n int) []T {
	all := r.filter(func(time.Time) bool { return true })
	if n < len(all) {
		all = all[len(all)-n:]
	}
	return all
}

func (r *Ring[T]) filter(keep func(time.Time) bool) []T {
	out := []T{}
	if r == nil {
		return out
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	start, n := 0, r.next
	if r.full {
		start, n = r.next, len(r.buf)
	}
	for i := 0; i < n; i++ {
		s := r.buf[(start+i)%len(r.buf)]
		if keep(s.at) {
			out = append(out, s.v)
		}
	}
	return out
}

// Summary is the distribution of some values: minimum, mean, median, 95th
// percentile (nearest rank) and maximum; all 0 for no values.
type Summary struct {
	Min, Mean, Median, P95, Max float64
}

// Summarize computes the Summary of values (which it does not modify).
func Summarize(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	median := v[len(v)/2]
	if len(v)%2 == 0 {
		median = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	rank := (95*len(v) + 99) / 100 // ceil(0.95 n), 1-based
	return Summary{Min: v[0], Mean: sum / float64(len(v)), Median: median, P95: v[rank-1], Max: v[len(v)-1]}
}
