package app

import (
	"context"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/election"
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
}

func newLeaderWork(e *Env, discovery bool) *leaderWork {
	return &leaderWork{env: e, discovery: discovery}
}

func (l *leaderWork) run(ctx context.Context, el *election.Elector) {
	l.mu.Lock()
	l.parent = ctx
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
		go func(done chan struct{}) {
			defer close(done)
			l.env.endOrphanedRecoveries(ctx)
			l.env.leaderLoops(ctx, l.discovery)
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

// endOrphanedRecoveries runs first when this node becomes leader. A
// recovery still unresolved now was started by a leader that died or was
// stopped mid-way (this node's own leader work, when it had any, ended
// and resolved its recoveries before it stopped): it is recorded as
// interrupted and its cluster recovery lock released at once, instead of
// both waiting out the lock's TTL. The interrupted recovery keeps
// blocking new ones on its cluster (anti-flapping) until acknowledged:
// it may have promoted a replica already, and only a person can tell
// whether another promotion is safe.
func (e *Env) endOrphanedRecoveries(ctx context.Context) {
	store, err := e.Store()
	if err != nil {
		return
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := store.ReadRecoveries(c, backend.RecoveryQuery{InProgress: true, All: true})
	if err != nil {
		log.Errorf("leader takeover: read unfinished recoveries: %v", err)
		return
	}
	for _, r := range rows {
		holder := backend.LockHolder{Hostname: r.ProcessingNodeHostname, Token: r.ProcessingNodeToken}
		if _, err := store.InterruptRecoveries(c, r.ProcessingNodeToken, time.Now()); err != nil {
			log.Errorf("leader takeover: mark recovery %d of %s interrupted: %v", r.Id, r.Key, err)
			continue
		}
		if err := store.ReleaseClusterRecoveryLock(c, r.ClusterName, holder); err != nil {
			log.Errorf("leader takeover: release recovery lock of %s: %v", r.ClusterName, err)
		}
		log.Warningf("leader takeover: recovery %d of %s (%s) by %s was left unfinished; recorded as interrupted; acknowledge it to allow a new recovery of %s",
			r.Id, r.Key, r.Analysis, r.ProcessingNodeHostname, r.ClusterName)
	}
}
