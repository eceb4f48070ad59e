package app

import (
	"context"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/inst"
)

// dogfoodInterval is how often the leader re-queues its own backend, in
// case it was forgotten; in between, the poll loop refreshes it like any
// other known instance.
const dogfoodInterval = 5 * time.Minute

// startDogfood makes the leader discover and poll its own backend server
// as a topology (and, by crawling, the backend's replicas) when the
// backend is MySQL and discovery runs. It returns at once; wg tracks the
// goroutine so that leader work has fully stopped when wg.Wait returns.
func (e *Env) startDogfood(ctx context.Context, wg *sync.WaitGroup, discovery bool) {
	key, ok := e.backendKey()
	if !discovery || !ok {
		return
	}
	d, err := e.Discoverer()
	if err != nil || d.Ignored(key) {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := d.Probe(ctx, key); err != nil && ctx.Err() == nil {
			log.Warningf("dogfood: cannot probe the backend %s as a topology: %v", key, err)
		}
		t := time.NewTicker(dogfoodInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.Enqueue(key)
			}
		}
	}()
}

// backendKey is the backend server's instance key, when the backend is
// MySQL reached over TCP.
func (e *Env) backendKey() (inst.InstanceKey, bool) {
	cfg := e.Config
	if cfg.IsSQLite() || cfg.MySQLOrchestratorHost == "" {
		return inst.InstanceKey{}, false
	}
	key := inst.InstanceKey{Hostname: cfg.MySQLOrchestratorHost, Port: int(cfg.MySQLOrchestratorPort)}
	return key, key.IsValid()
}
