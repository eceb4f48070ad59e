package discovery

import (
	"context"
	"fmt"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// place sets the instance's cluster name, depth and co-master flag from
// its master's stored row: the cluster is named after the top master.
func (d *Discoverer) place(ctx context.Context, i *inst.Instance) error {
	if !i.IsReplica() || i.MasterKey.IsDetached() {
		i.ClusterName, i.ReplicationDepth = i.Key.String(), 0
		return nil
	}
	masters, err := d.store.ReadInstances(ctx, backend.InstanceFilter{Key: &i.MasterKey})
	if err != nil {
		return fmt.Errorf("place %s: %w", i.Key, err)
	}
	if len(masters) == 0 {
		i.ClusterName, i.ReplicationDepth = i.MasterKey.String(), 1
		return nil
	}
	m := masters[0]
	if m.MasterKey == i.Key {
		// Co-masters: the writable one (or the smaller key) names the cluster.
		i.IsCoMaster = true
		top := coMasterTop(i, m)
		i.ClusterName = top.Key.String()
		if top.Key == i.Key {
			i.ReplicationDepth = 0
		} else {
			i.ReplicationDepth = 1
		}
		return nil
	}
	i.ClusterName = m.ClusterName
	if i.ClusterName == "" {
		i.ClusterName = m.Key.String()
	}
	i.ReplicationDepth = m.ReplicationDepth + 1
	return nil
}

func coMasterTop(a, b *inst.Instance) *inst.Instance {
	switch {
	case !a.ReadOnly && b.ReadOnly:
		return a
	case a.ReadOnly && !b.ReadOnly:
		return b
	case a.Key.String() < b.Key.String():
		return a
	}
	return b
}

// propagateCluster pushes the instance's cluster name and depth down to its
// stored descendants, so a topology found bottom-up converges at once.
func (d *Discoverer) propagateCluster(ctx context.Context, top *inst.Instance) error {
	type level struct {
		key     inst.InstanceKey
		cluster string
		depth   uint
	}
	visited := map[inst.InstanceKey]bool{top.Key: true}
	queue := []level{{top.Key, top.ClusterName, top.ReplicationDepth}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		replicas, err := d.store.ReadInstances(ctx, backend.InstanceFilter{MasterKey: &cur.key})
		if err != nil {
			return fmt.Errorf("propagate cluster of %s: %w", cur.key, err)
		}
		for _, r := range replicas {
			if visited[r.Key] || r.IsCoMaster {
				continue
			}
			visited[r.Key] = true
			if r.ClusterName != cur.cluster || r.ReplicationDepth != cur.depth+1 {
				if err := d.store.SetClusterAndDepth(ctx, r.Key, cur.cluster, cur.depth+1); err != nil {
					return err
				}
			}
			queue = append(queue, level{r.Key, cur.cluster, cur.depth + 1})
		}
	}
	return nil
}
