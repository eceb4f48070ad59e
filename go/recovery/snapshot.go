package recovery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// stallTracker remembers, across probes, since when each replica's
// received position (and heartbeat count) and each master's own binlog
// position have stood still. Analysis uses it to confirm a hard host death
// sooner than slave_net_timeout and to spot a locked semi-sync master.
type stallTracker struct {
	mu       sync.Mutex
	received map[inst.InstanceKey]stallMark // replicas: received position
	own      map[inst.InstanceKey]stallMark // every instance: own binlog position
}

type stallMark struct {
	sig         string
	since       time.Time // LastChecked of the first probe with this signature
	lastChecked time.Time
}

func newStallTracker() *stallTracker {
	return &stallTracker{received: map[inst.InstanceKey]stallMark{}, own: map[inst.InstanceKey]stallMark{}}
}

func receivedSignature(i *inst.Instance) string {
	return fmt.Sprintf("%s|%s|%d", i.MariaDBGtidIOPos, i.ReadBinlogCoordinates, i.ReceivedHeartbeats)
}

// observe records the instances' positions and returns for how long each
// replica's received position and each master's binlog position have not
// moved (only entries that did not move across at least two probes).
func (t *stallTracker) observe(list []*inst.Instance) (replicas, masters map[inst.InstanceKey]time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	replicas, masters = map[inst.InstanceKey]time.Duration{}, map[inst.InstanceKey]time.Duration{}
	for _, i := range list {
		if !i.IsLastCheckValid || i.LastChecked.IsZero() {
			continue
		}
		if i.IsReplica() {
			mark(t.received, i.Key, receivedSignature(i), i.LastChecked, replicas)
		}
		mark(t.own, i.Key, i.SelfBinlogCoordinates.String(), i.LastChecked, masters)
	}
	return replicas, masters
}

func mark(seen map[inst.InstanceKey]stallMark, k inst.InstanceKey, sig string, checked time.Time, out map[inst.InstanceKey]time.Duration) {
	m, ok := seen[k]
	switch {
	case !ok || m.sig != sig:
		seen[k] = stallMark{sig: sig, since: checked, lastChecked: checked}
		return
	case checked.After(m.lastChecked):
		m.lastChecked = checked
		seen[k] = m
	}
	if m.lastChecked.After(m.since) {
		out[k] = m.lastChecked.Sub(m.since)
	}
}

// options are the analysis settings from the config.
func (rc *Recoverer) options() analysis.Options {
	c := rc.conf()
	return analysis.Options{
		Freshness:                               rc.d.Reader.Freshness(),
		ReasonableReplicationLagSeconds:         int64(c.ReasonableReplicationLagSeconds),
		ReasonableLockedSemiSyncMasterSeconds:   int64(c.ReasonableLockedSemiSyncMasterSeconds),
		RecoverMasterClusterFilters:             c.RecoverMasterClusterFilters,
		RecoverIntermediateMasterClusterFilters: c.RecoverIntermediateMasterClusterFilters,
		RecoveryIgnoreHostnameFilters:           c.RecoveryIgnoreHostnameFilters,
		RecoverNonWriteableMaster:               c.RecoverNonWriteableMaster,
		RecoverLockedSemiSyncMaster:             c.RecoverLockedSemiSyncMaster,
		EnforceExactSemiSyncReplicas:            c.EnforceExactSemiSyncReplicas,
		ReduceReplicationAnalysisCount:          c.ReduceReplicationAnalysisCount,
		ProcessingNodeHostname:                  rc.d.Holder.Hostname,
		ProcessingNodeToken:                     rc.d.Holder.Token,
	}
}

// Snapshot reads what analysis needs from the backend, optionally one
// cluster only.
func (rc *Recoverer) Snapshot(ctx context.Context, cluster string) (analysis.Snapshot, error) {
	list, err := rc.d.Reader.Instances(ctx, backend.InstanceFilter{ClusterName: cluster})
	if err != nil {
		return analysis.Snapshot{}, fmt.Errorf("read instances: %w", err)
	}
	s := analysis.Snapshot{Instances: list, Now: time.Now()}
	s.ReplicaStalled, s.StaleBinlogCoordinates = rc.stalls.observe(list)
	if s.ClusterAliases, err = rc.d.Store.ClusterAliases(ctx); err != nil {
		return s, fmt.Errorf("read cluster aliases: %w", err)
	}
	if s.ClusterDomains, err = rc.d.Store.ClusterDomains(ctx); err != nil {
		return s, fmt.Errorf("read cluster domains: %w", err)
	}
	return s, nil
}

// Analyze returns the current replication analysis, optionally of one
// cluster, including NoProblem and downtimed entries when asked.
func (rc *Recoverer) Analyze(ctx context.Context, cluster string, all bool) ([]analysis.ReplicationAnalysis, error) {
	entries, _, err := rc.analyzeWhy(ctx, cluster, all)
	return entries, err
}

// analyzeWhy is Analyze, with a function saying why an instance has no
// entry in it (analysis.WhyNoEntry on the same snapshot).
func (rc *Recoverer) analyzeWhy(ctx context.Context, cluster string, all bool) ([]analysis.ReplicationAnalysis, func(inst.InstanceKey) string, error) {
	s, err := rc.Snapshot(ctx, cluster)
	if err != nil {
		return nil, nil, err
	}
	o := rc.options()
	o.ClusterName, o.IncludeDowntimed, o.IncludeNoProblem = cluster, true, all
	return analysis.Analyze(s, o), func(k inst.InstanceKey) string { return analysis.WhyNoEntry(s, o, k) }, nil
}
