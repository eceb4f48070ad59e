package recovery

import (
	"sync"
	"time"

	"orchestrator/go/inst"
)

// refusedRecheck is how long the loop leaves alone an entry whose
// automatic recovery it refused (the instance downtimed, its cluster
// filtered out, recoveries disabled globally, anti-flapping): it is
// examined again — probed, locked, its refusal recorded again in
// blocked_topology_recovery — at most this often, not on every check. An
// acknowledgement made through this process, or the end of the downtime
// that held an entry, lets it be examined at once.
const refusedRecheck = 10 * time.Second

type holdKind int

const (
	holdRefused  holdKind = iota + 1 // filters, global switch, anti-flapping
	holdDowntime                     // the entry was skippable due to downtime
)

type hold struct {
	until time.Time
	kind  holdKind
}

// entryGate is the loop's bookkeeping per analysed instance: at most one
// goroutine (detection hooks, recovery) per instance at a time, and the
// entries whose recovery was refused, left alone until refusedRecheck has
// passed.
type entryGate struct {
	mu      sync.Mutex
	running map[inst.InstanceKey]bool
	holds   map[inst.InstanceKey]hold
}

func newEntryGate() *entryGate {
	return &entryGate{running: map[inst.InstanceKey]bool{}, holds: map[inst.InstanceKey]hold{}}
}

// enter marks work on k started; false when some is already running.
func (g *entryGate) enter(k inst.InstanceKey) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[k] {
		return false
	}
	g.running[k] = true
	return true
}

func (g *entryGate) leave(k inst.InstanceKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.running, k)
}

// hold leaves k alone until refusedRecheck after now.
func (g *entryGate) hold(k inst.InstanceKey, kind holdKind, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.holds[k] = hold{until: now.Add(refusedRecheck), kind: kind}
}

// held reports whether k is to be left alone at now. downtimed says
// whether its entry is skippable due to downtime now: a hold for downtime
// ends as soon as the entry no longer is.
func (g *entryGate) held(k inst.InstanceKey, downtimed bool, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	h, ok := g.holds[k]
	if !ok || !now.Before(h.until) || (h.kind == holdDowntime && !downtimed) {
		delete(g.holds, k)
		return false
	}
	return true
}

// releaseAll ends every hold (an acknowledgement may unblock any).
func (g *entryGate) releaseAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.holds)
}
