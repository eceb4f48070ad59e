package recovery

import (
	"context"
	"fmt"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// ForceMasterFailover treats the cluster's master as dead and fails over
// now, orchestrator choosing the successor.
func (rc *Recoverer) ForceMasterFailover(ctx context.Context, hint string) (*TopologyRecovery, error) {
	m, err := rc.d.Reader.ClusterMaster(ctx, hint)
	if err != nil {
		return nil, err
	}
	return rc.Recover(ctx, Request{Key: m.Key, Forced: true, Hint: HintForceFailover, ForceCode: analysis.DeadMaster})
}

// ForceMasterTakeover fails over onto designated, a direct replica of the
// cluster's master, even though the master is fine. The old master is set
// read-only (best effort) and not repointed.
func (rc *Recoverer) ForceMasterTakeover(ctx context.Context, hint string, designated inst.InstanceKey) (*TopologyRecovery, error) {
	m, err := rc.d.Reader.ClusterMaster(ctx, hint)
	if err != nil {
		return nil, err
	}
	d, err := rc.d.Reader.Instance(ctx, designated)
	if err != nil {
		return nil, err
	}
	if d.MasterKey != m.Key {
		return nil, fmt.Errorf("%w: %s is not a direct replica of the master %s", inst.ErrBadRequest, designated, m.Key)
	}
	return rc.Recover(ctx, Request{Key: m.Key, Candidate: designated, Forced: true, Hint: HintForceTakeover, ForceCode: analysis.DeadMaster})
}

// GracefulMasterTakeover is a planned switchover: the master is set
// read-only, the successor catches up and is promoted, the other replicas
// move below it, and the old master becomes its replica (replication
// started only in auto mode, as upstream). designated may be zero: the
// master's only replica, or with auto the best replica by candidate choice.
// If anything fails before the promotion, the master is made writable again.
func (rc *Recoverer) GracefulMasterTakeover(ctx context.Context, hint string, designated inst.InstanceKey, auto bool) (*TopologyRecovery, error) {
	m, err := rc.d.Reader.ClusterMaster(ctx, hint)
	if err != nil {
		return nil, err
	}
	replicas, err := rc.d.Reader.Replicas(ctx, m.Key)
	if err != nil {
		return nil, err
	}
	rc.probeAll(ctx, append(keysOf(replicas), m.Key)) // decide on fresh state
	if m, err = rc.d.Reader.Instance(ctx, m.Key); err != nil {
		return nil, err
	}
	if replicas, err = rc.d.Reader.Replicas(ctx, m.Key); err != nil {
		return nil, err
	}
	succ, err := rc.successorFor(m, replicas, designated, auto)
	if err != nil {
		return nil, err
	}
	if why := rc.takeoverRefusal(m, succ); why != "" {
		return nil, fmt.Errorf("%w: graceful takeover refused: %s", inst.ErrRefused, why)
	}
	lctx, l, err := rc.lockCluster(ctx, m.ClusterName)
	if err != nil {
		return nil, err
	}
	defer l.release(ctx)
	ctx = lctx
	e := analysis.ReplicationAnalysis{AnalyzedInstanceKey: m.Key, AnalyzedInstanceMasterKey: m.MasterKey, IsMaster: true,
		Analysis: analysis.DeadMaster, Description: "graceful master takeover", CommandHint: HintGraceful,
		CountReplicas: uint(len(replicas)), Replicas: keysOf(replicas), SlaveHosts: keysOf(replicas),
		ClusterDetails: analysis.ClusterInfo{ClusterName: m.ClusterName, ClusterAlias: m.ClusterAlias, ClusterDomain: m.ClusterDomain}}
	r := rc.newRecovery(e, KindGracefulTakeover, HintGraceful)
	r.fence = l.fence(nil) // asked by a user: fenced by its lease alone
	if err := rc.register(ctx, r, true); err != nil {
		return nil, err
	}
	err = rc.takeover(ctx, r, m, succ, replicas, auto)
	r.addError(err)
	rc.endSuccessorDowntime(ctx, r)
	rc.resolve(ctx, r)
	if r.Id != 0 {
		// A planned takeover must never block a later real failover.
		if _, aerr := rc.d.Store.AckRecoveries(context.WithoutCancel(ctx), backend.RecoveryQuery{UID: r.UID, All: true}, rc.d.Holder.Hostname,
			"graceful takeover: acknowledged by itself"); aerr != nil {
			r.addError(aerr)
		}
	}
	return r, err
}

func keysOf(list []*inst.Instance) []inst.InstanceKey {
	out := make([]inst.InstanceKey, 0, len(list))
	for _, x := range list {
		out = append(out, x.Key)
	}
	return out
}

func (rc *Recoverer) successorFor(m *inst.Instance, replicas []*inst.Instance, designated inst.InstanceKey, auto bool) (*inst.Instance, error) {
	if len(replicas) == 0 {
		return nil, fmt.Errorf("%w: master %s has no replicas", inst.ErrRefused, m.Key)
	}
	if designated.IsValid() {
		for _, x := range replicas {
			if x.Key == designated {
				return x, nil
			}
		}
		return nil, fmt.Errorf("%w: %s is not a direct replica of the master %s", inst.ErrBadRequest, designated, m.Key)
	}
	if len(replicas) == 1 {
		return replicas[0], nil
	}
	if !auto {
		return nil, fmt.Errorf("%w: master %s has %d replicas: name the successor (-d) or use graceful-master-takeover-auto", inst.ErrBadRequest, m.Key, len(replicas))
	}
	o := rc.candidateOptions()
	// The takeover checks lag itself (ReasonableMaintenanceReplicationLagSeconds).
	o.FailMasterPromotionOnLagMinutes = 0
	choice, err := ChooseCandidate(m, replicas, o)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", inst.ErrRefused, err)
	}
	return choice.Candidate, nil
}

func (rc *Recoverer) takeoverRefusal(m, succ *inst.Instance) string {
	maxLag := int64(rc.conf().ReasonableMaintenanceReplicationLagSeconds)
	switch {
	case succ.PromotionRule == inst.MustNotPromoteRule:
		return fmt.Sprintf("%s has promotion rule must_not", succ.Key)
	case inst.CompileHostnameFilters(rc.conf().PromotionIgnoreHostnameFilters).Match(succ.Key.Hostname):
		return fmt.Sprintf("%s matches PromotionIgnoreHostnameFilters", succ.Key)
	case !succ.IsLastCheckValid || !succ.IsReplicating():
		return fmt.Sprintf("%s is not replicating from %s", succ.Key, m.Key)
	case succ.ReplicationLagSeconds.Valid && maxLag > 0 && succ.ReplicationLagSeconds.Int64 > maxLag:
		return fmt.Sprintf("%s lags %ds, more than ReasonableMaintenanceReplicationLagSeconds=%d", succ.Key, succ.ReplicationLagSeconds.Int64, maxLag)
	case !m.IsLastCheckValid:
		return fmt.Sprintf("the master %s cannot be reached: use recover or force-master-failover", m.Key)
	case !succ.UsingGTID() && !succ.CanRelay():
		// by binlog coordinates, the others follow the successor's own
		// binary log from where it stood when they had all caught up
		return fmt.Sprintf("%s replicates by binlog coordinates without log_bin and log_slave_updates: the other servers could not follow it", succ.Key)
	}
	return ""
}

// byGTID says whether a takeover moves everybody by GTID: the successor
// and every other replica use it. Otherwise every server is pointed at the
// successor's binlog coordinates, taken while they all stood at the
// read-only master's last position.
func byGTID(succ *inst.Instance, replicas []*inst.Instance) bool {
	if !succ.UsingGTID() {
		return false
	}
	for _, x := range replicas {
		if !x.UsingGTID() {
			return false
		}
	}
	return true
}

// takeover runs the planned switchover steps.
func (rc *Recoverer) takeover(ctx context.Context, r *TopologyRecovery, m, succ *inst.Instance, replicas []*inst.Instance, auto bool) error {
	r.participate(m.Key)
	r.participate(keysOf(replicas)...)
	var creds *mysql.ChangeMasterSpec
	if user, password, err := rc.d.Inspector.ReadReplicationCredentials(ctx, succ.Key); err == nil {
		creds = &mysql.ChangeMasterSpec{User: user, Password: password}
	} else {
		rc.decide(ctx, r, "replication credentials not read (%v): the old master keeps the ones it has", err)
	}
	if err := rc.runHooks(ctx, "PreGracefulTakeoverProcesses", rc.conf().PreGracefulTakeoverProcesses, rc.hookVarsOf(r, succ)); err != nil {
		return err
	}
	if err := rc.apply(r).SetReadOnly(ctx, m.Key, true); err != nil {
		return err
	}
	rc.decide(ctx, r, "set the master %s read-only", m.Key)
	undo := func(cause error) error {
		if err := rc.apply(r).SetReadOnly(context.WithoutCancel(ctx), m.Key, false); err != nil {
			r.addError(err)
			rc.decide(ctx, r, "aborted (%v): setting the master %s writable again failed: %v", cause, m.Key, err)
		} else {
			rc.decide(ctx, r, "aborted (%v): the master %s is writable again", cause, m.Key)
		}
		rc.startAll(ctx, r, replicas)
		rc.recordStates(ctx, r, append([]inst.InstanceKey{m.Key}, keysOf(replicas)...))
		return cause
	}
	if err := rc.fresh(ctx, m.Key); err != nil {
		return undo(err)
	}
	var err error
	if m, err = rc.d.Reader.Instance(ctx, m.Key); err != nil {
		return undo(err)
	}
	gtid := byGTID(succ, replicas)
	if err := rc.catchUp(ctx, r, m, replicas, gtid); err != nil {
		return undo(err)
	}
	rc.probeAll(ctx, keysOf(replicas))
	if replicas, err = rc.d.Reader.Replicas(ctx, m.Key); err != nil {
		return undo(err)
	}
	var others []*inst.Instance
	for _, x := range replicas {
		if x.Key == succ.Key {
			succ = x
		} else {
			others = append(others, x)
		}
	}
	if _, err := rc.promote(ctx, r, succ, true); err != nil {
		return undo(err)
	}
	lost := []LostReplica{}
	// succ as probed while stopped and read-only: its binlog coordinates
	// then are where the others, at the master's last position, continue.
	outcome := rc.moveSiblings(ctx, r, succ, others, gtid, &lost)
	for _, l := range lost {
		r.LostReplicas = append(r.LostReplicas, l.Instance.Key)
	}
	how := "by GTID"
	var err2 error
	if gtid {
		err2 = rc.pointByGTID(ctx, r, m, succ.Key, true, creds)
	} else {
		how = "at " + succ.SelfBinlogCoordinates.String()
		err2 = rc.pointOldMaster(ctx, r, m, succ.Key, succ.SelfBinlogCoordinates, creds)
	}
	if err2 != nil {
		r.addError(err2)
		rc.decide(ctx, r, "could not point the old master %s below %s: %v", m.Key, succ.Key, err2)
	} else {
		outcome[m.Key] = "demoted below " + succ.Key.String()
		rc.decide(ctx, r, "pointed the old master %s below %s %s", m.Key, succ.Key, how)
		if auto {
			if err := rc.startAndWait(ctx, r, m.Key); err != nil {
				r.addError(err)
			}
		}
	}
	promoted, err := rc.d.Reader.Instance(ctx, succ.Key)
	if err != nil {
		return err
	}
	r.DataSafety = newSafetyReport(promoted, append(replicas, m), map[inst.InstanceKey]bool{}, outcome)
	rc.announce(ctx, r, succ, promoted) // the old master stays as configured: not demoted again
	if err := rc.runHooks(ctx, "PostGracefulTakeoverProcesses", rc.conf().PostGracefulTakeoverProcesses, rc.hookVarsOf(r, promoted)); err != nil {
		r.addError(err)
	}
	return nil
}

// catchUp waits until every replica has applied the read-only master's
// last transaction (its GTID position, or its binlog coordinates), then
// stops them.
func (rc *Recoverer) catchUp(ctx context.Context, r *TopologyRecovery, m *inst.Instance, replicas []*inst.Instance, gtid bool) error {
	wait := time.Duration(max(rc.conf().ReasonableMaintenanceReplicationLagSeconds, 1)) * time.Second
	c, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	target := m.ExecutedGTID()
	if m.IsMariaDB() {
		target = m.MariaDBGtidBinlogPos
	}
	if !gtid {
		target = m.SelfBinlogCoordinates.String()
	}
	for _, x := range replicas {
		var err error
		if gtid {
			err = rc.apply(r).WaitForGTID(c, x.Key, target)
		} else {
			err = rc.apply(r).WaitForCoordinates(c, x.Key, m.SelfBinlogCoordinates)
		}
		if err != nil {
			return fmt.Errorf("%s did not catch up with %s within %s: %w", x.Key, target, wait, err)
		}
		if err := rc.apply(r).StopReplication(ctx, x.Key); err != nil {
			return err
		}
	}
	rc.step(ctx, r, "every replica applied the master's position %s and was stopped", target)
	return nil
}

// replicatingWait bounds waiting for a started replica to connect.
const replicatingWait = 5 * time.Second

// startAndWait starts replication and waits until both threads run.
func (rc *Recoverer) startAndWait(ctx context.Context, r *TopologyRecovery, key inst.InstanceKey) error {
	if err := rc.apply(r).StartReplication(ctx, key); err != nil {
		return err
	}
	deadline := time.Now().Add(replicatingWait)
	for {
		st, err := rc.d.Inspector.ReplicationStatus(ctx, key)
		if err == nil && st.IOThread == inst.ThreadStateRunning && st.SQLThread == inst.ThreadStateRunning {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: replication started but not running after %s", key, replicatingWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
