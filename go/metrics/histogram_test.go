package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHistogramCountsCumulatively(t *testing.T) {
	h := NewHistogram()
	var wg sync.WaitGroup
	for _, d := range []time.Duration{200 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 20 * time.Second} {
		wg.Add(1)
		go func(d time.Duration) { defer wg.Done(); h.Observe(d) }(d)
	}
	wg.Wait()
	s := h.Snapshot()
	require.EqualValues(t, 4, s.Count)
	require.InDelta(t, 20.0062, s.Sum, 1e-6)
	require.EqualValues(t, 1, s.Buckets[0], "<= 0.5 ms")
	require.EqualValues(t, 1, s.Buckets[2], "<= 2.5 ms")
	require.EqualValues(t, 3, s.Buckets[3], "<= 5 ms")
	require.EqualValues(t, 3, s.Buckets[len(LatencyBounds)-1], "20 s is above every bound")
	var nilH *Histogram
	nilH.Observe(time.Second)
	require.Zero(t, nilH.Snapshot().Count)
}
