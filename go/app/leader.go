package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/election"
	"orchestrator/go/recovery"
)

// leaderWork runs what only the leader does (polling, recovery, cleanup)
// behind one switch: it starts when this node becomes leader and stops
// when it is not.
type leaderWork struct {
	env       *Env
	discovery bool
	mu        sync.Mutex
	cancel    context.CancelFunc
	done      chan struct{}
	parent    context.Context
	elector   *election.Elector
}

func newLeaderWork(e *Env, discovery bool) *leaderWork {
	return &leaderWork{env: e, discovery: discovery}
}

func (l *leaderWork) run(ctx context.Context, el *election.Elector) {
	l.mu.Lock()
	l.parent, l.elector = ctx, el
	l.mu.Unlock()
	// Watchdog: fencing by time even when the election tick itself hangs
	// (backend unreachable, process resumed after a pause), and a start
	// of leader work the election's callback may have raced past.
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.setLeader(false)
			return
		case <-t.C:
			l.setLeader(el.IsLeader())
		}
	}
}

func (l *leaderWork) setLeader(leader bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if leader && l.cancel == nil && l.parent != nil && l.parent.Err() == nil {
		ctx, cancel := context.WithCancel(l.parent)
		l.cancel, l.done = cancel, make(chan struct{})
		fence := termFence(ctx, l.elector)
		go func(done chan struct{}) {
			defer close(done)
			l.env.leaderLoops(ctx, l.discovery, fence)
		}(l.done)
		log.Infof("leader work started")
	}
	if !leader && l.cancel != nil {
		l.cancel()
		<-l.done
		l.cancel, l.done = nil, nil
		log.Infof("leader work stopped")
	}
}

// errNotLeader is the leadership fence's refusal.
var errNotLeader = fmt.Errorf("%w: this node is no longer the leader", recovery.ErrFenced)

// termFence is the fence of one term of leader work: it passes while
// this node is leader and the term has not ended (ctx), so work left over
// from an ended term cannot act even once this node leads again.
func termFence(ctx context.Context, el *election.Elector) recovery.Fence {
	return func() error {
		if ctx.Err() != nil || !el.IsLeader() {
			return errNotLeader
		}
		return nil
	}
}
