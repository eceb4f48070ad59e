package app

import (
	"encoding/json"
	"fmt"
	"strings"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/recovery"
)

func recoveryCommands() []Command {
	const s = "Recovery"
	return []Command{
		{Name: "replication-analysis", Section: s, Help: "print the failure analysis of every cluster (or of -i's/--alias' cluster)", Run: withRecoverer(cliReplicationAnalysis)},
		{Name: "why", Section: s, Help: "explain an instance: its analysis with the facts used, its recoveries, and why any was blocked or skipped", Needs: NeedInstance, Run: withRecoverer(cliWhy)},
		{Name: "recover", Section: s, Help: "recover a failed instance now (bypasses filters and blocks); -d names the successor; --dry-run shows the plan", Needs: NeedInstance, Run: cliRecover(false)},
		{Name: "recover-lite", Section: s, Help: "same as recover, without running hooks", Needs: NeedInstance, Run: cliRecover(true)},
		{Name: "force-master-failover", Section: s, Help: "fail the cluster's master over now, orchestrator choosing the successor", Needs: NeedClusterHint, Run: withRecoverer(cliForceFailover)},
		{Name: "force-master-takeover", Section: s, Help: "promote -d (a direct replica) in place of the healthy master", Needs: NeedClusterHint | NeedDestination, Run: withRecoverer(cliForceTakeover)},
		{Name: "graceful-master-takeover", Section: s, Help: "planned switchover to -d (or the only replica); the old master becomes its replica, stopped", Needs: NeedClusterHint, Run: cliGraceful(false)},
		{Name: "graceful-master-takeover-auto", Section: s, Help: "planned switchover, the successor picked automatically unless -d; the old master replicates from it", Needs: NeedClusterHint, Run: cliGraceful(true)},
		{Name: "get-candidate-replica", Aliases: []string{"get-candidate-slave"}, Section: s, Help: "print the replica of -i that a failover would promote now (no change)", Needs: NeedInstance, Run: withRecoverer(cliCandidate)},
		{Name: "audit-recovery", Section: s, Help: "print recent recoveries as JSON (optionally of -i's cluster), with their data-safety reports", Run: withRecoverer(cliAuditRecovery)},
		{Name: "data-safety", Section: s, Help: "print the data-safety report of the latest recovery of -i (or of the recovery named by --reason=<uid>)", Run: withRecoverer(cliDataSafety)},
		{Name: "blocked-recoveries", Section: s, Help: "print recoveries blocked by anti-flapping or skipped by filters, with why", Run: withRecoverer(cliBlocked)},
		{Name: "ack-all-recoveries", Section: s, Help: "acknowledge every recovery (--reason is the comment)", Needs: NeedReason, Run: cliAck(func(*Env) (backend.RecoveryQuery, error) { return backend.RecoveryQuery{}, nil })},
		{Name: "ack-cluster-recoveries", Section: s, Help: "acknowledge the cluster's recoveries (--reason is the comment)", Needs: NeedClusterHint | NeedReason, Run: cliAck(clusterQuery)},
		{Name: "ack-instance-recoveries", Section: s, Help: "acknowledge the instance's recoveries (--reason is the comment)", Needs: NeedInstance | NeedReason, Run: cliAck(instanceQuery)},
		{Name: "disable-global-recoveries", Section: s, Help: "stop all automatic recoveries", Run: cliGlobal(true)},
		{Name: "enable-global-recoveries", Section: s, Help: "allow automatic recoveries again", Run: cliGlobal(false)},
		{Name: "check-global-recoveries", Section: s, Help: "print whether automatic recoveries are enabled", Run: cliCheckGlobal},
		{Name: "which-lost-in-recovery", Section: s, Help: "print instances downtimed as lost-in-recovery", Run: cliLostInRecovery},
	}
}

// withRecoverer adapts a command that needs the Recoverer.
func withRecoverer(run func(e *Env, rc *recovery.Recoverer) error) func(*Env) error {
	return func(e *Env) error {
		rc, err := e.Recoverer()
		if err != nil {
			return err
		}
		return run(e, rc)
	}
}

func (e *Env) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	e.println(string(b))
	return nil
}

func cliReplicationAnalysis(e *Env, rc *recovery.Recoverer) error {
	cluster := ""
	if e.Flags.Instance != "" || e.Flags.Alias != "" {
		r, err := e.Reader()
		if err != nil {
			return err
		}
		if cluster, err = r.ResolveCluster(e.Ctx, e.ClusterHint()); err != nil {
			return err
		}
	}
	entries, err := rc.Analyze(e.Ctx, cluster, false)
	if err != nil {
		return err
	}
	for _, a := range entries {
		line := fmt.Sprintf("%s (cluster %s): %s", a.AnalyzedInstanceKey, a.ClusterDetails.ClusterName, a.Analysis)
		for _, s := range a.StructureAnalysis {
			line += ", " + string(s)
		}
		e.println(line)
	}
	return nil
}

func cliWhy(e *Env, rc *recovery.Recoverer) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	w, err := rc.Explain(e.Ctx, key)
	if err != nil {
		return err
	}
	for _, l := range w.Lines {
		e.println(l)
	}
	return nil
}

func cliRecover(lite bool) func(*Env) error {
	return func(e *Env) error {
		key, err := e.InstanceKey()
		if err != nil {
			return err
		}
		req := recovery.Request{Key: key, Forced: true, SkipHooks: lite || e.Flags.Noop, Hint: recovery.HintRecover, DryRun: e.Flags.DryRun}
		if e.Flags.Destination != "" {
			if req.Candidate, err = e.DestinationKey(); err != nil {
				return err
			}
		}
		rc, err := e.Recoverer()
		if err != nil {
			return err
		}
		r, err := rc.Recover(e.Ctx, req)
		if req.DryRun && r != nil {
			return e.printDryRun(r, err)
		}
		if err != nil {
			return err
		}
		e.println(r.SuccessorKey.String())
		return nil
	}
}

func (e *Env) printDryRun(r *recovery.TopologyRecovery, err error) error {
	for _, l := range r.Decision {
		e.println(l)
	}
	if err != nil {
		return err
	}
	if r.SuccessorKey != nil {
		e.println("successor: " + r.SuccessorKey.String())
	}
	return nil
}

func printRecovery(e *Env, r *recovery.TopologyRecovery, err error) error {
	if err != nil {
		return err
	}
	if r.SuccessorKey == nil {
		return recovery.ErrNoPromotion
	}
	e.println(r.SuccessorKey.String())
	return nil
}

func cliForceFailover(e *Env, rc *recovery.Recoverer) error {
	r, err := rc.ForceMasterFailover(e.Ctx, e.ClusterHint())
	return printRecovery(e, r, err)
}

func cliForceTakeover(e *Env, rc *recovery.Recoverer) error {
	d, err := e.DestinationKey()
	if err != nil {
		return err
	}
	r, err := rc.ForceMasterTakeover(e.Ctx, e.ClusterHint(), d)
	return printRecovery(e, r, err)
}

func cliGraceful(auto bool) func(*Env) error {
	return func(e *Env) error {
		var d inst.InstanceKey
		if e.Flags.Destination != "" {
			var err error
			if d, err = e.DestinationKey(); err != nil {
				return err
			}
		}
		rc, err := e.Recoverer()
		if err != nil {
			return err
		}
		r, err := rc.GracefulMasterTakeover(e.Ctx, e.ClusterHint(), d, auto)
		if err := printRecovery(e, r, err); err != nil {
			return err
		}
		if r.SuccessorBinlogCoordinates != nil {
			e.println(r.SuccessorBinlogCoordinates.String())
		}
		return nil
	}
}

func cliCandidate(e *Env, rc *recovery.Recoverer) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	c, err := rc.Candidate(e.Ctx, key)
	if err != nil {
		return err
	}
	e.println(c.Candidate.Key.String())
	return nil
}

func cliAuditRecovery(e *Env, rc *recovery.Recoverer) error {
	q := backend.RecoveryQuery{}
	var err error
	if e.Flags.Instance != "" || e.Flags.Alias != "" {
		if q, err = clusterQuery(e); err != nil {
			return err
		}
	}
	list, err := rc.Recoveries(e.Ctx, q)
	if err != nil {
		return err
	}
	return e.printJSON(list)
}

func cliDataSafety(e *Env, rc *recovery.Recoverer) error {
	q := backend.RecoveryQuery{UID: e.Flags.Reason}
	var err error
	if q.UID == "" {
		if q, err = instanceQuery(e); err != nil {
			return err
		}
	}
	list, err := rc.Recoveries(e.Ctx, q)
	if err != nil {
		return err
	}
	for _, r := range list {
		if r.DataSafety != nil {
			return e.printJSON(r.DataSafety)
		}
	}
	return fmt.Errorf("%w: no recovery with a data-safety report", inst.ErrNotFound)
}

func cliBlocked(e *Env, rc *recovery.Recoverer) error {
	list, err := rc.Blocked(e.Ctx, "")
	if err != nil {
		return err
	}
	for _, b := range list {
		e.println(fmt.Sprintf("%s (cluster %s): %s at %s: %s", b.FailedInstanceKey, b.ClusterName, b.Analysis, b.LastBlockedTimestamp, b.Reason))
	}
	return nil
}

func clusterQuery(e *Env) (backend.RecoveryQuery, error) {
	r, err := e.Reader()
	if err != nil {
		return backend.RecoveryQuery{}, err
	}
	name, err := r.ResolveCluster(e.Ctx, e.ClusterHint())
	return backend.RecoveryQuery{ClusterName: name}, err
}

func instanceQuery(e *Env) (backend.RecoveryQuery, error) {
	key, err := e.InstanceKey()
	return backend.RecoveryQuery{Key: &key}, err
}

func cliAck(query func(*Env) (backend.RecoveryQuery, error)) func(*Env) error {
	return func(e *Env) error {
		q, err := query(e)
		if err != nil {
			return err
		}
		rc, err := e.Recoverer()
		if err != nil {
			return err
		}
		n, err := rc.Acknowledge(e.Ctx, q, e.Owner(), e.Flags.Reason)
		if err != nil {
			return err
		}
		e.println(fmt.Sprintf("%d recoveries acknowledged", n))
		return nil
	}
}

func cliGlobal(disable bool) func(*Env) error {
	return func(e *Env) error {
		s, err := e.Store()
		if err != nil {
			return err
		}
		if err := s.SetGlobalRecoveriesDisabled(e.Ctx, disable); err != nil {
			return err
		}
		printGlobal(e, disable)
		return nil
	}
}

func printGlobal(e *Env, disabled bool) {
	e.println("OK: global recoveries " + map[bool]string{true: "disabled", false: "enabled"}[disabled])
}

func cliCheckGlobal(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	disabled, err := s.GlobalRecoveriesDisabled(e.Ctx)
	if err != nil {
		return err
	}
	printGlobal(e, disabled)
	return nil
}

func cliLostInRecovery(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	d, err := s.ActiveDowntimes(e.Ctx)
	if err != nil {
		return err
	}
	var keys []string
	for k, x := range d {
		if x.Reason == "lost-in-recovery" {
			keys = append(keys, k.String())
		}
	}
	if len(keys) > 0 {
		e.println(strings.Join(keys, "\n"))
	}
	return nil
}
