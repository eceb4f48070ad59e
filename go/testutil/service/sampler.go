package service

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Sampler checks, every 100 ms until stopped, that no two nodes answer
// 200 on /api/leader-check, and that when exactly one does while the
// backend row stays put, the row is that node's.
type Sampler struct {
	c          *Cluster
	stop       chan struct{}
	done       chan struct{}
	mu         sync.Mutex
	samples    int
	violations []string
}

// StartSampler starts sampling; call Check to stop it and assert.
func (c *Cluster) StartSampler() *Sampler {
	s := &Sampler{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *Sampler) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		before, _, errBefore := s.c.RowLeader()
		l := s.c.HTTPLeaders()
		after, _, errAfter := s.c.RowLeader()
		s.mu.Lock()
		s.samples++
		switch {
		case len(l) > 1:
			s.violations = append(s.violations, fmt.Sprintf("%s: %d nodes answer leader-check 200", time.Now().Format("15:04:05.000"), len(l)))
		case len(l) == 1 && errBefore == nil && errAfter == nil && before == after && RowHolder(before) != l[0].Token:
			s.violations = append(s.violations, fmt.Sprintf("%s: %s answers leader-check 200 but the backend row names %q", time.Now().Format("15:04:05.000"), l[0].Name, before))
		}
		s.mu.Unlock()
	}
}

// Check stops the sampler and fails the test on any violation; it
// returns the number of samples taken.
func (s *Sampler) Check(t testing.TB) int {
	t.Helper()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Empty(t, s.violations, "leadership invariant broken (%d samples)", s.samples)
	require.Positive(t, s.samples)
	return s.samples
}
