package discovery

import (
	"context"
	"fmt"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// placement is where an instance was last stored: what its replicas need
// to place themselves, kept in memory so a poll does not read the backend.
type placement struct {
	cluster   string
	depth     uint
	masterKey inst.InstanceKey
	coMaster  bool
	// What a replica needs to judge its errant GTIDs (errant.go); known
	// only for instances this Discoverer probed along the whole chain.
	gtid gtidPlacement
}

// place sets the instance's cluster name, depth and co-master flag from
// its master's placement (remembered from the master's last probe, or read
// from the store): the cluster is named after the top master. moved
// reports a cluster or depth different from the instance's last stored
// one, so its descendants must follow.
func (d *Discoverer) place(ctx context.Context, i *inst.Instance) (moved bool, err error) {
	defer func() {
		d.placedMu.RLock()
		prev, ok := d.placed[i.Key]
		d.placedMu.RUnlock()
		moved = !ok || prev.cluster != i.ClusterName || prev.depth != i.ReplicationDepth
	}()
	if !i.IsReplica() || i.MasterKey.IsDetached() {
		i.ClusterName, i.ReplicationDepth = i.Key.String(), 0
		return false, nil
	}
	m, ok, err := d.placementOf(ctx, i.MasterKey)
	if err != nil {
		return false, fmt.Errorf("place %s: %w", i.Key, err)
	}
	if !ok {
		i.ClusterName, i.ReplicationDepth = i.MasterKey.String(), 1
		return false, nil
	}
	if m.masterKey == i.Key {
		// Co-masters: the writable one (or the smaller key) names the cluster.
		i.IsCoMaster = true
		master, err := d.store.ReadInstances(ctx, backend.InstanceFilter{Key: &i.MasterKey})
		if err != nil || len(master) == 0 {
			return false, fmt.Errorf("place %s: read co-master: %w", i.Key, err)
		}
		top := coMasterTop(i, master[0])
		i.ClusterName = top.Key.String()
		if top.Key == i.Key {
			i.ReplicationDepth = 0
		} else {
			i.ReplicationDepth = 1
		}
		return false, nil
	}
	i.ClusterName = m.cluster
	if i.ClusterName == "" {
		i.ClusterName = i.MasterKey.String()
	}
	i.ReplicationDepth = m.depth + 1
	setErrant(i, m.gtid)
	return false, nil
}

// placementOf returns key's remembered placement, reading the store when
// it was not probed by this Discoverer.
func (d *Discoverer) placementOf(ctx context.Context, key inst.InstanceKey) (placement, bool, error) {
	d.placedMu.RLock()
	p, ok := d.placed[key]
	d.placedMu.RUnlock()
	if ok {
		return p, true, nil
	}
	list, err := d.store.ReadInstances(ctx, backend.InstanceFilter{Key: &key})
	if err != nil || len(list) == 0 {
		return placement{}, false, err
	}
	m := list[0]
	return placement{cluster: m.ClusterName, depth: m.ReplicationDepth, masterKey: m.MasterKey, coMaster: m.IsCoMaster}, true, nil
}

// isPlaced reports whether this Discoverer stored (or read) key's placement.
func (d *Discoverer) isPlaced(key inst.InstanceKey) bool {
	d.placedMu.RLock()
	defer d.placedMu.RUnlock()
	_, ok := d.placed[key]
	return ok
}

// remember records where i was stored.
func (d *Discoverer) remember(i *inst.Instance) {
	d.placedMu.Lock()
	defer d.placedMu.Unlock()
	p := placement{cluster: i.ClusterName, depth: i.ReplicationDepth, masterKey: i.MasterKey, coMaster: i.IsCoMaster}
	p.gtid = gtidPlacementOf(i, d.placed[i.MasterKey].gtid)
	d.placed[i.Key] = p
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
			r.ClusterName, r.ReplicationDepth = cur.cluster, cur.depth+1
			d.remember(r)
			queue = append(queue, level{r.Key, cur.cluster, cur.depth + 1})
		}
	}
	return nil
}
