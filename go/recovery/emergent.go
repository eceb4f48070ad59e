package recovery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/analysis"
	"orchestrator/go/inst"
)

const (
	emergentBudget = 3 * time.Second // bounds the emergent operations of one check
	// ioSettle bounds waiting, after an emergent restart of a replica's IO
	// thread, for it to connect or fail: a replica caught "connecting"
	// would count as agreeing that its master is dead.
	ioSettle = 2 * time.Second
)

// emergent performs what an entry's code says would confirm or clear a
// suspicion sooner: re-probes, and for the *WithLaggingReplicas codes a
// restart of the lagging replicas' IO threads (at most once per
// restartSpacing each), so they reconnect and show whether their master is
// really gone. Restarts are fenced by leader. It reports whether it did
// anything (the caller then analyses again).
func (rc *Recoverer) emergent(ctx context.Context, entries []analysis.ReplicationAnalysis, leader Fence) bool {
	var keys []inst.InstanceKey
	restart := map[inst.InstanceKey]analysis.ReplicationAnalysis{}
	now := time.Now()
	for _, e := range entries {
		info, _ := analysis.Info(e.Analysis)
		switch info.Emergent {
		case analysis.EmergentReprobeAll:
			keys = append(append(keys, e.AnalyzedInstanceKey), e.Replicas...)
		case analysis.EmergentReprobeMaster:
			keys = append(keys, e.AnalyzedInstanceKey)
		case analysis.EmergentReprobeUpstream:
			keys = append(keys, e.AnalyzedInstanceMasterKey)
		case analysis.EmergentRestartReplication:
			keys = append(keys, e.AnalyzedInstanceKey)
			for _, k := range rc.restarts.due(e.Replicas, rc.restartSpacing(), now) {
				restart[k] = e
			}
		}
		if info.Actionable && kindOf(e.Analysis) != "" {
			keys = append(keys, e.Replicas...)
		}
	}
	if len(keys) == 0 && len(restart) == 0 {
		return false
	}
	c, cancel := context.WithTimeout(ctx, emergentBudget)
	defer cancel()
	for k := range restart {
		keys = append(keys, k)
	}
	rc.restartIOThreads(c, restart, leader)
	rc.probeAll(c, uniqueKeys(keys))
	return true
}

// restartSpacing is how often one replica's IO thread may be restarted by
// an emergent operation: five poll intervals (upstream's), at least 5 s.
func (rc *Recoverer) restartSpacing() time.Duration {
	return max(5*rc.conf().InstancePoll(), 5*time.Second)
}

// restartIOThreads restarts the IO thread of each replica in parallel
// (STOP SLAVE IO_THREAD; START SLAVE IO_THREAD), waits up to ioSettle for
// it to connect or fail, and audits it.
func (rc *Recoverer) restartIOThreads(ctx context.Context, replicas map[inst.InstanceKey]analysis.ReplicationAnalysis, leader Fence) {
	ap := rc.d.Applier.Fenced(leader)
	var wg sync.WaitGroup
	for k, e := range replicas {
		wg.Add(1)
		go func(k inst.InstanceKey, e analysis.ReplicationAnalysis) {
			defer wg.Done()
			err := ap.StopIOThread(ctx, k)
			if err == nil {
				err = ap.StartIOThread(ctx, k)
			}
			if err != nil {
				if ctx.Err() == nil {
					log.Warningf("emergent restart of the IO thread of %s (%s on %s): %v", k, e.Analysis, e.AnalyzedInstanceKey, err)
				}
				return
			}
			rc.settleIO(ctx, k)
			msg := fmt.Sprintf("restarted the IO thread: %s on its master %s, all replicas lagging", e.Analysis, e.AnalyzedInstanceKey)
			log.Infof("emergent operation on %s: %s", k, msg)
			if err := rc.d.Store.WriteAudit(ctx, "emergently-restart-replication", k, e.ClusterDetails.ClusterName, msg); err != nil && ctx.Err() == nil {
				log.Errorf("%v", err)
			}
		}(k, e)
	}
	wg.Wait()
}

// settleIO waits until a just started IO thread is connected or has
// failed to connect (bounded by ioSettle).
func (rc *Recoverer) settleIO(ctx context.Context, k inst.InstanceKey) {
	deadline := time.Now().Add(ioSettle)
	for time.Now().Before(deadline) {
		st, err := rc.d.Inspector.ReplicationStatus(ctx, k)
		if err != nil || st.IOThread == inst.ThreadStateRunning || st.LastIOErrno != 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// restartLog remembers when each replica's IO thread was last restarted by
// an emergent operation.
type restartLog struct {
	mu   sync.Mutex
	last map[inst.InstanceKey]time.Time
}

func newRestartLog() *restartLog { return &restartLog{last: map[inst.InstanceKey]time.Time{}} }

// due returns the keys not restarted within spacing before now, and marks
// them restarted now.
func (l *restartLog) due(keys []inst.InstanceKey, spacing time.Duration, now time.Time) []inst.InstanceKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []inst.InstanceKey
	for _, k := range keys {
		if t, ok := l.last[k]; ok && now.Sub(t) < spacing {
			continue
		}
		l.last[k] = now
		out = append(out, k)
	}
	for k, t := range l.last {
		if now.Sub(t) >= spacing {
			delete(l.last, k)
		}
	}
	return out
}
