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

// stepDownTicks is how many ticks a leader that stepped down on request
// (reelect) sits out, so that another node wins the next election.
const stepDownTicks = 2

// Elector runs the election tick and answers IsLeader with fencing by time:
// leadership counts only until the last successful refresh plus a safety
// margin below the expiry, so a paused or cut-off leader stops acting
// before any other node can take over.
type Elector struct {
	store    *backend.Store
	node     backend.Node
	tick     time.Duration
	expire   time.Duration
	onChange func(leader bool)

	mu          sync.Mutex
	leaderUntil time.Time
	wasLeader   bool
	holdOff     int
}

// New builds an Elector for this node. tick is the election interval
// (HealthPollSeconds) and expire the heartbeat expiry
// (ActiveNodeExpireSeconds); expire must exceed tick. onChange is called
// synchronously, from the election goroutine, when leadership changes; it
// must return promptly (the election waits for it). Leader work is
// fenced by IsLeader, not by onChange(false) returning.
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
	e.mu.Lock()
	held := !e.leaderUntil.IsZero()
	e.mu.Unlock()
	won, err := e.attempt(tctx)
	if err != nil {
		log.Errorf("election: %v", err)
	}
	e.record(started, won, err)
	e.notify()
	if held && !won && err == nil {
		e.afterLoss(ctx)
	}
}

// attempt runs the election statements unless this node sits out.
func (e *Elector) attempt(ctx context.Context) (bool, error) {
	e.mu.Lock()
	if e.holdOff > 0 {
		e.holdOff--
		e.mu.Unlock()
		return false, nil
	}
	e.mu.Unlock()
	return e.store.AttemptElection(ctx, e.node.Hostname, e.node.Token, int(e.expire.Seconds()))
}

// record moves the fence. A win extends leadership to one tick short of
// the expiry, measured from before the statement was sent; a clean loss
// ends it; an error leaves it to lapse on its own.
func (e *Elector) record(started time.Time, won bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case won:
		e.leaderUntil = started.Add(e.expire - e.tick)
	case err == nil:
		e.leaderUntil = time.Time{}
	}
}

// notify calls onChange when IsLeader differs from what it last reported.
func (e *Elector) notify() {
	now := e.IsLeader()
	e.mu.Lock()
	changed := now != e.wasLeader
	e.wasLeader = now
	e.mu.Unlock()
	if !changed {
		return
	}
	if now {
		log.Infof("election: %s (%s) is now the leader", e.node.Hostname, e.node.Token)
	} else {
		log.Infof("election: %s (%s) is no longer the leader", e.node.Hostname, e.node.Token)
	}
	e.onChange(now)
}

// afterLoss runs after this node lost its row while it believed it held
// it. This node no longer counts itself leader (notify ran, so its leader
// work was told to stop and is fenced). If the row was marked by a
// reelect, it is deleted for the next election; if it was marked by a
// grab-election, it is given to the node that asked, whose next tick
// refreshes it. Either way this node sits out the next elections.
func (e *Elector) afterLoss(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, e.tick)
	defer cancel()
	cleared, err := e.store.ClearStepDown(cctx, e.node.Hostname, e.node.Token)
	if err != nil {
		log.Errorf("election: %v", err)
		return
	}
	to := ""
	if !cleared {
		if to, err = e.store.CompleteHandover(cctx, e.node.Hostname, e.node.Token); err != nil {
			log.Errorf("election: %v", err)
			return
		}
	}
	if !cleared && to == "" {
		return
	}
	e.mu.Lock()
	e.holdOff = stepDownTicks
	e.mu.Unlock()
	if cleared {
		log.Infof("election: %s stepped down on request; a new leader is elected", e.node.Hostname)
	} else {
		log.Infof("election: %s handed leadership over to %s on request (grab-election)", e.node.Hostname, to)
	}
}

// SitOut stops this node from counting itself leader now and from taking
// part in the next elections (it does not refresh its row, which then
// expires), so that another node leads: for a node that cannot do leader
// work at the moment. It does not call onChange.
func (e *Elector) SitOut() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leaderUntil = time.Time{}
	e.holdOff = max(e.holdOff, stepDownTicks)
}

// Resign gives up leadership at once (on shutdown): it stops counting
// itself leader first (onChange(false) tells leader work to stop), then
// deletes its row so that another node takes over at its next tick.
func (e *Elector) Resign() {
	e.mu.Lock()
	e.leaderUntil = time.Time{}
	e.mu.Unlock()
	e.notify()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := e.store.Resign(ctx, e.node.Hostname, e.node.Token); err != nil {
		log.Errorf("election: %v", err)
	}
}
