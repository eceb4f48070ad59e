package analysis

import (
	"fmt"
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
		if a, why := analyzeOne(s, o, m, byMaster[m.Key], clusters, ignore); why == "" {
			out = append(out, a)
		}
	}
	sortEntries(out)
	return out
}

// WhyNoEntry says in plain words why Analyze gives key no entry under o:
// maintenance, another cluster, RecoveryIgnoreHostnameFilters, nothing to
// analyse, no problem, downtime. It is "" when key has an entry.
func WhyNoEntry(s Snapshot, o Options, key inst.InstanceKey) string {
	for _, m := range s.Instances {
		if m.Key == key {
			byMaster := replicasByMaster(s.Instances)
			_, why := analyzeOne(s, o, m, byMaster[m.Key], clusterInfos(s, o), compileAll(o.RecoveryIgnoreHostnameFilters))
			return why
		}
	}
	return fmt.Sprintf("%s is not among the instances read for the analysis", key)
}

// analyzeOne is the entry of m, or why it has none.
func analyzeOne(s Snapshot, o Options, m *inst.Instance, replicas []*inst.Instance, clusters map[string]ClusterInfo, ignore []*regexp.Regexp) (ReplicationAnalysis, string) {
	switch {
	case s.inMaintenance(m):
		return ReplicationAnalysis{}, "it is under maintenance: instances under a maintenance lock are left out of the analysis"
	case o.ClusterName != "" && m.ClusterName != o.ClusterName:
		return ReplicationAnalysis{}, fmt.Sprintf("it belongs to cluster %s, not to the analysed %s", m.ClusterName, o.ClusterName)
	}
	f := newFacts(s, o, m, replicas)
	if o.ReduceReplicationAnalysisCount && !f.worthAnalysing() {
		return ReplicationAnalysis{}, "nothing to analyse: it is reachable, replicates normally and has no replicas (ReduceReplicationAnalysisCount)"
	}
	a := newEntry(f, s, o, clusters[m.ClusterName])
	return a, exclusion(&a, f, o, ignore)
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

// exclusion applies the filtering of §4.7 and sets the downtime flags; it
// says why the entry is left out ("" when it is kept).
func exclusion(a *ReplicationAnalysis, f *facts, o Options, ignore []*regexp.Regexp) string {
	if a.Analysis == NoProblem && len(a.StructureAnalysis) == 0 && !o.IncludeNoProblem {
		return "no problem found"
	}
	for _, re := range ignore {
		if re.MatchString(a.AnalyzedInstanceKey.Hostname) {
			return fmt.Sprintf("its hostname matches RecoveryIgnoreHostnameFilters %q: it is neither analysed for recovery nor recovered", re.String())
		}
	}
	if a.IsDowntimed {
		a.SkippableDueToDowntime = true
	}
	if info, _ := Info(a.Analysis); info.AboutReplicas && len(f.downtimed) == f.countReplicas() {
		a.IsReplicasDowntimed = true
		a.SkippableDueToDowntime = true
	}
	if a.SkippableDueToDowntime && !o.IncludeDowntimed {
		return fmt.Sprintf("%s, but %s: hidden, and not recovered automatically", a.Analysis, DowntimeReason(*a))
	}
	return ""
}

// DowntimeReason says why an entry is SkippableDueToDowntime, in plain
// words ("" when it is not).
func DowntimeReason(a ReplicationAnalysis) string {
	switch {
	case a.IsDowntimed && a.DowntimeEndTimestamp != "":
		return fmt.Sprintf("the instance is downtimed until %s", a.DowntimeEndTimestamp)
	case a.IsDowntimed:
		return "the instance is downtimed"
	case a.IsReplicasDowntimed:
		return fmt.Sprintf("all %d of its replicas are downtimed and %s is about its replicas", a.CountReplicas, a.Analysis)
	}
	return ""
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
