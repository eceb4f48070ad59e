package recovery

import "sync"

// pendingChecks is the set of clusters waiting for a check: triggering
// never blocks and never loses a cluster (a cluster triggered again while
// it waits is checked once), however many triggers arrive while the loop
// is busy.
type pendingChecks struct {
	mu      sync.Mutex
	all     bool            // a check of every cluster is asked for
	pending map[string]bool // cluster names
	ready   chan struct{}   // holds one token while anything is pending
}

func newPendingChecks() *pendingChecks {
	return &pendingChecks{pending: map[string]bool{}, ready: make(chan struct{}, 1)}
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

// take returns and clears what is pending: all, or the clusters.
func (p *pendingChecks) take() (all bool, clusters []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	all, p.all = p.all, false
	for c := range p.pending {
		clusters = append(clusters, c)
	}
	clear(p.pending)
	return all, clusters
}
