package analysis

import (
	"regexp"
	"sort"

	"orchestrator/go/inst"
)

// ReplicationAnalysis is the analysis of one instance (with its direct
// replicas), with upstream's JSON names, plus Explanation.
type ReplicationAnalysis struct {
	AnalyzedInstanceKey                       inst.InstanceKey
	AnalyzedInstanceMasterKey                 inst.InstanceKey
	ClusterDetails                            ClusterInfo
	AnalyzedInstanceDataCenter                string
	AnalyzedInstanceRegion                    string
	AnalyzedInstancePhysicalEnvironment       string
	AnalyzedInstanceBinlogCoordinates         inst.BinlogCoordinates
	IsMaster                                  bool
	IsReplicationGroupMember                  bool
	IsCoMaster                                bool
	LastCheckValid                            bool
	LastCheckPartialSuccess                   bool
	CountReplicas                             uint
	CountValidReplicas                        uint
	CountValidReplicatingReplicas             uint
	CountReplicasFailingToConnectToMaster     uint
	CountDowntimedReplicas                    uint
	ReplicationDepth                          uint
	Replicas                                  []inst.InstanceKey
	SlaveHosts                                []inst.InstanceKey
	IsFailingToConnectToMaster                bool
	Analysis                                  Code
	Description                               string
	StructureAnalysis                         []Code
	IsDowntimed                               bool
	IsReplicasDowntimed                       bool
	DowntimeEndTimestamp                      string
	DowntimeRemainingSeconds                  int
	IsBinlogServer                            bool
	PseudoGTIDImmediateTopology               bool
	OracleGTIDImmediateTopology               bool
	MariaDBGTIDImmediateTopology              bool
	BinlogServerImmediateTopology             bool
	SemiSyncMasterEnabled                     bool
	SemiSyncMasterStatus                      bool
	SemiSyncMasterWaitForReplicaCount         uint
	SemiSyncMasterClients                     uint
	CountSemiSyncReplicasEnabled              uint
	CountLoggingReplicas                      uint
	CountStatementBasedLoggingReplicas        uint
	CountMixedBasedLoggingReplicas            uint
	CountRowBasedLoggingReplicas              uint
	CountDistinctMajorVersionsLoggingReplicas uint
	CountDelayedReplicas                      uint
	CountLaggingReplicas                      uint
	IsActionableRecovery                      bool
	ProcessingNodeHostname                    string
	ProcessingNodeToken                       string
	CountAdditionalAgreeingNodes              int
	StartActivePeriod                         string
	SkippableDueToDowntime                    bool
	GTIDMode                                  string
	MinReplicaGTIDMode                        string
	MaxReplicaGTIDMode                        string
	MaxReplicaGTIDErrant                      string
	CommandHint                               string
	IsReadOnly                                bool

	// Ours: replicas whose IO thread shows Running but received nothing for
	// too long (see Analyze), and the facts that led to Analysis, in plain
	// words.
	CountStalledReplicas uint
	Explanation          []string
}

// Analyze returns one entry per analysed instance: every instance not under
// maintenance, with its direct replicas (R belongs to M when R.MasterKey ==
// M.Key), classified by the first matching rule of §4, with structure
// warnings, then filtered (§4.7): NoProblem without warnings is dropped
// unless o.IncludeNoProblem; hosts matching RecoveryIgnoreHostnameFilters
// are dropped; downtimed entries (the instance, or all its replicas for a
// code about replicas) are SkippableDueToDowntime and dropped unless
// o.IncludeDowntimed. Entries come masters first, then by number of
// replicas, then by key.
//
// A master (or intermediate or co-master) is Dead only when orchestrator
// cannot reach it and every reachable replica agrees: its IO thread is not
// running, or it is stalled (Snapshot.ReplicaStalled longer than
// max(2 × heartbeat period, 2s)). One replica still receiving is evidence
// the server is alive: the code is then Unreachable*. See rules.
func Analyze(s Snapshot, o Options) []ReplicationAnalysis {
	byMaster := replicasByMaster(s.Instances)
	clusters := clusterInfos(s, o)
	ignore := compileAll(o.RecoveryIgnoreHostnameFilters)
	var out []ReplicationAnalysis
	for _, m := range s.Instances {
		if s.inMaintenance(m) || (o.ClusterName != "" && m.ClusterName != o.ClusterName) {
			continue
		}
		f := newFacts(s, o, m, byMaster[m.Key])
		if o.ReduceReplicationAnalysisCount && !f.worthAnalysing() {
			continue
		}
		a := newEntry(f, s, o, clusters[m.ClusterName])
		if keep(&a, f, o, ignore) {
			out = append(out, a)
		}
	}
	sortEntries(out)
	return out
}

// newEntry fills the entry's fields, code, warnings and explanation.
func newEntry(f *facts, s Snapshot, o Options, c ClusterInfo) ReplicationAnalysis {
	a := entryFields(f, s, o)
	a.ClusterDetails = c
	a.Analysis, a.Description = NoProblem, NoProblem.Description()
	if r := classify(f, o); r != nil {
		a.Analysis, a.Description = r.code, r.code.Description()
		a.Explanation = r.explain(f, o)
	}
	a.IsActionableRecovery = actionable(a.Analysis, o)
	var lines []string
	a.StructureAnalysis, lines = structureWarnings(f, s)
	a.Explanation = append(a.Explanation, lines...)
	if a.Explanation == nil {
		a.Explanation = []string{}
	}
	return a
}

// actionable: the code has an automatic recovery under these options.
func actionable(c Code, o Options) bool {
	switch c {
	case LockedSemiSyncMaster:
		return o.RecoverLockedSemiSyncMaster || o.EnforceExactSemiSyncReplicas
	case MasterWithTooManySemiSyncReplicas:
		return o.EnforceExactSemiSyncReplicas
	case NoWriteableMasterStructureWarning:
		return o.RecoverNonWriteableMaster
	}
	return c.Actionable()
}

// keep applies the filtering of §4.7 and sets the downtime flags.
func keep(a *ReplicationAnalysis, f *facts, o Options, ignore []*regexp.Regexp) bool {
	if a.Analysis == NoProblem && len(a.StructureAnalysis) == 0 && !o.IncludeNoProblem {
		return false
	}
	for _, re := range ignore {
		if re.MatchString(a.AnalyzedInstanceKey.Hostname) {
			return false
		}
	}
	if a.IsDowntimed {
		a.SkippableDueToDowntime = true
	}
	if info, _ := Info(a.Analysis); info.AboutReplicas && len(f.downtimed) == f.countReplicas() {
		a.IsReplicasDowntimed = true
		a.SkippableDueToDowntime = true
	}
	return !a.SkippableDueToDowntime || o.IncludeDowntimed
}

func compileAll(patterns []string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		if re, err := regexp.Compile(p); err == nil && p != "" {
			out = append(out, re)
		}
	}
	return out
}

func sortEntries(out []ReplicationAnalysis) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.IsMaster != b.IsMaster {
			return a.IsMaster
		}
		if a.CountReplicas != b.CountReplicas {
			return a.CountReplicas > b.CountReplicas
		}
		return a.AnalyzedInstanceKey.String() < b.AnalyzedInstanceKey.String()
	})
}
