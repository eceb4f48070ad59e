package topology

import (
	"context"
	"fmt"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// Position equivalences: every move that points a stopped replica at a
// new master at explicit binlog coordinates learns that where the replica
// stood on its old master and where it starts on the new one hold the
// same data. redirect records the pair; move-equivalent uses it to go
// back (or across) by coordinates without aligning anything.

// positionBefore is where the stopped replica key stands on its current
// master, when spec moves it to another master at explicit coordinates;
// nil when there is nothing to record (a GTID move, the same master, no
// executed position).
func (o *Operator) positionBefore(ctx context.Context, key inst.InstanceKey, spec mysql.ChangeMasterSpec) *backend.InstanceCoordinates {
	if spec.Coordinates == nil || spec.Master == (inst.InstanceKey{}) {
		return nil
	}
	now, err := o.fresh(ctx, key)
	if err != nil {
		log.Warningf("equivalence: read %s before moving it below %s: %v", key, spec.Master, err)
		return nil
	}
	stopped := now.ReplicationSQLThreadState == inst.ThreadStateStopped && now.ReplicationIOThreadState == inst.ThreadStateStopped
	if !now.IsReplica() || !stopped || now.MasterKey.IsDetached() || now.MasterKey == spec.Master || now.ExecBinlogCoordinates.IsEmpty() {
		return nil
	}
	return &backend.InstanceCoordinates{Key: now.MasterKey, Coordinates: now.ExecBinlogCoordinates}
}

// recordEquivalence stores from ≡ spec's new master position. The move is
// done by then: a failure is logged, not returned.
func (o *Operator) recordEquivalence(ctx context.Context, from *backend.InstanceCoordinates, spec mysql.ChangeMasterSpec) {
	if from == nil {
		return
	}
	to := backend.InstanceCoordinates{Key: spec.Master, Coordinates: *spec.Coordinates}
	if err := o.store.RecordEquivalence(context.WithoutCancel(ctx), *from, to); err != nil {
		log.Errorf("equivalence: %v", err)
	}
}

// EquivalentPositions lists the positions on other servers recorded as
// equivalent to coords on key's binary log.
func (o *Operator) EquivalentPositions(ctx context.Context, key inst.InstanceKey, coords inst.BinlogCoordinates) ([]backend.InstanceCoordinates, error) {
	if !key.IsValid() {
		return nil, badRequest("invalid instance key %q", key.String())
	}
	if !binlogFileName.MatchString(coords.LogFile) || coords.LogPos < 0 {
		return nil, badRequest("invalid binlog coordinates %s", coords)
	}
	return o.store.EquivalentPositions(ctx, backend.InstanceCoordinates{Key: key, Coordinates: coords})
}

// MoveEquivalent makes key (replicating by binlog coordinates) replicate
// from below at the position recorded as equivalent to where it stands
// on its current master: key stops (letting its SQL thread apply what it
// received), its executed position is looked up, and it starts again
// below below from the equivalent one. Without a recorded equivalence it
// is refused and key replicates as before. Typical use: undo a classic
// move while no writes reached key since.
func (o *Operator) MoveEquivalent(ctx context.Context, key, below inst.InstanceKey) (*inst.Instance, error) {
	const name = "move-equivalent"
	if err := o.validateMove(ctx, name, key, below); err != nil {
		return nil, err
	}
	err := o.run(ctx, name, key, []inst.InstanceKey{key}, func(ctx context.Context, op *operation) (string, error) {
		replica := op.before[key]
		if err := canMoveEquivalent(replica, below); err != nil {
			return "", err
		}
		target, err := o.fresh(ctx, below)
		if err != nil {
			return "", err
		}
		if err := canMoveBelow(target, o.maxLag()); err != nil {
			return "", err
		}
		if err := CanReplicateFrom(replica, target); err != nil {
			return "", err
		}
		if _, err := o.ap.StopReplicationNicely(ctx, key, replicationWait); err != nil {
			return "", err
		}
		coords, err := o.equivalentOn(ctx, key, below)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("moved %s below %s at %s (equivalent position)", key, below, coords),
			o.redirect(ctx, key, to(below, &coords, mysql.GTIDNone))
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

// canMoveEquivalent refuses what move-equivalent cannot do for replica.
func canMoveEquivalent(replica *inst.Instance, below inst.InstanceKey) error {
	switch {
	case !replica.IsReplica() || replica.MasterKey.IsDetached():
		return refused("%s is not a replica", replica.Key)
	case replica.MasterKey == below:
		return refused("%s already replicates from %s", replica.Key, below)
	case replica.UsingGTID():
		return refused("%s replicates by GTID: move it with move-gtid or relocate", replica.Key)
	}
	return nil
}

// equivalentOn reads where the stopped replica key stands on its master
// and returns the most recently recorded equivalent position on below.
// Without a pair at exactly that position, a pair recorded a little
// earlier in the same binary log still holds when every event between it
// and the replica's position carries no data (MariaDB writes its binlog
// checkpoint shortly after a rotation, and a replica that started at the
// recorded position goes on past it).
func (o *Operator) equivalentOn(ctx context.Context, key, below inst.InstanceKey) (inst.BinlogCoordinates, error) {
	now, err := o.fresh(ctx, key)
	if err != nil {
		return inst.BinlogCoordinates{}, err
	}
	at := backend.InstanceCoordinates{Key: now.MasterKey, Coordinates: now.ExecBinlogCoordinates}
	list, err := o.store.EquivalentPositions(ctx, at)
	if err != nil {
		return inst.BinlogCoordinates{}, err
	}
	for _, p := range list {
		if p.Key == below {
			return p.Coordinates, nil
		}
	}
	earlier, err := o.store.EquivalencesBefore(ctx, at)
	if err != nil {
		return inst.BinlogCoordinates{}, err
	}
	for _, e := range earlier {
		if e.There.Key != below {
			continue
		}
		if o.onlyDatalessEvents(ctx, at.Key, e.Here.Coordinates, at.Coordinates) {
			return e.There.Coordinates, nil
		}
		break // a nearer pair does not hold: an older one cannot either
	}
	return inst.BinlogCoordinates{}, refused("no recorded equivalence of %s on %s", at, below)
}

// datalessEvents are the binary log events that change no data.
var datalessEvents = map[string]bool{
	"Binlog_checkpoint": true, "Gtid_list": true, "Previous_gtids": true, "Heartbeat": true,
	"Format_desc": true, "Rotate": true, "Start_encryption": true, "Stop": true,
}

// maxDatalessEvents bounds the events read between two positions.
const maxDatalessEvents = 20

// onlyDatalessEvents reports whether key's binary log holds only events
// that change no data from from up to to (same file).
func (o *Operator) onlyDatalessEvents(ctx context.Context, key inst.InstanceKey, from, to inst.BinlogCoordinates) bool {
	events, err := o.in.BinlogEvents(ctx, key, from.LogFile, from.LogPos, maxDatalessEvents)
	if err != nil {
		log.Warningf("equivalence: %v", err)
		return false
	}
	for _, e := range events {
		if e.Pos >= to.LogPos {
			return e.Pos == to.LogPos
		}
		if !datalessEvents[e.Type] {
			return false
		}
	}
	return len(events) > 0 && events[len(events)-1].End == to.LogPos
}
