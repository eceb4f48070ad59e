package http

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCoalescer(t *testing.T) {
	t.Parallel()
	c := newCoalescer()
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	slow := func() (any, string, error) {
		n := runs.Add(1)
		started <- struct{}{}
		<-release
		return n, "", nil
	}
	var wg sync.WaitGroup
	results := make([]any, 5)
	wg.Add(1)
	go func() { defer wg.Done(); results[0], _, _ = c.do("k", slow) }()
	<-started // the first call is in flight
	for i := 1; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], _, _ = c.do("k", slow) }()
	}
	for c.waiting("k") < 3 {
		runtime.Gosched()
	}
	// a call made after a mutation must not join the flight started before it
	c.mutated()
	wg.Add(1)
	go func() { defer wg.Done(); results[4], _, _ = c.do("k", slow) }()
	<-started
	close(release)
	wg.Wait()
	require.Equal(t, int32(2), runs.Load(), "one run per generation")
	require.Equal(t, []any{int32(1), int32(1), int32(1), int32(1), int32(2)}, results)
	other, _, _ := c.do("other", func() (any, string, error) { return "x", "", nil })
	require.Equal(t, "x", other)
	require.Empty(t, c.flights)
}

// TestCoalescerPanic: when the shared read panics, its caller panics (for
// the server's recovery to answer 500) and the waiters get an error, never
// an empty success.
func TestCoalescerPanic(t *testing.T) {
	t.Parallel()
	c := newCoalescer()
	release := make(chan struct{})
	started := make(chan struct{})
	var panicked atomic.Bool
	go func() {
		defer func() { panicked.Store(recover() != nil) }()
		_, _, _ = c.do("k", func() (any, string, error) {
			close(started)
			<-release
			panic("boom")
		})
	}()
	<-started
	var waiterErr error
	var details any
	done := make(chan struct{})
	go func() {
		defer close(done)
		details, _, waiterErr = c.do("k", func() (any, string, error) { return "never run", "", nil })
	}()
	for c.waiting("k") < 1 {
		runtime.Gosched()
	}
	close(release)
	<-done
	require.ErrorContains(t, waiterErr, "the shared read failed: boom")
	require.Nil(t, details)
	require.Eventually(t, panicked.Load, time.Second, time.Millisecond, "the caller panicked")
	require.Empty(t, c.flights)
}
