package app

import (
	"context"
	"sync"

	"orchestrator/go/backend"
	orchttp "orchestrator/go/http"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

// httpDeps builds the components the API calls.
func (e *Env) httpDeps(store *backend.Store, reader *topology.Reader, n orchttp.NodeInfo) (orchttp.Deps, error) {
	d, err := e.Discoverer()
	if err != nil {
		return orchttp.Deps{}, err
	}
	o := topology.NewOperator(store, reader, e.Inspector(), e.Applier(), d.Probe, e.Config, e.Holder())
	rc, err := e.Recoverer()
	if err != nil {
		return orchttp.Deps{}, err
	}
	return orchttp.Deps{Store: store, Reader: reader, Discoverer: d, Operator: o, Recoverer: rc, Node: n}, nil
}

// leaderLoops runs until ctx ends: discovery polling, recovery, cleanup.
// fence is this term's leadership: what the loops send to servers checks
// it first.
func (e *Env) leaderLoops(ctx context.Context, discovery bool, fence recovery.Fence) {
	var wg sync.WaitGroup
	rc, rcErr := e.Recoverer()
	if d, err := e.Discoverer(); err == nil && rcErr == nil {
		d.OnProblem(rc.Trigger)
	}
	if discovery {
		if d, err := e.Discoverer(); err == nil {
			wg.Add(1)
			go func() { defer wg.Done(); d.Run(ctx) }()
		}
	}
	if rcErr == nil {
		wg.Add(1)
		go func() { defer wg.Done(); rc.Run(ctx, fence) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); e.cleanupLoop(ctx, fence) }()
	e.startDogfood(ctx, &wg, discovery)
	wg.Wait()
}
