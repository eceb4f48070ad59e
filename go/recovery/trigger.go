package recovery

import (
	"sync"
	"time"
)

// triggerSpacing is the least time between two triggered checks of one
// cluster. A check re-probes the cluster's replicas, and a replica that
// reports a problem triggers its cluster again: without spacing, a cluster
// with a dead master would be checked back to back for as long as it stays
// dead, keeping the loop and the backend busy.
const triggerSpacing = 500 * time.Millisecond

// pendingChecks is the set of clusters waiting for a check: triggering
// never blocks and never loses a cluster (a cluster triggered again while
// it waits is checked once), however many triggers arrive while the loop
// is busy. A cluster checked less than triggerSpacing ago waits for the
// rest of it.
type pendingChecks struct {
	mu      sync.Mutex
	all     bool                 // a check of every cluster is asked for
	pending map[string]bool      // cluster names
	checked map[string]time.Time // when each cluster's last triggered check started
	ready   chan struct{}        // holds one token while anything is pending
}

func newPendingChecks() *pendingChecks {
	return &pendingChecks{pending: map[string]bool{}, checked: map[string]time.Time{}, ready: make(chan struct{}, 1)}
}

// add asks for a check of cluster ("" = all).
func (p *pendingChecks) add(cluster string) {
	p.mu.Lock()
	if cluster == "" {
		p.all = true
	} else {
		p.pending[cluster] = true
	}
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

// take returns and clears what is due at now: all, and the clusters not
// checked within triggerSpacing (marked as checked now). wait is how long
// until the earliest cluster left pending is due (0: none left).
func (p *pendingChecks) take(now time.Time) (all bool, clusters []string, wait time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	all, p.all = p.all, false
	for c := range p.pending {
		if due := p.checked[c].Add(triggerSpacing); due.After(now) {
			if w := due.Sub(now); wait == 0 || w < wait {
				wait = w
			}
			continue
		}
		clusters = append(clusters, c)
		p.checked[c] = now
		delete(p.pending, c)
	}
	for c, t := range p.checked {
		if now.Sub(t) > triggerSpacing && !p.pending[c] {
			delete(p.checked, c)
		}
	}
	return all, clusters, wait
}
