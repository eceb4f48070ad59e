package topology

import (
	"context"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// Masters returns the master of every cluster.
func (r *Reader) Masters(ctx context.Context) ([]*inst.Instance, error) {
	all, err := r.Instances(ctx, backend.InstanceFilter{})
	if err != nil {
		return nil, err
	}
	byCluster := map[string][]*inst.Instance{}
	var order []string
	for _, i := range all {
		if _, ok := byCluster[i.ClusterName]; !ok {
			order = append(order, i.ClusterName)
		}
		byCluster[i.ClusterName] = append(byCluster[i.ClusterName], i)
	}
	out := []*inst.Instance{}
	for _, name := range order {
		if m, err := Master(byCluster[name]); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// Problems lists instances with problems, excluding downtimed ones and
// ProblemIgnoreHostnameFilters; hint narrows to one cluster when given.
func (r *Reader) Problems(ctx context.Context, hint string) ([]*inst.Instance, error) {
	list, err := r.scope(ctx, hint)
	if err != nil {
		return nil, err
	}
	ignore := inst.CompileHostnameFilters(r.conf().ProblemIgnoreHostnameFilters)
	out := []*inst.Instance{}
	for _, i := range list {
		if len(i.Problems) == 0 || i.IsDowntimed || ignore.Match(i.Key.Hostname) {
			continue
		}
		out = append(out, i)
	}
	return out, nil
}

// HeuristicLag is the largest replica lag in a cluster.
func HeuristicLag(list []*inst.Instance) int64 {
	var lag int64
	for _, i := range list {
		if i.ReplicationLagSeconds.Valid && i.ReplicationLagSeconds.Int64 > lag {
			lag = i.ReplicationLagSeconds.Int64
		}
	}
	return lag
}

// OSCReplicas suggests control replicas for online schema changes: healthy
// leaf replicas first, then intermediate ones, excluding ignored hosts.
func OSCReplicas(list []*inst.Instance, ignoreFilters []string) []*inst.Instance {
	ignore := inst.CompileHostnameFilters(ignoreFilters)
	var leaves, middles []*inst.Instance
	for _, i := range list {
		if !i.IsReplica() || !i.IsLastCheckValid || ignore.Match(i.Key.Hostname) {
			continue
		}
		if len(i.Replicas) == 0 {
			leaves = append(leaves, i)
		} else {
			middles = append(middles, i)
		}
	}
	return append(leaves, middles...)
}

// Downtimed lists downtimed instances; hint narrows to one cluster when given.
func (r *Reader) Downtimed(ctx context.Context, hint string) ([]*inst.Instance, error) {
	list, err := r.scope(ctx, hint)
	if err != nil {
		return nil, err
	}
	out := []*inst.Instance{}
	for _, i := range list {
		if i.IsDowntimed {
			out = append(out, i)
		}
	}
	return out, nil
}

// scope reads one cluster's instances when hint names one, else all.
func (r *Reader) scope(ctx context.Context, hint string) ([]*inst.Instance, error) {
	if hint != "" {
		return r.Cluster(ctx, hint)
	}
	return r.Instances(ctx, backend.InstanceFilter{})
}

// TopologyTags renders a cluster's text tree with each instance's tags
// ("[name,name=value]") at the end of its line (topology-tags).
func (r *Reader) TopologyTags(ctx context.Context, hint string) (string, error) {
	list, err := r.Cluster(ctx, hint)
	if err != nil {
		return "", err
	}
	tags := map[inst.InstanceKey][]string{}
	for _, i := range list {
		ts, err := r.store.Tags(ctx, i.Key)
		if err != nil {
			return "", err
		}
		for _, t := range ts {
			tags[i.Key] = append(tags[i.Key], t.String())
		}
	}
	return inst.TopologyTagsText(list, tags), nil
}
