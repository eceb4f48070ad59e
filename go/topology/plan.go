package topology

import (
	"errors"
	"fmt"
	"strings"

	"orchestrator/go/inst"
)

// Methods a planned move uses.
const (
	MethodGTID   = "GTID"
	MethodBinlog = "binlog"
)

// MovePlan answers "can Instance (or its replicas) go below Target, and
// how?" from a snapshot of one cluster. It is what the web UI shows while
// dragging; the operation itself checks again on fresh state.
type MovePlan struct {
	Instance    inst.InstanceKey
	Target      inst.InstanceKey
	Replicas    bool   // the replicas of Instance move, not Instance
	Allowed     bool   // the operation is expected to work
	Operation   string // API operation name: relocate, move-up, move-below, take-master, make-co-master, move-up-replicas, relocate-replicas
	Method      string // GTID or binlog
	API         string // path to call (without URLPrefix) when Allowed
	Description string // one sentence naming what would happen
	Reason      string // why not, when not Allowed
}

// snapshot indexes one cluster's instances by key.
type snapshot map[inst.InstanceKey]*inst.Instance

func newSnapshot(list []*inst.Instance) snapshot {
	s := snapshot{}
	for _, i := range list {
		s[i.Key] = i
	}
	return s
}

// master returns i's master when i replicates from a known instance.
func (s snapshot) master(i *inst.Instance) *inst.Instance {
	if !i.IsReplica() || i.MasterKey.IsDetached() {
		return nil
	}
	return s[i.MasterKey]
}

// descends reports whether d replicates, directly or not, from a.
func (s snapshot) descends(d, a *inst.Instance) bool {
	seen := map[inst.InstanceKey]bool{}
	for m := s.master(d); m != nil && !seen[m.Key]; m = s.master(m) {
		if m.Key == a.Key {
			return true
		}
		seen[m.Key] = true
	}
	return false
}

// pair looks up the moving instance and the target; same is the refusal
// when they are one instance.
func (s snapshot) pair(key, target inst.InstanceKey, same string) (*inst.Instance, *inst.Instance, error) {
	node, tgt := s[key], s[target]
	switch {
	case node == nil:
		return nil, nil, fmt.Errorf("%s is not in this cluster", key)
	case tgt == nil:
		return nil, nil, fmt.Errorf("%s is not in this cluster", target)
	case key == target:
		return nil, nil, errors.New(same)
	}
	return node, tgt, nil
}

func (s snapshot) replicasOf(key inst.InstanceKey) []*inst.Instance {
	var out []*inst.Instance
	for _, i := range s {
		if i.IsReplica() && i.MasterKey == key {
			out = append(out, i)
		}
	}
	return out
}

// gtidPair reports whether replica would move below master by GTID.
func gtidPair(replica, master *inst.Instance) bool {
	return replica.SupportsGTID() && master.SupportsGTID() && replica.IsMariaDB() == master.IsMariaDB()
}

// reason is the human part of a refusal (without the error kind prefix).
func reason(err error) string {
	return strings.TrimPrefix(err.Error(), inst.ErrRefused.Error()+": ")
}

func apiPath(op string, keys ...inst.InstanceKey) string {
	var b strings.Builder
	b.WriteString("/api/" + op)
	for _, k := range keys {
		fmt.Fprintf(&b, "/%s/%d", k.Hostname, k.Port)
	}
	return b.String()
}

// PlanMoves plans moving key (or its replicas) below every other instance
// of the cluster in list.
func PlanMoves(list []*inst.Instance, key inst.InstanceKey, replicas bool) []MovePlan {
	out := make([]MovePlan, 0, len(list))
	for _, t := range list {
		if t.Key == key {
			continue
		}
		if replicas {
			out = append(out, PlanMoveReplicas(list, key, t.Key))
		} else {
			out = append(out, PlanMove(list, key, t.Key))
		}
	}
	return out
}

// PlanMove decides how key would go below target in the cluster list:
// move-up (target is its grandparent), move-below (a sibling), relocate
// (anywhere else, by GTID), take-master (target is its own master, an
// intermediate one) or make-co-master (key is the master and target one
// of its replicas); or why it cannot.
func PlanMove(list []*inst.Instance, key, target inst.InstanceKey) MovePlan {
	p := MovePlan{Instance: key, Target: target}
	s := newSnapshot(list)
	node, tgt, err := s.pair(key, target, "an instance cannot replicate from itself")
	switch {
	case err != nil:
		return p.refuse(err)
	case node.IsMaintenance:
		return p.refuse(fmt.Errorf("%s is in maintenance (%s: %s)", key, node.MaintenanceOwner, node.MaintenanceReason))
	}
	master := s.master(node)
	if master == nil {
		return planFromMaster(p, node, tgt)
	}
	if master.Key == target {
		return planTakeMaster(s, p, node, master)
	}
	if s.descends(tgt, node) {
		return p.refuse(fmt.Errorf("%s replicates from %s: moving %s below it would make a cycle", target, key, key))
	}
	grand := s.master(master)
	switch {
	case grand != nil && grand.Key == target:
		return p.classicOrGTID(node, tgt, "move-up", master, fmt.Sprintf("move %s up below its grandparent %s", key, target), apiPath("move-up", key))
	case s.master(tgt) != nil && tgt.MasterKey == master.Key:
		return p.classicOrGTID(node, tgt, "move-below", tgt, fmt.Sprintf("move %s below its sibling %s", key, target), apiPath("move-below", key, target))
	}
	if !gtidPair(node, tgt) {
		return p.refuse(fmt.Errorf("without GTID, %s can only move below its grandparent or a sibling", key))
	}
	if err := canReplicateFromGTID(node, tgt); err != nil {
		return p.refuse(err)
	}
	return p.allow("relocate", MethodGTID, fmt.Sprintf("relocate %s below %s", key, target), apiPath("relocate", key, target))
}

// classicOrGTID completes a move-up or move-below: GTID when node
// replicates by GTID, else binlog coordinates, which need node and the
// instance whose coordinates it aligns with (other) replicating.
func (p MovePlan) classicOrGTID(node, tgt *inst.Instance, op string, other *inst.Instance, desc, api string) MovePlan {
	if other.IsMaintenance {
		return p.refuse(fmt.Errorf("%s is in maintenance (%s: %s)", other.Key, other.MaintenanceOwner, other.MaintenanceReason))
	}
	if node.UsingGTID() {
		if err := canReplicateFromGTID(node, tgt); err != nil {
			return p.refuse(err)
		}
		return p.allow(op, MethodGTID, desc, api)
	}
	if err := CanReplicateFrom(node, tgt); err != nil {
		return p.refuse(err)
	}
	if err := requireReplicating(node, other); err != nil {
		return p.refuse(err)
	}
	return p.allow(op, MethodBinlog, desc, api)
}

// planFromMaster: the cluster's master can only become co-master with one
// of its own replicas.
func planFromMaster(p MovePlan, node, tgt *inst.Instance) MovePlan {
	if !tgt.IsReplica() || tgt.MasterKey != node.Key || node.IsCoMaster {
		return p.refuse(fmt.Errorf("%s is the master of the cluster: it can only become co-master with one of its direct replicas", node.Key))
	}
	if tgt.IsMaintenance {
		return p.refuse(fmt.Errorf("%s is in maintenance (%s: %s)", tgt.Key, tgt.MaintenanceOwner, tgt.MaintenanceReason))
	}
	if !gtidPair(node, tgt) {
		return p.refuse(fmt.Errorf("make-co-master needs GTID support on %s and %s", node.Key, tgt.Key))
	}
	if err := canReplicateFromGTID(node, tgt); err != nil {
		return p.refuse(err)
	}
	return p.allow("make-co-master", MethodGTID, fmt.Sprintf("make %s replicate from %s: the two become co-masters", node.Key, tgt.Key),
		apiPath("make-co-master", tgt.Key))
}

// planTakeMaster: dropping an instance on its own master swaps the two,
// when that master is an intermediate master.
func planTakeMaster(s snapshot, p MovePlan, node, master *inst.Instance) MovePlan {
	grand := s.master(master)
	switch {
	case grand == nil:
		return p.refuse(fmt.Errorf("%s already replicates from %s, the top of the cluster (promote it with a graceful master takeover)", node.Key, master.Key))
	case master.IsCoMaster:
		return p.refuse(fmt.Errorf("%s is a co-master", master.Key))
	case master.IsMaintenance:
		return p.refuse(fmt.Errorf("%s is in maintenance (%s: %s)", master.Key, master.MaintenanceOwner, master.MaintenanceReason))
	case !node.UsingGTID():
		return p.refuse(fmt.Errorf("take-master needs GTID replication on %s", node.Key))
	}
	if err := canReplicateFromGTID(node, grand); err != nil {
		return p.refuse(err)
	}
	return p.allow("take-master", MethodGTID, fmt.Sprintf("swap %s with its master %s: %s replicates from %s and %s from %s",
		node.Key, master.Key, node.Key, grand.Key, master.Key, node.Key), apiPath("take-master", node.Key))
}

// PlanMoveReplicas decides how the replicas of key would go below target:
// move-up-replicas (target is key's master) or relocate-replicas (by GTID).
func PlanMoveReplicas(list []*inst.Instance, key, target inst.InstanceKey) MovePlan {
	p := MovePlan{Instance: key, Target: target, Replicas: true}
	s := newSnapshot(list)
	node, tgt, err := s.pair(key, target, "the replicas already replicate from it")
	switch {
	case err != nil:
		return p.refuse(err)
	case s.descends(tgt, node):
		return p.refuse(fmt.Errorf("%s replicates from %s: its replicas cannot move below it", target, key))
	}
	replicas := s.replicasOf(key)
	if len(replicas) == 0 {
		return p.refuse(fmt.Errorf("%s has no replicas", key))
	}
	if m := s.master(node); m != nil && m.Key == target {
		method := MethodGTID
		for _, r := range replicas {
			if err := CanReplicateFrom(r, tgt); err != nil {
				return p.refuse(err)
			}
			if !r.UsingGTID() {
				method = MethodBinlog
				if err := requireReplicating(node, r); err != nil {
					return p.refuse(err)
				}
			}
		}
		return p.allow("move-up-replicas", method, fmt.Sprintf("move the %d replicas of %s up below %s", len(replicas), key, target),
			apiPath("move-up-replicas", key))
	}
	for _, r := range replicas {
		if !gtidPair(r, tgt) {
			return p.refuse(fmt.Errorf("without GTID, the replicas of %s can only move up to its master", key))
		}
		if err := canReplicateFromGTID(r, tgt); err != nil {
			return p.refuse(err)
		}
	}
	return p.allow("relocate-replicas", MethodGTID, fmt.Sprintf("relocate the %d replicas of %s below %s", len(replicas), key, target),
		apiPath("relocate-replicas", key, target))
}

func (p MovePlan) refuse(err error) MovePlan {
	p.Allowed, p.Reason = false, reason(err)
	return p
}

func (p MovePlan) allow(op, method, desc, api string) MovePlan {
	p.Allowed, p.Operation, p.Method, p.Description, p.API = true, op, method, desc, api
	return p
}
