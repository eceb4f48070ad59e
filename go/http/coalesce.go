package http

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
)

// coalescer lets identical read requests that arrive while one is being
// answered share that answer instead of each querying the backend: under
// load (dashboards polling the same cluster) the work per request drops
// to one backend read per burst. A read that arrives after a mutating
// request of this node has finished never joins a read that started
// before it (the generation counter), so a client sees its own changes.
// Writes made elsewhere (the poll loop, the CLI, other nodes) may be
// missed by at most the duration of one request, as with any read racing
// a write.
type coalescer struct {
	gen     atomic.Uint64
	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	done    chan struct{}
	details any
	message string
	err     error
	waiters int // callers sharing this flight (guarded by coalescer.mu)
}

func newCoalescer() *coalescer { return &coalescer{flights: map[string]*flight{}} }

// mutated is called after every mutating request.
func (c *coalescer) mutated() { c.gen.Add(1) }

// do runs fn, or waits for the identical call in flight and returns its
// result. The result is shared: callers must not modify it.
func (c *coalescer) do(key string, fn func() (any, string, error)) (any, string, error) {
	key = strconv.FormatUint(c.gen.Load(), 10) + "\x00" + key
	c.mu.Lock()
	if f, ok := c.flights[key]; ok {
		f.waiters++
		c.mu.Unlock()
		<-f.done
		return f.details, f.message, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flights, key)
		c.mu.Unlock()
		close(f.done)
	}()
	defer func() {
		// The caller's panic goes on to its own recovery; the waiters get
		// an error, not an empty answer.
		if p := recover(); p != nil {
			f.details, f.message, f.err = nil, "", fmt.Errorf("the shared read failed: %v", p)
			panic(p)
		}
	}()
	f.details, f.message, f.err = fn()
	return f.details, f.message, f.err
}

// waiting counts the callers waiting for flights of key, any generation.
func (c *coalescer) waiting(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, f := range c.flights {
		if k[len(k)-len(key):] == key {
			n += f.waiters
		}
	}
	return n
}
