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

// watchdogTick is how often leader work compares itself with IsLeader.
const watchdogTick = 100 * time.Millisecond

// shutdownWait bounds waiting for leader work to stop on shutdown.
const shutdownWait = 10 * time.Second

// leaderWork runs what only the leader does (polling, recovery, cleanup)
// behind one switch: a term of leader work starts when this node becomes
// leader and is cancelled when it is not. Safety does not rest on the
// work stopping in time: each term's work gets a fence (termFence) that
// every statement to a server checks first, and that fails once the term
// ended. So stepping down never blocks the election: the elector's
// callback cancels the term and waits at most stepDownWait for it, then
// returns, and the election keeps ticking (node health, leadership) even
// when a step ignores cancellation. A new term does not start beside one
// still stopping: until it stops this node sits the election out, so
// another node leads.
type leaderWork struct {
	work         func(ctx context.Context, fence recovery.Fence)
	stepDownWait time.Duration

	mu      sync.Mutex
	parent  context.Context
	elector *election.Elector
	current *term // the running term; nil when not leading
	last    *term // the last term started, maybe still stopping
	waiting bool  // logged that a new term waits for the last one
}

// term is one term of leader work.
type term struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when its work has returned
}

func (t *term) stopped() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func newLeaderWork(e *Env, discovery bool) *leaderWork {
	return &leaderWork{
		work:         func(ctx context.Context, fence recovery.Fence) { e.leaderLoops(ctx, discovery, fence) },
		stepDownWait: e.Config.HealthPoll() / 2,
	}
}

// run is the watchdog until ctx ends: fencing by time even when the
// election tick itself hangs (backend unreachable, process resumed after
// a pause), and a start of leader work the election's callback may have
// raced past. On the way out it stops leader work (bounded).
func (l *leaderWork) run(ctx context.Context, el *election.Elector) {
	l.mu.Lock()
	l.parent, l.elector = ctx, el
	l.mu.Unlock()
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.stop(shutdownWait)
			return
		case <-t.C:
			l.setLeader(el.IsLeader())
		}
	}
}

// setLeader is the elector's callback (and the watchdog's).
func (l *leaderWork) setLeader(leader bool) {
	if leader {
		l.start()
		return
	}
	l.stop(l.stepDownWait)
}

// start begins a term of leader work, unless one runs or the last one
// has not stopped yet (then this node sits the election out).
func (l *leaderWork) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current != nil || l.parent == nil || l.parent.Err() != nil {
		return
	}
	if l.last != nil && !l.last.stopped() {
		if !l.waiting {
			log.Warningf("leader work of the last term has not stopped yet: this node sits out the election until it has")
			l.waiting = true
		}
		l.elector.SitOut()
		return
	}
	ctx, cancel := context.WithCancel(l.parent)
	t := &term{cancel: cancel, done: make(chan struct{})}
	fence := termFence(ctx, l.elector)
	go func() {
		defer close(t.done)
		l.work(ctx, fence)
		log.Infof("leader work stopped")
	}()
	l.current, l.last, l.waiting = t, t, false
	log.Infof("leader work started")
}

// stop cancels the running term and waits for its work at most wait.
// Work that takes longer goes on stopping in the background, fenced.
func (l *leaderWork) stop(wait time.Duration) {
	l.mu.Lock()
	t := l.current
	l.current = nil
	l.mu.Unlock()
	if t == nil {
		return
	}
	t.cancel()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-t.done:
	case <-timer.C:
		log.Warningf("leader work has not stopped %s after this node stopped leading (a step ignores cancellation); it is fenced: it sends nothing more to any server", wait)
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
