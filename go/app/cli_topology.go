package app

import (
	"context"
	"fmt"

	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

// Operator returns the topology operator (moves, replication control,
// maintenance).
func (e *Env) Operator() (*topology.Operator, error) {
	s, err := e.Store()
	if err != nil {
		return nil, err
	}
	r, err := e.Reader()
	if err != nil {
		return nil, err
	}
	d, err := e.Discoverer()
	if err != nil {
		return nil, err
	}
	return topology.NewOperator(s, r, e.Inspector(), e.Applier(), d.Probe, e.Config, e.Holder()), nil
}

func topologyCommands() []Command {
	const (
		smart   = "Smart relocation"
		classic = "Classic relocation"
		gtid    = "GTID relocation"
		repl    = "Replication control"
		info    = "Replication information"
		instS   = "Instance"
		binlogs = "Binary logs"
		maint   = "Maintenance and downtime"
		id      = NeedInstance
		idd     = NeedInstance | NeedDestination
	)
	return []Command{
		{Name: "relocate", Section: smart, Help: "move -i below -d by any working method; prints i<d", Needs: idd, Aliases: []string{"relocate-below"}, Run: moveTo((*topology.Operator).Relocate)},
		{Name: "relocate-replicas", Section: smart, Help: "move the replicas of -i (--pattern) below -d", Needs: idd, Aliases: []string{"relocate-slaves"}, Run: cliRelocateReplicas},
		{Name: "take-siblings", Section: smart, Help: "make the siblings of -i its replicas", Needs: id, Aliases: []string{"enslave-siblings"}, Run: cliTakeSiblings},
		{Name: "move-up", Section: classic, Help: "make -i replicate from its grandparent; prints i<newmaster", Needs: id, Run: move((*topology.Operator).MoveUp)},
		{Name: "move-up-replicas", Section: classic, Help: "move the replicas of -i (--pattern) up one level", Needs: id, Aliases: []string{"move-up-slaves"}, Run: cliMoveUpReplicas},
		{Name: "move-below", Section: classic, Help: "make -i replicate from its sibling -d", Needs: idd, Run: moveTo((*topology.Operator).MoveBelow)},
		{Name: "repoint", Section: classic, Help: "point -i at -d (default: its master) keeping its coordinates", Needs: id, Run: cliRepoint},
		{Name: "repoint-replicas", Section: classic, Help: "repoint the replicas of -i to -i (or -d) keeping coordinates", Needs: id, Aliases: []string{"repoint-slaves"}, Run: cliRepointReplicas},
		{Name: "take-master", Section: classic, Help: "swap -i with its master", Needs: id, Aliases: []string{"enslave-master"}, Run: move((*topology.Operator).TakeMaster)},
		{Name: "make-co-master", Section: classic, Help: "make -i (a replica of a top master) its master's master", Needs: id, Run: move((*topology.Operator).MakeCoMaster)},
		{Name: "move-gtid", Section: gtid, Help: "move -i below -d by GTID", Needs: idd, Aliases: []string{"move-below-gtid"}, Run: moveTo((*topology.Operator).MoveBelowGTID)},
		{Name: "move-replicas-gtid", Section: gtid, Help: "move the replicas of -i (--pattern) below -d by GTID", Needs: idd, Aliases: []string{"move-slaves-gtid"}, Run: cliMoveReplicasGTID},
		{Name: "start-replica", Section: repl, Help: "start replication", Needs: id, Aliases: []string{"start-slave"}, Run: keyOp((*topology.Operator).StartReplica)},
		{Name: "stop-replica", Section: repl, Help: "stop replication", Needs: id, Aliases: []string{"stop-slave"}, Run: keyOp((*topology.Operator).StopReplica)},
		{Name: "restart-replica", Section: repl, Help: "stop then start replication", Needs: id, Aliases: []string{"restart-slave"}, Run: keyOp((*topology.Operator).RestartReplica)},
		{Name: "stop-replica-nice", Section: repl, Help: "stop IO, let SQL apply the relay log, stop SQL", Needs: id, Aliases: []string{"stop-slave-nice"}, Run: keyOp((*topology.Operator).StopReplicaNice)},
		{Name: "reset-replica", Section: repl, Help: "stop replication and forget the master (RESET SLAVE ALL)", Needs: id, Aliases: []string{"reset-slave"}, Run: keyOp((*topology.Operator).ResetReplica)},
		{Name: "detach-replica-master-host", Section: repl, Help: "stop and rewrite the master host to //host", Needs: id, Aliases: []string{"detach-replica", "detach-slave", "detach-slave-master-host"}, Run: keyOp((*topology.Operator).DetachReplicaMasterHost)},
		{Name: "reattach-replica-master-host", Section: repl, Help: "undo detach-replica-master-host and start", Needs: id, Aliases: []string{"reattach-replica", "reattach-slave", "reattach-slave-master-host"}, Run: keyOp((*topology.Operator).ReattachReplicaMasterHost)},
		{Name: "skip-query", Section: repl, Help: "skip the failed statement and start replication", Needs: id, Run: keyOp((*topology.Operator).SkipQuery)},
		{Name: "enable-gtid", Section: repl, Help: "switch a replica to GTID positioning", Needs: id, Run: keyOp((*topology.Operator).EnableGTID)},
		{Name: "disable-gtid", Section: repl, Help: "switch a replica to binlog coordinates", Needs: id, Run: keyOp((*topology.Operator).DisableGTID)},
		{Name: "enable-semi-sync-master", Section: repl, Help: "enable semi-sync on a master", Needs: id, Run: semiSync(true, true)},
		{Name: "disable-semi-sync-master", Section: repl, Help: "disable semi-sync on a master", Needs: id, Run: semiSync(true, false)},
		{Name: "enable-semi-sync-replica", Section: repl, Help: "enable semi-sync on a replica", Needs: id, Run: semiSync(false, true)},
		{Name: "disable-semi-sync-replica", Section: repl, Help: "disable semi-sync on a replica", Needs: id, Run: semiSync(false, false)},
		{Name: "can-replicate-from", Section: info, Help: "print -d if -i can replicate from it", Needs: idd, Run: cliCanReplicateFrom},
		{Name: "set-read-only", Section: instS, Help: "SET GLOBAL read_only=1", Needs: id, Run: readOnly(true)},
		{Name: "set-writeable", Section: instS, Help: "SET GLOBAL read_only=0", Needs: id, Run: readOnly(false)},
		{Name: "flush-binary-logs", Section: binlogs, Help: "rotate the binary log", Needs: id, Run: keyOp((*topology.Operator).FlushBinaryLogs)},
		{Name: "purge-binary-logs", Section: binlogs, Help: "purge binary logs before --binlog (refused while a replica needs them)", Needs: id, Run: cliPurgeBinaryLogs},
		{Name: "begin-maintenance", Section: maint, Help: "take a maintenance lock (--reason, [--duration], [--owner])", Needs: id | NeedReason, Run: cliBeginMaintenance},
		{Name: "end-maintenance", Section: maint, Help: "release the maintenance lock", Needs: id, Run: cliEnd((*topology.Operator).EndMaintenance)},
		{Name: "in-maintenance", Section: maint, Help: "print the key when in maintenance", Needs: id, Run: cliInMaintenance},
		{Name: "begin-downtime", Section: maint, Help: "downtime an instance (--reason, [--duration], [--owner])", Needs: id | NeedReason, Run: cliBeginDowntime},
		{Name: "end-downtime", Section: maint, Help: "end an instance's downtime", Needs: id, Run: cliEnd((*topology.Operator).EndDowntime)},
	}
}

type keyFunc func(*topology.Operator, context.Context, inst.InstanceKey) (*inst.Instance, error)
type keyDestFunc func(*topology.Operator, context.Context, inst.InstanceKey, inst.InstanceKey) (*inst.Instance, error)

// withKey runs f with the operator and -i.
func withKey(e *Env, f func(*topology.Operator, inst.InstanceKey) error) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	o, err := e.Operator()
	if err != nil {
		return err
	}
	return f(o, key)
}

func printMoved(e *Env, i *inst.Instance) { e.println(i.Key.String() + "<" + i.MasterKey.String()) }

func move(f keyFunc) func(*Env) error {
	return func(e *Env) error {
		return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
			i, err := f(o, e.Ctx, key)
			if err == nil {
				printMoved(e, i)
			}
			return err
		})
	}
}

func moveTo(f keyDestFunc) func(*Env) error {
	return func(e *Env) error {
		dest, err := e.DestinationKey()
		if err != nil {
			return err
		}
		return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
			i, err := f(o, e.Ctx, key, dest)
			if err == nil {
				printMoved(e, i)
			}
			return err
		})
	}
}

func keyOp(f keyFunc) func(*Env) error {
	return func(e *Env) error {
		return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
			i, err := f(o, e.Ctx, key)
			if err == nil {
				e.println(i.Key.String())
			}
			return err
		})
	}
}

func printMovedList(e *Env, list []*inst.Instance, err error) error {
	for _, i := range list {
		printMoved(e, i)
	}
	return err
}

func cliRelocateReplicas(e *Env) error {
	dest, err := e.DestinationKey()
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		list, err := o.RelocateReplicas(e.Ctx, key, dest, e.Flags.Pattern)
		return printMovedList(e, list, err)
	})
}

func cliMoveReplicasGTID(e *Env) error {
	dest, err := e.DestinationKey()
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		list, err := o.MoveReplicasGTID(e.Ctx, key, dest, e.Flags.Pattern)
		return printMovedList(e, list, err)
	})
}

func cliMoveUpReplicas(e *Env) error {
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		list, err := o.MoveUpReplicas(e.Ctx, key, e.Flags.Pattern)
		return printMovedList(e, list, err)
	})
}

// optionalDestination parses -d when given.
func optionalDestination(e *Env) (inst.InstanceKey, error) {
	if e.Flags.Destination == "" {
		return inst.InstanceKey{}, nil
	}
	return e.DestinationKey()
}

func cliRepoint(e *Env) error {
	dest, err := optionalDestination(e)
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		i, err := o.Repoint(e.Ctx, key, dest)
		if err == nil {
			printMoved(e, i)
		}
		return err
	})
}

func cliRepointReplicas(e *Env) error {
	dest, err := optionalDestination(e)
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		list, err := o.RepointReplicas(e.Ctx, key, dest, e.Flags.Pattern)
		return printMovedList(e, list, err)
	})
}

func cliTakeSiblings(e *Env) error {
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		if _, err := o.TakeSiblings(e.Ctx, key); err != nil {
			return err
		}
		e.println(key.String())
		return nil
	})
}

func semiSync(master, enabled bool) func(*Env) error {
	return keyOp(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.SetSemiSync(ctx, key, master, enabled)
	})
}

func readOnly(ro bool) func(*Env) error {
	return keyOp(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.SetReadOnly(ctx, key, ro)
	})
}

func cliCanReplicateFrom(e *Env) error {
	dest, err := e.DestinationKey()
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		if err := o.CanReplicateFrom(e.Ctx, key, dest); err != nil {
			return err
		}
		e.println(dest.String())
		return nil
	})
}

func cliPurgeBinaryLogs(e *Env) error {
	if e.Flags.Binlog == "" {
		return fmt.Errorf("%w: purge-binary-logs needs --binlog <file>", inst.ErrBadRequest)
	}
	return keyOp(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.PurgeBinaryLogs(ctx, key, e.Flags.Binlog, false)
	})(e)
}

func cliBeginMaintenance(e *Env) error {
	d, err := e.DurationOr(topology.DefaultLockDuration)
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		if _, err := o.BeginMaintenance(e.Ctx, key, e.Owner(), e.Flags.Reason, d); err != nil {
			return err
		}
		e.println(key.String())
		return nil
	})
}

func cliBeginDowntime(e *Env) error {
	d, err := e.DurationOr(topology.DefaultLockDuration)
	if err != nil {
		return err
	}
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		if err := o.BeginDowntime(e.Ctx, key, e.Owner(), e.Flags.Reason, d); err != nil {
			return err
		}
		e.println(key.String())
		return nil
	})
}

func cliEnd(f func(*topology.Operator, context.Context, inst.InstanceKey) error) func(*Env) error {
	return func(e *Env) error {
		return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
			if err := f(o, e.Ctx, key); err != nil {
				return err
			}
			e.println(key.String())
			return nil
		})
	}
}

func cliInMaintenance(e *Env) error {
	return withKey(e, func(o *topology.Operator, key inst.InstanceKey) error {
		in, err := o.InMaintenance(e.Ctx, key)
		if err == nil && in {
			e.println(key.String())
		}
		return err
	})
}
