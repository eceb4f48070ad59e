// Package analysis turns a snapshot of instances into failure analysis
// codes: which instance has which problem, and why. It is pure: no I/O, no
// globals; the caller reads the backend and hands the facts in.
package analysis

// Code is an analysis code or a structure warning, with upstream
// orchestrator's names.
type Code string

// Master codes, in the order the rules are tried.
const (
	DeadMasterWithoutReplicas             Code = "DeadMasterWithoutReplicas"
	DeadMaster                            Code = "DeadMaster"
	DeadMasterAndReplicas                 Code = "DeadMasterAndReplicas"
	DeadMasterAndSomeReplicas             Code = "DeadMasterAndSomeReplicas"
	UnreachableMasterWithLaggingReplicas  Code = "UnreachableMasterWithLaggingReplicas"
	UnreachableMaster                     Code = "UnreachableMaster"
	LockedSemiSyncMaster                  Code = "LockedSemiSyncMaster"
	LockedSemiSyncMasterHypothesis        Code = "LockedSemiSyncMasterHypothesis"
	MasterWithTooManySemiSyncReplicas     Code = "MasterWithTooManySemiSyncReplicas"
	MasterSingleReplicaNotReplicating     Code = "MasterSingleReplicaNotReplicating"
	MasterSingleReplicaDead               Code = "MasterSingleReplicaDead"
	AllMasterReplicasNotReplicating       Code = "AllMasterReplicasNotReplicating"
	AllMasterReplicasNotReplicatingOrDead Code = "AllMasterReplicasNotReplicatingOrDead"
)

// Co-master codes.
const (
	DeadCoMaster                      Code = "DeadCoMaster"
	DeadCoMasterAndSomeReplicas       Code = "DeadCoMasterAndSomeReplicas"
	UnreachableCoMaster               Code = "UnreachableCoMaster"
	AllCoMasterReplicasNotReplicating Code = "AllCoMasterReplicasNotReplicating"
)

// Intermediate master codes.
const (
	DeadIntermediateMasterWithSingleReplicaFailingToConnect Code = "DeadIntermediateMasterWithSingleReplicaFailingToConnect"
	DeadIntermediateMasterWithSingleReplica                 Code = "DeadIntermediateMasterWithSingleReplica"
	DeadIntermediateMaster                                  Code = "DeadIntermediateMaster"
	DeadIntermediateMasterAndSomeReplicas                   Code = "DeadIntermediateMasterAndSomeReplicas"
	DeadIntermediateMasterAndReplicas                       Code = "DeadIntermediateMasterAndReplicas"
	UnreachableIntermediateMasterWithLaggingReplicas        Code = "UnreachableIntermediateMasterWithLaggingReplicas"
	UnreachableIntermediateMaster                           Code = "UnreachableIntermediateMaster"
	AllIntermediateMasterReplicasFailingToConnectOrDead     Code = "AllIntermediateMasterReplicasFailingToConnectOrDead"
	AllIntermediateMasterReplicasNotReplicating             Code = "AllIntermediateMasterReplicasNotReplicating"
)

// Replica-level and other codes.
const (
	BinlogServerFailingToConnectToMaster     Code = "BinlogServerFailingToConnectToMaster"
	FirstTierReplicaFailingToConnectToMaster Code = "FirstTierReplicaFailingToConnectToMaster"
	DeadReplicationGroupMemberWithReplicas   Code = "DeadReplicationGroupMemberWithReplicas"
	MasterWithoutReplicas                    Code = "MasterWithoutReplicas" // defined upstream, never produced
	NoProblem                                Code = "NoProblem"
)

// Structure warnings (StructureAnalysis). NoWriteableMasterStructureWarning
// is also an analysis code when RecoverNonWriteableMaster is set.
const (
	NoLoggingReplicasStructureWarning                    Code = "NoLoggingReplicasStructureWarning"
	NoFailoverSupportStructureWarning                    Code = "NoFailoverSupportStructureWarning"
	StatementAndMixedLoggingReplicasStructureWarning     Code = "StatementAndMixedLoggingReplicasStructureWarning"
	StatementAndRowLoggingReplicasStructureWarning       Code = "StatementAndRowLoggingReplicasStructureWarning"
	MixedAndRowLoggingReplicasStructureWarning           Code = "MixedAndRowLoggingReplicasStructureWarning"
	MultipleMajorVersionsLoggingReplicasStructureWarning Code = "MultipleMajorVersionsLoggingReplicasStructureWarning"
	DifferentGTIDModesStructureWarning                   Code = "DifferentGTIDModesStructureWarning"
	ErrantGTIDStructureWarning                           Code = "ErrantGTIDStructureWarning"
	NoWriteableMasterStructureWarning                    Code = "NoWriteableMasterStructureWarning"
	NotEnoughValidSemiSyncReplicasStructureWarning       Code = "NotEnoughValidSemiSyncReplicasStructureWarning"
)

// Recovery kinds: which recovery flow handles a code.
const (
	RecoveryNone               = ""
	RecoveryMaster             = "master"
	RecoveryIntermediateMaster = "intermediate-master"
	RecoveryCoMaster           = "co-master"
	RecoverySemiSync           = "semi-sync"            // enable/disable semi-sync on replicas
	RecoveryNonWriteableMaster = "non-writeable-master" // set read_only=0 on the master
)

// Emergent operations: what to do right away, before any recovery, to
// confirm or clear a suspicion faster.
const (
	EmergentNone               = ""
	EmergentReprobeMaster      = "reprobe-master" // probe the analysed instance again now
	EmergentReprobeAll         = "reprobe-master-and-replicas"
	EmergentReprobeUpstream    = "reprobe-its-master"     // probe the analysed instance's own master
	EmergentRestartReplication = "restart-replica-io"     // restart IO threads of its replicas so they notice
	EmergentTrackStaleness     = "track-binlog-staleness" // record the master's binlog coordinates
)

// CodeInfo is what the rest of orchestrator needs to know about a code.
type CodeInfo struct {
	Description string // plain words
	// Actionable: an automatic recovery exists. For the semi-sync codes it
	// also depends on options (see ReplicationAnalysis.IsActionableRecovery).
	Actionable bool
	Recovery   string // Recovery* kind
	// AboutReplicas: the problem is with the replicas, so when all of them
	// are downtimed the entry is skippable (§4.7).
	AboutReplicas bool
	Structure     bool // a structure warning
	Emergent      string
}

// table is the one place that describes every code.
var table = map[Code]CodeInfo{
	DeadMasterWithoutReplicas:             {Description: "master cannot be reached and has no replicas to promote"},
	DeadMaster:                            {Description: "master cannot be reached and all its replicas agree it is gone", Actionable: true, Recovery: RecoveryMaster},
	DeadMasterAndReplicas:                 {Description: "master and all its replicas cannot be reached", Emergent: EmergentReprobeUpstream},
	DeadMasterAndSomeReplicas:             {Description: "master cannot be reached, some replicas cannot be reached either and the reachable ones agree it is gone", Actionable: true, Recovery: RecoveryMaster},
	UnreachableMasterWithLaggingReplicas:  {Description: "master cannot be reached and all its replicas are lagging", Emergent: EmergentRestartReplication},
	UnreachableMaster:                     {Description: "master cannot be reached by orchestrator but some replicas still see it: no failover", Emergent: EmergentReprobeAll},
	LockedSemiSyncMaster:                  {Description: "semi-sync master is blocked: too few replicas acknowledge and its binlog is not moving", Actionable: true, Recovery: RecoverySemiSync},
	LockedSemiSyncMasterHypothesis:        {Description: "semi-sync master may be blocked: too few replicas acknowledge; waiting to see its binlog stall", Emergent: EmergentTrackStaleness},
	MasterWithTooManySemiSyncReplicas:     {Description: "semi-sync master has more semi-sync replicas than it waits for", Actionable: true, Recovery: RecoverySemiSync},
	MasterSingleReplicaNotReplicating:     {Description: "master is reachable but its only replica is not replicating"},
	MasterSingleReplicaDead:               {Description: "master is reachable but its only replica cannot be reached", AboutReplicas: true},
	AllMasterReplicasNotReplicating:       {Description: "master is reachable but none of its replicas is replicating", AboutReplicas: true, Emergent: EmergentReprobeMaster},
	AllMasterReplicasNotReplicatingOrDead: {Description: "master is reachable but its replicas are either not replicating or cannot be reached", AboutReplicas: true, Emergent: EmergentReprobeMaster},

	DeadCoMaster:                      {Description: "co-master cannot be reached and all its replicas agree it is gone", Actionable: true, Recovery: RecoveryCoMaster},
	DeadCoMasterAndSomeReplicas:       {Description: "co-master cannot be reached, some replicas cannot be reached either and the reachable ones agree it is gone", Actionable: true, Recovery: RecoveryCoMaster},
	UnreachableCoMaster:               {Description: "co-master cannot be reached by orchestrator but some replicas still see it", Emergent: EmergentReprobeAll},
	AllCoMasterReplicasNotReplicating: {Description: "co-master is reachable but none of its replicas is replicating", AboutReplicas: true},

	DeadIntermediateMasterWithSingleReplicaFailingToConnect: {Description: "intermediate master cannot be reached and its only replica fails to connect to it", Actionable: true, Recovery: RecoveryIntermediateMaster, AboutReplicas: true},
	DeadIntermediateMasterWithSingleReplica:                 {Description: "intermediate master cannot be reached and its only replica is not replicating", AboutReplicas: true},
	DeadIntermediateMaster:                                  {Description: "intermediate master cannot be reached and all its replicas agree it is gone", Actionable: true, Recovery: RecoveryIntermediateMaster, AboutReplicas: true},
	DeadIntermediateMasterAndSomeReplicas:                   {Description: "intermediate master cannot be reached, some replicas cannot be reached either and the reachable ones agree it is gone", Actionable: true, Recovery: RecoveryIntermediateMaster, AboutReplicas: true},
	DeadIntermediateMasterAndReplicas:                       {Description: "intermediate master and all its replicas cannot be reached", AboutReplicas: true},
	UnreachableIntermediateMasterWithLaggingReplicas:        {Description: "intermediate master cannot be reached and all its replicas are lagging", Emergent: EmergentRestartReplication},
	UnreachableIntermediateMaster:                           {Description: "intermediate master cannot be reached by orchestrator but some replicas still see it", Emergent: EmergentReprobeAll},
	AllIntermediateMasterReplicasFailingToConnectOrDead:     {Description: "intermediate master is reachable but its replicas cannot connect to it or cannot be reached", Actionable: true, Recovery: RecoveryIntermediateMaster, AboutReplicas: true},
	AllIntermediateMasterReplicasNotReplicating:             {Description: "intermediate master is reachable but none of its replicas is replicating", AboutReplicas: true},

	BinlogServerFailingToConnectToMaster:     {Description: "binlog server cannot connect to its master"},
	FirstTierReplicaFailingToConnectToMaster: {Description: "replica of the top master cannot connect to it", Emergent: EmergentReprobeUpstream},
	DeadReplicationGroupMemberWithReplicas:   {Description: "group replication member cannot be reached and none of its replicas is replicating"},
	MasterWithoutReplicas:                    {Description: "master has no replicas"},
	NoProblem:                                {Description: "no problem found"},

	NoLoggingReplicasStructureWarning:                    {Description: "no replica of this master writes a binary log with replica updates: none can take over its other replicas", Structure: true},
	NoFailoverSupportStructureWarning:                    {Description: "replicas use neither GTID nor binlog servers: a failover cannot regroup them", Structure: true},
	StatementAndMixedLoggingReplicasStructureWarning:     {Description: "logging replicas mix STATEMENT and MIXED binlog formats", Structure: true},
	StatementAndRowLoggingReplicasStructureWarning:       {Description: "logging replicas mix STATEMENT and ROW binlog formats", Structure: true},
	MixedAndRowLoggingReplicasStructureWarning:           {Description: "logging replicas mix MIXED and ROW binlog formats", Structure: true},
	MultipleMajorVersionsLoggingReplicasStructureWarning: {Description: "logging replicas run different major versions", Structure: true},
	DifferentGTIDModesStructureWarning:                   {Description: "a replica's gtid_mode differs from its master's", Structure: true},
	ErrantGTIDStructureWarning:                           {Description: "a replica has executed transactions its master does not have (errant GTID)", Structure: true},
	NoWriteableMasterStructureWarning:                    {Description: "master is read-only", Actionable: true, Recovery: RecoveryNonWriteableMaster, Structure: true},
	NotEnoughValidSemiSyncReplicasStructureWarning:       {Description: "semi-sync is enabled on the master but inactive: too few semi-sync replicas", Structure: true},
}

// order lists every code: analysis codes in rule order, then structure
// warnings.
var order = []Code{
	DeadMasterWithoutReplicas, DeadMaster, DeadMasterAndReplicas, DeadMasterAndSomeReplicas,
	UnreachableMasterWithLaggingReplicas, UnreachableMaster, LockedSemiSyncMaster, LockedSemiSyncMasterHypothesis,
	MasterWithTooManySemiSyncReplicas, NoWriteableMasterStructureWarning, MasterSingleReplicaNotReplicating,
	MasterSingleReplicaDead, AllMasterReplicasNotReplicating, AllMasterReplicasNotReplicatingOrDead,
	DeadCoMaster, DeadCoMasterAndSomeReplicas, UnreachableCoMaster, AllCoMasterReplicasNotReplicating,
	DeadIntermediateMasterWithSingleReplicaFailingToConnect, DeadIntermediateMasterWithSingleReplica,
	DeadIntermediateMaster, DeadIntermediateMasterAndSomeReplicas, DeadIntermediateMasterAndReplicas,
	UnreachableIntermediateMasterWithLaggingReplicas, UnreachableIntermediateMaster,
	AllIntermediateMasterReplicasFailingToConnectOrDead, AllIntermediateMasterReplicasNotReplicating,
	BinlogServerFailingToConnectToMaster, FirstTierReplicaFailingToConnectToMaster,
	DeadReplicationGroupMemberWithReplicas, MasterWithoutReplicas, NoProblem,
	NoLoggingReplicasStructureWarning, NoFailoverSupportStructureWarning,
	StatementAndMixedLoggingReplicasStructureWarning, StatementAndRowLoggingReplicasStructureWarning,
	MixedAndRowLoggingReplicasStructureWarning, MultipleMajorVersionsLoggingReplicasStructureWarning,
	DifferentGTIDModesStructureWarning, ErrantGTIDStructureWarning,
	NotEnoughValidSemiSyncReplicasStructureWarning,
}

// Info describes a code; ok is false for an unknown one.
func Info(c Code) (CodeInfo, bool) {
	i, ok := table[c]
	return i, ok
}

// Codes lists every known code: analysis codes in the order their rules
// are tried, then the structure warnings.
func Codes() []Code { return append([]Code(nil), order...) }

// Description is the code's plain-words description ("" when unknown).
func (c Code) Description() string { return table[c].Description }

// Actionable reports whether an automatic recovery exists for the code.
func (c Code) Actionable() bool { return table[c].Actionable }

// Recovery is the code's recovery kind (a Recovery* constant).
func (c Code) Recovery() string { return table[c].Recovery }
