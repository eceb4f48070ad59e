package topology

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// MoveUp makes key replicate from its grandparent (a sibling of its
// master). A GTID replica moves by GTID; otherwise by binlog coordinates:
// the master stops, key catches up with it, and key is pointed at the
// grandparent at the master's executed coordinates.
func (o *Operator) MoveUp(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.withMaster(ctx, "move-up", key, func(ctx context.Context, replica, master *inst.Instance) (string, error) {
		if !master.IsReplica() || master.MasterKey.IsDetached() {
			return "", refused("%s's master %s is not a replica: there is no grandparent to move up to", key, master.Key)
		}
		grand, err := o.fresh(ctx, master.MasterKey)
		if err != nil {
			return "", err
		}
		if err := canMoveBelow(grand, o.maxLag()); err != nil {
			return "", err
		}
		if replica.UsingGTID() {
			if err := canReplicateFromGTID(replica, grand); err != nil {
				return "", err
			}
			return fmt.Sprintf("moved %s up below %s via GTID", key, grand.Key), o.pointGTID(ctx, replica, grand)
		}
		if err := CanReplicateFrom(replica, grand); err != nil {
			return "", err
		}
		if err := o.moveUpClassic(ctx, replica, master, grand); err != nil {
			return "", err
		}
		return fmt.Sprintf("moved %s up below %s", key, grand.Key), nil
	})
}

// requireReplicating refuses classic moves of instances whose replication
// is not running: their coordinates could not be aligned.
func requireReplicating(list ...*inst.Instance) error {
	for _, i := range list {
		if !i.IsReplicating() {
			return refused("%s is not replicating (both threads must run for a binlog-position move)", i.Key)
		}
	}
	return nil
}

// moveUpClassic: stop master; let replica execute all master logged; stop
// replica; point it at grand at master's executed coordinates; start both.
func (o *Operator) moveUpClassic(ctx context.Context, replica, master, grand *inst.Instance) error {
	if err := o.requireMovable(replica, master); err != nil {
		return err
	}
	masterNow, err := o.stopAndRead(ctx, master.Key)
	if err != nil {
		return err
	}
	if err := o.ap.WaitForCoordinates(ctx, replica.Key, masterNow.SelfBinlogCoordinates); err != nil {
		return err
	}
	if err := o.ap.StopReplication(ctx, replica.Key); err != nil {
		return err
	}
	coords := masterNow.ExecBinlogCoordinates
	return o.redirect(ctx, replica.Key, to(grand.Key, &coords, mysql.GTIDNone), master.Key)
}

// MoveBelow makes key replicate from its sibling. GTID replicas move by
// GTID; otherwise both stop, the one behind catches up with the other
// (START SLAVE UNTIL), and key is pointed at the sibling's own coordinates.
func (o *Operator) MoveBelow(ctx context.Context, key, sibling inst.InstanceKey) (*inst.Instance, error) {
	const name = "move-below"
	if err := o.validateMove(ctx, name, key, sibling); err != nil {
		return nil, err
	}
	err := o.run(ctx, name, key, []inst.InstanceKey{key, sibling}, func(ctx context.Context, op *operation) (string, error) {
		replica, sib := op.before[key], op.before[sibling]
		if !replica.IsReplica() || !sib.IsReplica() || replica.MasterKey != sib.MasterKey {
			return "", refused("%s and %s are not siblings (masters %s and %s)", key, sibling, replica.MasterKey, sib.MasterKey)
		}
		if err := canMoveBelow(sib, o.maxLag()); err != nil {
			return "", err
		}
		if replica.UsingGTID() {
			if err := canReplicateFromGTID(replica, sib); err != nil {
				return "", err
			}
			return fmt.Sprintf("moved %s below %s via GTID", key, sibling), o.pointGTID(ctx, replica, sib)
		}
		if err := CanReplicateFrom(replica, sib); err != nil {
			return "", err
		}
		if err := o.requireMovable(replica, sib); err != nil {
			return "", err
		}
		if err := o.moveBelowClassic(ctx, replica, sib); err != nil {
			return "", err
		}
		return fmt.Sprintf("moved %s below %s", key, sibling), nil
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

func (o *Operator) moveBelowClassic(ctx context.Context, replica, sib *inst.Instance) error {
	r, err := o.stopAndRead(ctx, replica.Key)
	if err != nil {
		return err
	}
	s, err := o.stopAndRead(ctx, sib.Key)
	if err != nil {
		return err
	}
	switch c := r.ExecBinlogCoordinates.Compare(s.ExecBinlogCoordinates); {
	case c < 0:
		err = o.runUntil(ctx, r.Key, s.ExecBinlogCoordinates)
	case c > 0:
		err = o.runUntil(ctx, s.Key, r.ExecBinlogCoordinates)
	}
	if err != nil {
		return err
	}
	if s, err = o.fresh(ctx, sib.Key); err != nil {
		return err
	}
	coords := s.SelfBinlogCoordinates
	return o.redirect(ctx, replica.Key, to(sib.Key, &coords, mysql.GTIDNone), sib.Key)
}

var binlogFileName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// runUntil lets a stopped replica execute up to coords of its master's
// log (START SLAVE UNTIL), then stops it.
func (o *Operator) runUntil(ctx context.Context, key inst.InstanceKey, coords inst.BinlogCoordinates) error {
	if !binlogFileName.MatchString(coords.LogFile) || coords.LogPos < 0 {
		return badRequest("invalid binlog coordinates %s", coords)
	}
	t, err := o.in.Terminology(ctx, key)
	if err != nil {
		return err
	}
	stmt := t.StartReplica + " UNTIL " + t.Option("LOG_FILE") + " = '" + coords.LogFile + "', " +
		t.Option("LOG_POS") + " = " + strconv.FormatInt(coords.LogPos, 10)
	if err := o.ap.ExecRaw(ctx, key, stmt); err != nil {
		return err
	}
	if err := o.ap.WaitForCoordinates(ctx, key, coords); err != nil {
		return err
	}
	return o.ap.StopReplication(ctx, key)
}
