// Package election elects one leader among service nodes through a
// heartbeat row in the shared backend, and keeps node health rows.
package election

import (
	"context"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
)

// Elector runs the election tick and answers IsLeader with fencing by time:
// leadership counts only until the last successful refresh plus a safety
// margin below the expiry, so a paused or cut-off leader stops acting
// before any other node can take over.
type Elector struct {
	store  *backend.Store
	node   backend.Node
	tick   time.Duration
	expire time.Duration

	mu          sync.Mutex
	leaderUntil time.Time
	onChange    func(leader bool)
	wasLeader   bool
}

// New builds an Elector for this node.
func New(store *backend.Store, node backend.Node, tick, expire time.Duration, onChange func(bool)) *Elector {
	if onChange == nil {
		onChange = func(bool) {}
	}
	return &Elector{store: store, node: node, tick: tick, expire: expire, onChange: onChange}
}

// IsLeader reports whether this node may act as leader right now.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Now().Before(e.leaderUntil)
}

// LeaderUntil is the instant leadership lapses unless refreshed.
func (e *Elector) LeaderUntil() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leaderUntil
}

// Run ticks until ctx ends, then resigns.
func (e *Elector) Run(ctx context.Context, grab bool) {
	if err := e.store.RecordNodeStart(ctx, e.node); err != nil {
		log.Errorf("election: %v", err)
	}
	if grab {
		if err := e.store.GrabElection(ctx, e.node.Hostname, e.node.Token); err != nil {
			log.Errorf("election: %v", err)
		}
	}
	t := time.NewTicker(e.tick)
	defer t.Stop()
	for {
		e.Tick(ctx)
		select {
		case <-ctx.Done():
			e.Resign()
			return
		case <-t.C:
		}
	}
}

// Tick registers node health and runs one election attempt.
func (e *Elector) Tick(ctx context.Context) {
	started := time.Now()
	tctx, cancel := context.WithTimeout(ctx, e.tick)
	defer cancel()
	if err := e.store.RegisterNode(tctx, e.node); err != nil {
		log.Errorf("election: %v", err)
	}
	won, err := e.store.AttemptElection(tctx, e.node.Hostname, e.node.Token, int(e.expire.Seconds()))
	if err != nil {
		log.Errorf("election: %v", err)
		won = false
	}
	e.mu.Lock()
	if won {
		// Fencing: measured from before the statement was sent, and one
		// tick short of the expiry other nodes wait for.
		e.leaderUntil = started.Add(e.expire - e.tick)
	} else if err == nil {
		e.leaderUntil = time.Time{}
	}
	e.mu.Unlock()
	now := e.IsLeader()
	if now != e.wasLeader {
		e.wasLeader = now
		if now {
			log.Infof("election: %s is now the leader", e.node.Hostname)
		} else {
			log.Infof("election: %s is no longer the leader", e.node.Hostname)
		}
		e.onChange(now)
	}
}

// Resign gives up leadership at once (on shutdown).
func (e *Elector) Resign() {
	e.mu.Lock()
	e.leaderUntil = time.Time{}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := e.store.Resign(ctx, e.node.Hostname, e.node.Token); err != nil {
		log.Errorf("election: %v", err)
	}
}
