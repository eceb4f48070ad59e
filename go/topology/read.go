// Package topology reads topologies from the store and performs operations
// on live servers: moves, replication control, maintenance locks, downtime
// and audit.
package topology

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Reader reads instances and clusters from the store and annotates them
// with derived state (validity, downtime, maintenance, promotion rules).
type Reader struct {
	store *backend.Store
	cfg   atomic.Pointer[config.Config] // replaced whole by ApplyConfig
}

// NewReader builds a Reader.
func NewReader(store *backend.Store, cfg *config.Config) *Reader {
	r := &Reader{store: store}
	r.cfg.Store(cfg)
	return r
}

func (r *Reader) conf() *config.Config { return r.cfg.Load() }

// ApplyConfig takes a reloaded configuration: InstancePollSeconds (how
// fresh a check must be to count as up to date) applies from the next
// read. It never refuses.
func (r *Reader) ApplyConfig(cfg *config.Config) error {
	r.cfg.Store(cfg)
	return nil
}

// Freshness returns the current derivation settings.
func (r *Reader) Freshness() inst.Freshness {
	return inst.Freshness{
		Now:                      time.Now(),
		PollInterval:             r.conf().InstancePoll(),
		ReasonableCheck:          time.Duration(r.conf().ReasonableInstanceCheckSeconds) * time.Second,
		ReasonableReplicationLag: int64(r.conf().ReasonableReplicationLagSeconds),
	}
}

// annotations are the per-instance facts that live outside database_instance.
type annotations struct {
	downtimes   map[inst.InstanceKey]backend.Downtime
	maintenance map[inst.InstanceKey]backend.Maintenance
	candidates  map[inst.InstanceKey]backend.Candidate
	aliases     map[string]string
	domains     map[string]string
}

func (r *Reader) annotations(ctx context.Context) (*annotations, error) {
	a := &annotations{maintenance: map[inst.InstanceKey]backend.Maintenance{}}
	var err error
	if a.downtimes, err = r.store.ActiveDowntimes(ctx); err != nil {
		return nil, err
	}
	m, err := r.store.ActiveMaintenance(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range m {
		a.maintenance[x.Key] = x
	}
	since := time.Now().Add(-time.Duration(r.conf().CandidateInstanceExpireMinutes) * time.Minute)
	if a.candidates, err = r.store.Candidates(ctx, since); err != nil {
		return nil, err
	}
	if a.aliases, err = r.store.ClusterAliases(ctx); err != nil {
		return nil, err
	}
	if a.domains, err = r.store.ClusterDomains(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *annotations) apply(i *inst.Instance, f inst.Freshness) {
	if d, ok := a.downtimes[i.Key]; ok {
		i.IsDowntimed, i.DowntimeOwner, i.DowntimeReason = true, d.Owner, d.Reason
		i.DowntimeEndTimestamp = inst.FormatTime(d.EndsAt)
		i.ElapsedDowntime = f.Now.Sub(d.BeginsAt)
	}
	if m, ok := a.maintenance[i.Key]; ok {
		i.IsMaintenance, i.MaintenanceOwner, i.MaintenanceReason = true, m.Owner, m.Reason
	}
	if c, ok := a.candidates[i.Key]; ok {
		i.PromotionRule = c.PromotionRule
	}
	i.IsCandidate = i.PromotionRule == inst.MustPromoteRule || i.PromotionRule == inst.PreferPromoteRule
	i.ClusterAlias = i.ClusterName
	if alias, ok := a.aliases[i.ClusterName]; ok && alias != "" {
		i.ClusterAlias = alias
	}
	if domain, ok := a.domains[i.ClusterName]; ok {
		i.ClusterDomain = domain
	}
	i.Derive(f)
}

// Instances reads and annotates instances matching the filter.
func (r *Reader) Instances(ctx context.Context, f backend.InstanceFilter) ([]*inst.Instance, error) {
	list, err := r.store.ReadInstances(ctx, f)
	if err != nil {
		return nil, err
	}
	a, err := r.annotations(ctx)
	if err != nil {
		return nil, err
	}
	fresh := r.Freshness()
	for _, i := range list {
		a.apply(i, fresh)
	}
	return list, nil
}

// Instance reads one annotated instance; unknown → inst.ErrNotFound.
func (r *Reader) Instance(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	list, err := r.Instances(ctx, backend.InstanceFilter{Key: &key})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("instance %s is unknown: %w", key, inst.ErrNotFound)
	}
	return list[0], nil
}

// Replicas reads the direct replicas of an instance.
func (r *Reader) Replicas(ctx context.Context, key inst.InstanceKey) ([]*inst.Instance, error) {
	return r.Instances(ctx, backend.InstanceFilter{MasterKey: &key})
}

// ResolveCluster turns a cluster hint into a cluster name: an exact cluster
// name, an alias, or an instance key (exact, then a unique hostname prefix).
func (r *Reader) ResolveCluster(ctx context.Context, hint string) (string, error) {
	hint = strings.TrimSpace(hint)
	if hint == "" {
		return "", fmt.Errorf("%w: empty cluster hint", inst.ErrBadRequest)
	}
	// Narrow queries, not a read of every instance: this runs for every
	// cluster request.
	names, err := r.store.ClusterNames(ctx)
	if err != nil {
		return "", err
	}
	if slices.Contains(names, hint) {
		return hint, nil
	}
	aliases, err := r.store.ClusterAliases(ctx)
	if err != nil {
		return "", err
	}
	for _, name := range names {
		if aliases[name] == hint {
			return name, nil
		}
	}
	if key, err := inst.ParseInstanceKey(hint, r.conf().DefaultInstancePort); err == nil {
		list, err := r.store.ReadInstances(ctx, backend.InstanceFilter{Key: &key})
		if err != nil {
			return "", err
		}
		if len(list) > 0 {
			return list[0].ClusterName, nil
		}
	}
	matches, err := r.store.ClustersOfHostnamePrefix(ctx, hint)
	if err != nil {
		return "", err
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	return "", fmt.Errorf("cluster %q is unknown: %w", hint, inst.ErrNotFound)
}

// Cluster reads every instance of the cluster named by a hint.
func (r *Reader) Cluster(ctx context.Context, hint string) ([]*inst.Instance, error) {
	name, err := r.ResolveCluster(ctx, hint)
	if err != nil {
		return nil, err
	}
	return r.Instances(ctx, backend.InstanceFilter{ClusterName: name})
}

// ClusterMaster returns the writable top of a cluster.
func (r *Reader) ClusterMaster(ctx context.Context, hint string) (*inst.Instance, error) {
	list, err := r.Cluster(ctx, hint)
	if err != nil {
		return nil, err
	}
	return Master(list)
}

// Master picks the master of a cluster's instances: depth 0 and not a
// replica, preferring a writable one (co-masters).
func Master(list []*inst.Instance) (*inst.Instance, error) {
	var best *inst.Instance
	for _, i := range list {
		if i.IsReplica() && !i.IsCoMaster {
			continue
		}
		if best == nil || (best.ReadOnly && !i.ReadOnly) || (best.IsReplica() && !i.IsReplica()) {
			best = i
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no master found: %w", inst.ErrNotFound)
	}
	return best, nil
}

// ClusterNames lists the known clusters.
func (r *Reader) ClusterNames(ctx context.Context) ([]string, error) {
	return r.store.ClusterNames(ctx)
}

// Search finds instances whose key, cluster, version or alias contains s,
// or whose server id or port equals it.
func (r *Reader) Search(ctx context.Context, s string) ([]*inst.Instance, error) {
	all, err := r.Instances(ctx, backend.InstanceFilter{})
	if err != nil {
		return nil, err
	}
	out := []*inst.Instance{}
	for _, i := range all {
		if strings.Contains(i.Key.String(), s) || strings.Contains(i.ClusterName, s) || strings.Contains(i.Version, s) ||
			strings.Contains(i.VersionComment, s) || (i.SuggestedClusterAlias != "" && strings.Contains(i.SuggestedClusterAlias, s)) ||
			fmt.Sprint(i.ServerID) == s || fmt.Sprint(i.Key.Port) == s {
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].ReplicationDepth != out[b].ReplicationDepth {
			return out[a].ReplicationDepth < out[b].ReplicationDepth
		}
		return len(out[a].Replicas) > len(out[b].Replicas)
	})
	return out, nil
}
