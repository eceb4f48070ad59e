package analysis

// rule is one line of §4: the first rule whose condition holds gives the
// instance its code, and its explain function says why in plain words.
type rule struct {
	code    Code
	when    func(f *facts, o Options) bool
	explain func(f *facts, o Options) []string
}

// rules are tried in this order; the first match wins.
//
// Holistic detection. orchestrator failing to reach a server is not enough
// to call it dead: its replicas must agree. A valid replica agrees when its
// IO thread is not running (failing to connect, connecting, stopped), or
// when its IO thread shows Running but is stalled: nothing received (no
// event, no heartbeat, Gtid_IO_Pos / Read_Master_Log_Pos frozen) for longer
// than max(2 × its heartbeat period, 2s) (Snapshot.ReplicaStalled). The
// stall case covers a hung master (SIGSTOP, frozen host): its TCP
// connections stay open and replicas show IO Running until
// slave_net_timeout, but they receive nothing. A replica with heartbeats
// disabled never counts as stalled (an idle master sends nothing).
//
// Every other valid replica, one whose IO thread is Running and receiving
// (even with its SQL thread stopped), is evidence that the server is alive:
// the code is then Unreachable*, never Dead*, and no failover follows. This
// deviates from upstream, which counts a replica with a stopped SQL thread
// as agreeing and a hung master's replicas as disagreeing.
var rules = []rule{
	// Master.
	{DeadMasterWithoutReplicas, func(f *facts, _ Options) bool { return f.isMaster && !f.valid && f.countReplicas() == 0 }, explainDead},
	{DeadMaster, func(f *facts, _ Options) bool { return f.isMaster && f.deadAllValid() }, explainDead},
	{DeadMasterAndReplicas, func(f *facts, _ Options) bool { return f.isMaster && f.deadNoneValid() }, explainDead},
	{DeadMasterAndSomeReplicas, func(f *facts, _ Options) bool { return f.isMaster && f.deadSomeValid() }, explainDead},
	{UnreachableMasterWithLaggingReplicas, func(f *facts, _ Options) bool { return f.isMaster && !f.valid && f.allLagging() }, explainLagging},
	{UnreachableMaster, func(f *facts, _ Options) bool { return f.isMaster && f.unreachable() }, explainDead},
	{UnreachableMaster, func(f *facts, _ Options) bool { return f.isMaster && f.unreachablePartial() }, explainDead},
	{LockedSemiSyncMaster, func(f *facts, _ Options) bool { return f.semiSyncShort() && f.staleCoords }, explainSemiSync},
	{LockedSemiSyncMasterHypothesis, func(f *facts, _ Options) bool { return f.semiSyncShort() }, explainSemiSync},
	{MasterWithTooManySemiSyncReplicas, func(f *facts, o Options) bool { return o.EnforceExactSemiSyncReplicas && f.semiSyncTooMany() }, explainSemiSync},
	{NoWriteableMasterStructureWarning, func(f *facts, o Options) bool {
		return o.RecoverNonWriteableMaster && f.isMaster && f.valid && f.m.ReadOnly && len(f.replicating) > 0
	}, explainReadOnly},
	{MasterSingleReplicaNotReplicating, func(f *facts, _ Options) bool {
		return f.isMaster && f.valid && f.countReplicas() == 1 && f.allValid() && len(f.replicating) == 0
	}, explainNotReplicating},
	{MasterSingleReplicaDead, func(f *facts, _ Options) bool {
		return f.isMaster && f.valid && f.countReplicas() == 1 && f.countValid() == 0
	}, explainNotReplicating},
	{AllMasterReplicasNotReplicating, func(f *facts, _ Options) bool {
		return f.isMaster && f.valid && f.countReplicas() > 1 && f.allValid() && len(f.replicating) == 0
	}, explainNotReplicating},
	{AllMasterReplicasNotReplicatingOrDead, func(f *facts, _ Options) bool {
		return f.isMaster && f.valid && f.countReplicas() > 1 && f.someValid() && len(f.replicating) == 0
	}, explainNotReplicating},

	// Co-master.
	{DeadCoMaster, func(f *facts, _ Options) bool { return f.isCoMaster && f.deadAllValid() }, explainDead},
	{DeadCoMasterAndSomeReplicas, func(f *facts, _ Options) bool { return f.isCoMaster && f.deadSomeValid() }, explainDead},
	{UnreachableCoMaster, func(f *facts, _ Options) bool { return f.isCoMaster && f.unreachable() }, explainDead},
	{AllCoMasterReplicasNotReplicating, func(f *facts, _ Options) bool {
		return f.isCoMaster && f.valid && f.countReplicas() > 0 && len(f.replicating) == 0
	}, explainNotReplicating},

	// Intermediate master.
	{DeadIntermediateMasterWithSingleReplicaFailingToConnect, func(f *facts, _ Options) bool {
		return !f.isMaster && f.countReplicas() == 1 && f.deadAllValid() && f.connectFailures() == 1
	}, explainDead},
	{DeadIntermediateMasterWithSingleReplica, func(f *facts, _ Options) bool {
		return !f.isMaster && f.countReplicas() == 1 && f.deadAllValid()
	}, explainDead},
	{DeadIntermediateMaster, func(f *facts, _ Options) bool { return !f.isMaster && f.countReplicas() > 1 && f.deadAllValid() }, explainDead},
	{DeadIntermediateMasterAndSomeReplicas, func(f *facts, _ Options) bool { return !f.isMaster && f.deadSomeValid() }, explainDead},
	{DeadIntermediateMasterAndReplicas, func(f *facts, _ Options) bool { return !f.isMaster && f.deadNoneValid() }, explainDead},
	{UnreachableIntermediateMasterWithLaggingReplicas, func(f *facts, _ Options) bool { return !f.isMaster && !f.valid && f.allLagging() }, explainLagging},
	{UnreachableIntermediateMaster, func(f *facts, _ Options) bool { return !f.isMaster && f.unreachable() }, explainDead},
	{AllIntermediateMasterReplicasFailingToConnectOrDead, func(f *facts, _ Options) bool {
		return !f.isMaster && f.valid && f.countReplicas() > 1 && len(f.replicating) == 0 &&
			len(f.failing) > 0 && len(f.failing) == f.countValid()
	}, explainNotReplicating},
	{AllIntermediateMasterReplicasNotReplicating, func(f *facts, _ Options) bool {
		return !f.isMaster && f.valid && f.countReplicas() > 0 && len(f.replicating) == 0
	}, explainNotReplicating},

	// Replica level.
	{BinlogServerFailingToConnectToMaster, func(f *facts, _ Options) bool {
		return f.binlogServer && f.m.IsFailingToConnectToMaster()
	}, explainFailingToConnect},
	{FirstTierReplicaFailingToConnectToMaster, func(f *facts, _ Options) bool {
		return f.m.ReplicationDepth == 1 && f.m.IsFailingToConnectToMaster()
	}, explainFailingToConnect},
}

// groupReplicationRules replace rules for members of a replication group.
var groupReplicationRules = []rule{
	{DeadReplicationGroupMemberWithReplicas, func(f *facts, _ Options) bool {
		return !f.valid && f.countReplicas() > 0 && len(f.replicating) == 0
	}, explainDead},
}

// deadAllValid: unreachable, has replicas, all of them reachable, and all
// of them agree it is gone.
func (f *facts) deadAllValid() bool {
	return !f.valid && f.countReplicas() > 0 && f.allValid() && len(f.alive) == 0
}

// deadSomeValid: unreachable, some replicas unreachable too, and the
// reachable ones agree it is gone.
func (f *facts) deadSomeValid() bool { return !f.valid && f.someValid() && len(f.alive) == 0 }

// deadNoneValid: unreachable and so are all its replicas.
func (f *facts) deadNoneValid() bool { return !f.valid && f.countReplicas() > 0 && f.countValid() == 0 }

// unreachable: orchestrator cannot reach it (no partial success) but a
// reachable replica still sees it.
func (f *facts) unreachable() bool { return !f.valid && !f.partial && len(f.alive) > 0 }

// unreachablePartial: the probe partly worked, a replica fails to connect,
// and another still sees it.
func (f *facts) unreachablePartial() bool {
	return !f.valid && f.partial && len(f.failing) > 0 && len(f.alive) > 0
}

// classify returns the first matching rule, or nil for NoProblem.
func classify(f *facts, o Options) *rule {
	list := rules
	if f.isGRMember {
		list = groupReplicationRules
	}
	for i := range list {
		if list[i].when(f, o) {
			return &list[i]
		}
	}
	return nil
}
