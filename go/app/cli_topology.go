package app

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	O := func(f keyFunc) func(*Env) error { return onEachKey(printKey(plain(f))) }
	M := func(f keyFunc) func(*Env) error { return onEachKey(printMove(plain(f))) }
	MD := func(f keyDestFunc) func(*Env) error { return onEachKey(printMove(toDestination(f, false))) }
	return []Command{
		{Name: "relocate", Section: smart, Help: "move -i below -d by any working method; prints i<d", Needs: idd, Aliases: []string{"relocate-below"}, Run: MD((*topology.Operator).Relocate)},
		{Name: "relocate-replicas", Section: smart, Help: "move the replicas of -i (--pattern) below -d", Needs: idd, Aliases: []string{"relocate-slaves"}, Run: onEachKey(replicasToDestination((*topology.Operator).RelocateReplicas))},
		{Name: "take-siblings", Section: smart, Help: "make the siblings of -i its replicas", Needs: id, Aliases: []string{"enslave-siblings"}, Run: onEachKey(takeSiblings)},
		{Name: "regroup-replicas", Section: smart, Help: "move the replicas of -i below the most advanced of them; prints it, then '<it> lost: n, moved: n'", Needs: id, Aliases: []string{"regroup-slaves"}, Run: onEachKey(regroup((*topology.Operator).RegroupReplicas))},
		{Name: "move-up", Section: classic, Help: "make -i replicate from its grandparent; prints i<newmaster", Needs: id, Run: M((*topology.Operator).MoveUp)},
		{Name: "move-up-replicas", Section: classic, Help: "move the replicas of -i (--pattern) up one level", Needs: id, Aliases: []string{"move-up-slaves"}, Run: onEachKey(moveUpReplicas)},
		{Name: "move-below", Section: classic, Help: "make -i replicate from its sibling -d", Needs: idd, Run: MD((*topology.Operator).MoveBelow)},
		{Name: "move-equivalent", Section: classic, Help: "move -i below -d at the position recorded as equivalent to where -i stands (undoes a classic move); prints i<d", Needs: idd, Run: MD((*topology.Operator).MoveEquivalent)},
		{Name: "repoint", Section: classic, Help: "point -i at -d (default: its master) keeping its coordinates", Needs: id, Run: onEachKey(printMove(toDestination((*topology.Operator).Repoint, true)))},
		{Name: "repoint-replicas", Section: classic, Help: "repoint the replicas of -i to -i (or -d) keeping coordinates", Needs: id, Aliases: []string{"repoint-slaves"}, Run: onEachKey(repointReplicas)},
		{Name: "take-master", Section: classic, Help: "swap -i with its master", Needs: id, Aliases: []string{"enslave-master"}, Run: M((*topology.Operator).TakeMaster)},
		{Name: "make-co-master", Section: classic, Help: "make -i (a replica of a top master) its master's master", Needs: id, Run: M((*topology.Operator).MakeCoMaster)},
		{Name: "move-gtid", Section: gtid, Help: "move -i below -d by GTID", Needs: idd, Aliases: []string{"move-below-gtid"}, Run: MD((*topology.Operator).MoveBelowGTID)},
		{Name: "move-replicas-gtid", Section: gtid, Help: "move the replicas of -i (--pattern) below -d by GTID", Needs: idd, Aliases: []string{"move-slaves-gtid"}, Run: onEachKey(replicasToDestination((*topology.Operator).MoveReplicasGTID))},
		{Name: "regroup-replicas-gtid", Section: gtid, Help: "regroup the replicas of -i by GTID; prints the chosen one, then '<it> lost: n, moved: n'", Needs: id, Aliases: []string{"regroup-slaves-gtid"}, Run: onEachKey(regroup((*topology.Operator).RegroupReplicasGTID))},
		{Name: "start-replica", Section: repl, Help: "start replication", Needs: id, Aliases: []string{"start-slave"}, Run: O((*topology.Operator).StartReplica)},
		{Name: "stop-replica", Section: repl, Help: "stop replication", Needs: id, Aliases: []string{"stop-slave"}, Run: O((*topology.Operator).StopReplica)},
		{Name: "restart-replica", Section: repl, Help: "stop then start replication", Needs: id, Aliases: []string{"restart-slave"}, Run: O((*topology.Operator).RestartReplica)},
		{Name: "stop-replica-nice", Section: repl, Help: "stop IO, let SQL apply the relay log, stop SQL", Needs: id, Aliases: []string{"stop-slave-nice"}, Run: O((*topology.Operator).StopReplicaNice)},
		{Name: "reset-replica", Section: repl, Help: "stop replication and forget the master (RESET SLAVE ALL)", Needs: id, Aliases: []string{"reset-slave"}, Run: O((*topology.Operator).ResetReplica)},
		{Name: "detach-replica-master-host", Section: repl, Help: "stop and rewrite the master host to //host", Needs: id, Aliases: []string{"detach-replica", "detach-slave", "detach-slave-master-host"}, Run: O((*topology.Operator).DetachReplicaMasterHost)},
		{Name: "reattach-replica-master-host", Section: repl, Help: "undo detach-replica-master-host and start", Needs: id, Aliases: []string{"reattach-replica", "reattach-slave", "reattach-slave-master-host"}, Run: O((*topology.Operator).ReattachReplicaMasterHost)},
		{Name: "skip-query", Section: repl, Help: "skip the failed statement and start replication", Needs: id, Run: O((*topology.Operator).SkipQuery)},
		{Name: "enable-gtid", Section: repl, Help: "switch a replica to GTID positioning", Needs: id, Run: O((*topology.Operator).EnableGTID)},
		{Name: "disable-gtid", Section: repl, Help: "switch a replica to binlog coordinates", Needs: id, Run: O((*topology.Operator).DisableGTID)},
		{Name: "locate-gtid-errant", Section: repl, Help: "print the binary logs of -i that hold its errant GTIDs, one per line", Needs: id, Run: onEachKey(locateGTIDErrant)},
		{Name: "which-gtid-errant", Section: repl, Help: "print the GTIDs -i executed that its cluster's master lacks (empty line if none)", Needs: id, Run: onEachKey(whichGTIDErrant)},
		{Name: "gtid-errant-reset-master", Section: repl, Help: "remove -i's errant GTIDs from its history with RESET MASTER (refused when it has replicas)", Needs: id, Run: O((*topology.Operator).GTIDErrantResetMaster)},
		{Name: "gtid-errant-inject-empty", Section: repl, Help: "commit -i's errant GTIDs as empty transactions on the master (Oracle GTID only)", Needs: id, Run: O((*topology.Operator).GTIDErrantInjectEmpty)},
		{Name: "delay-replication", Section: repl, Help: "set MASTER_DELAY to --duration (whole seconds, e.g. 30s, 5m)", Needs: id, Run: onEachKey(delayReplication)},
		{Name: "master-pos-wait", Section: repl, Help: "wait until -i has executed its master's binary log up to --binlog file:pos (bounded by the topology read timeout)", Needs: id, Run: cliMasterPosWait},
		{Name: "restart-replica-statements", Section: repl, Help: "print the statements that run --statement with replication stopped and restore the running threads", Needs: id, Aliases: []string{"restart-slave-statements"}, Run: onEachKey(restartStatements)},
		{Name: "enable-semi-sync-master", Section: repl, Help: "enable semi-sync on a master", Needs: id, Run: semiSync(true, true)},
		{Name: "disable-semi-sync-master", Section: repl, Help: "disable semi-sync on a master", Needs: id, Run: semiSync(true, false)},
		{Name: "enable-semi-sync-replica", Section: repl, Help: "enable semi-sync on a replica", Needs: id, Run: semiSync(false, true)},
		{Name: "disable-semi-sync-replica", Section: repl, Help: "disable semi-sync on a replica", Needs: id, Run: semiSync(false, false)},
		{Name: "can-replicate-from", Section: info, Help: "print -d if -i can replicate from it", Needs: idd, Run: onEachKey(canReplicate((*topology.Operator).CanReplicateFrom))},
		{Name: "can-replicate-from-gtid", Section: info, Help: "print -d if -i can replicate from it by GTID", Needs: idd, Run: onEachKey(canReplicate((*topology.Operator).CanReplicateFromGTID))},
		{Name: "set-read-only", Section: instS, Help: "SET GLOBAL read_only=1", Needs: id, Run: readOnly(true)},
		{Name: "set-writeable", Section: instS, Help: "SET GLOBAL read_only=0", Needs: id, Run: readOnly(false)},
		{Name: "flush-binary-logs", Section: binlogs, Help: "rotate the binary log", Needs: id, Run: O((*topology.Operator).FlushBinaryLogs)},
		{Name: "purge-binary-logs", Section: binlogs, Help: "purge binary logs before --binlog (refused while a replica needs them)", Needs: id, Run: onEachKey(printKey(purgeBinaryLogs))},
		{Name: "begin-maintenance", Section: maint, Help: "take a maintenance lock (--reason, [--duration], [--owner])", Needs: id | NeedReason, Run: onEachKey(beginMaintenance)},
		{Name: "end-maintenance", Section: maint, Help: "release the maintenance lock", Needs: id, Run: onEachKey(done((*topology.Operator).EndMaintenance))},
		{Name: "in-maintenance", Section: maint, Help: "print the key when in maintenance", Needs: id, Run: onEachKey(inMaintenance)},
		{Name: "maintenance", Section: maint, Help: "list the active maintenance locks: id, key, owner, reason, begin, end (tab-separated)", Run: cliMaintenance},
		{Name: "begin-downtime", Section: maint, Help: "downtime an instance (--reason, [--duration], [--owner])", Needs: id | NeedReason, Run: onEachKey(beginDowntime)},
		{Name: "end-downtime", Section: maint, Help: "end an instance's downtime", Needs: id, Run: onEachKey(done((*topology.Operator).EndDowntime))},
	}
}

type keyFunc func(*topology.Operator, context.Context, inst.InstanceKey) (*inst.Instance, error)
type keyDestFunc func(*topology.Operator, context.Context, inst.InstanceKey, inst.InstanceKey) (*inst.Instance, error)

// action is what a command does to one instance; it returns the lines to
// print (printed even with an error: a multi-replica move reports what moved).
type action func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error)

// instAction is an operation on one instance that returns it afterwards.
type instAction func(e *Env, o *topology.Operator, key inst.InstanceKey) (*inst.Instance, error)

// onEachKey is every instance command: parse -i (a comma or space
// separated list), build the operator, run act on each instance in turn
// and print its lines; the first failure stops the run.
func onEachKey(act action) func(*Env) error {
	return func(e *Env) error {
		keys, err := e.InstanceKeys()
		if err != nil {
			return err
		}
		o, err := e.Operator()
		if err != nil {
			return err
		}
		for _, key := range keys {
			lines, err := act(e, o, key)
			for _, l := range lines {
				e.println(l)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

func moved(i *inst.Instance) string { return i.Key.String() + "<" + i.MasterKey.String() }

// plain adapts an operator method taking only the key.
func plain(f keyFunc) instAction {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) (*inst.Instance, error) {
		return f(o, e.Ctx, key)
	}
}

// toDestination adapts an operator method taking -d too (optional: absent
// -d passes the zero key, meaning "the current master").
func toDestination(f keyDestFunc, optional bool) instAction {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) (*inst.Instance, error) {
		var dest inst.InstanceKey
		if !optional || e.Flags.Destination != "" {
			var err error
			if dest, err = e.DestinationKey(); err != nil {
				return nil, err
			}
		}
		return f(o, e.Ctx, key, dest)
	}
}

// printKey prints the key of the instance f returns.
func printKey(f instAction) action {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
		i, err := f(e, o, key)
		if err != nil {
			return nil, err
		}
		return []string{i.Key.String()}, nil
	}
}

// printMove prints "instance<its master" for the instance f moved.
func printMove(f instAction) action {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
		i, err := f(e, o, key)
		if err != nil {
			return nil, err
		}
		return []string{moved(i)}, nil
	}
}

// done prints the key when f succeeds.
func done(f func(*topology.Operator, context.Context, inst.InstanceKey) error) action {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
		if err := f(o, e.Ctx, key); err != nil {
			return nil, err
		}
		return []string{key.String()}, nil
	}
}

// movedReplicas prints "replica<master" for each replica a
// multi-replica operation moved, even when others failed.
func movedReplicas(list []*inst.Instance, err error) ([]string, error) {
	lines := make([]string, 0, len(list))
	for _, i := range list {
		lines = append(lines, moved(i))
	}
	return lines, err
}

func replicasToDestination(f func(*topology.Operator, context.Context, inst.InstanceKey, inst.InstanceKey, string) ([]*inst.Instance, error)) action {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
		dest, err := e.DestinationKey()
		if err != nil {
			return nil, err
		}
		return movedReplicas(f(o, e.Ctx, key, dest, e.Flags.Pattern))
	}
}

func moveUpReplicas(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	return movedReplicas(o.MoveUpReplicas(e.Ctx, key, e.Flags.Pattern))
}

func repointReplicas(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	var dest inst.InstanceKey
	if e.Flags.Destination != "" {
		var err error
		if dest, err = e.DestinationKey(); err != nil {
			return nil, err
		}
	}
	return movedReplicas(o.RepointReplicas(e.Ctx, key, dest, e.Flags.Pattern))
}

func takeSiblings(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	if _, err := o.TakeSiblings(e.Ctx, key); err != nil {
		return nil, err
	}
	return []string{key.String()}, nil
}

// regroup prints the promoted replica, then the summary line.
func regroup(f func(*topology.Operator, context.Context, inst.InstanceKey) (*topology.Regroup, error)) action {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
		g, err := f(o, e.Ctx, key)
		if g == nil {
			return nil, err
		}
		return []string{g.Promoted.Key.String(), g.Summary()}, err
	}
}

func whichGTIDErrant(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	errant, err := o.WhichGTIDErrant(e.Ctx, key)
	if err != nil {
		return nil, err
	}
	return []string{errant}, nil
}

func locateGTIDErrant(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	return o.LocateGTIDErrant(e.Ctx, key)
}

func delayReplication(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	if e.Flags.Duration == "" {
		return nil, fmt.Errorf("%w: delay-replication needs --duration (e.g. 30s)", inst.ErrBadRequest)
	}
	d, err := inst.ParseDuration(e.Flags.Duration)
	if err != nil {
		return nil, err
	}
	if d%time.Second != 0 {
		return nil, fmt.Errorf("%w: delay-replication takes whole seconds, got %v", inst.ErrBadRequest, d)
	}
	i, err := o.DelayReplication(e.Ctx, key, uint(d/time.Second))
	if err != nil {
		return nil, err
	}
	return []string{i.Key.String()}, nil
}

func restartStatements(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	if strings.TrimSpace(e.Flags.Statement) == "" {
		return nil, fmt.Errorf("%w: restart-replica-statements needs --statement <sql>", inst.ErrBadRequest)
	}
	return o.RestartReplicaStatements(e.Ctx, key, e.Flags.Statement)
}

func semiSync(master, enabled bool) func(*Env) error {
	return onEachKey(printKey(func(e *Env, o *topology.Operator, key inst.InstanceKey) (*inst.Instance, error) {
		return o.SetSemiSync(e.Ctx, key, master, enabled)
	}))
}

func readOnly(ro bool) func(*Env) error {
	return onEachKey(printKey(func(e *Env, o *topology.Operator, key inst.InstanceKey) (*inst.Instance, error) {
		return o.SetReadOnly(e.Ctx, key, ro)
	}))
}

// canReplicate prints -d when the check passes, nothing otherwise.
func canReplicate(check func(*topology.Operator, context.Context, inst.InstanceKey, inst.InstanceKey) error) action {
	return func(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
		dest, err := e.DestinationKey()
		if err != nil {
			return nil, err
		}
		if err := check(o, e.Ctx, key, dest); err != nil {
			return nil, err
		}
		return []string{dest.String()}, nil
	}
}

func purgeBinaryLogs(e *Env, o *topology.Operator, key inst.InstanceKey) (*inst.Instance, error) {
	if e.Flags.Binlog == "" {
		return nil, fmt.Errorf("%w: purge-binary-logs needs --binlog <file>", inst.ErrBadRequest)
	}
	return o.PurgeBinaryLogs(e.Ctx, key, e.Flags.Binlog, false)
}

func beginMaintenance(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	d, err := e.DurationOr(topology.DefaultLockDuration)
	if err != nil {
		return nil, err
	}
	if _, err := o.BeginMaintenance(e.Ctx, key, e.Owner(), e.Flags.Reason, d); err != nil {
		return nil, err
	}
	return []string{key.String()}, nil
}

func beginDowntime(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	d, err := e.DurationOr(topology.DefaultLockDuration)
	if err != nil {
		return nil, err
	}
	if err := o.BeginDowntime(e.Ctx, key, e.Owner(), e.Flags.Reason, d); err != nil {
		return nil, err
	}
	return []string{key.String()}, nil
}

func inMaintenance(e *Env, o *topology.Operator, key inst.InstanceKey) ([]string, error) {
	in, err := o.InMaintenance(e.Ctx, key)
	if err != nil || !in {
		return nil, err
	}
	return []string{key.String()}, nil
}

// cliMasterPosWait waits until -i has executed up to --binlog.
func cliMasterPosWait(e *Env) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	coords, err := inst.ParseBinlogCoordinates(e.Flags.Binlog)
	seq := coords.LogFile[strings.LastIndex(coords.LogFile, ".")+1:]
	if err != nil || !strings.Contains(e.Flags.Binlog, ":") || seq == "" || strings.Trim(seq, "0123456789") != "" {
		return fmt.Errorf("%w: master-pos-wait needs --binlog file:pos, got %q", inst.ErrBadRequest, e.Flags.Binlog)
	}
	if err := e.Applier().WaitForCoordinates(e.Ctx, key, coords); err != nil {
		return err
	}
	e.println(key.String())
	return nil
}

func cliMaintenance(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	list, err := s.ActiveMaintenance(e.Ctx)
	if err != nil {
		return err
	}
	for _, m := range list {
		e.println(fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", m.MaintenanceId, m.Key, m.Owner, m.Reason, m.BeginTimestamp, m.EndTimestamp))
	}
	return nil
}
