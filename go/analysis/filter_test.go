package analysis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func downtime(end time.Time, ports ...int) func(*Snapshot) {
	return func(s *Snapshot) {
		s.Downtimed = map[inst.InstanceKey]Downtime{}
		for _, p := range ports {
			s.Downtimed[key(p)] = Downtime{Owner: "ops", Reason: "test", BeginsAt: now.Add(-time.Hour), EndsAt: end}
		}
	}
}

func deadMasterTopology() []*inst.Instance {
	return []*inst.Instance{master(21001, dead), replica(21002, 21001, failingToConnect), replica(21003, 21001, failingToConnect)}
}

func notReplicatingTopology() []*inst.Instance {
	return []*inst.Instance{master(21001), replica(21002, 21001, stopped), replica(21003, 21001, stopped)}
}

func TestAnalyzeFiltering(t *testing.T) {
	t.Parallel()
	m := key(21001)
	includeDowntimed := func(o *Options) { o.IncludeDowntimed = true }
	runCases(t, []codeCase{
		{name: "maintenance: left out entirely", key: m, instances: deadMasterTopology(), whyNot: "under maintenance",
			snap: func(s *Snapshot) { s.InMaintenance = map[inst.InstanceKey]bool{m: true} }},
		{name: "maintenance flag on the instance", key: m, whyNot: "under maintenance",
			instances: []*inst.Instance{master(21001, dead, func(i *inst.Instance) { i.IsMaintenance = true }), replica(21002, 21001, failingToConnect)}},
		{name: "downtimed master: hidden", key: m, instances: deadMasterTopology(), snap: downtime(now.Add(time.Hour), 21001),
			whyNot: "DeadMaster, but the instance is downtimed until 2024-05-01 13:00:00"},
		{name: "downtimed master: shown on request", key: m, want: DeadMaster, instances: deadMasterTopology(),
			snap: downtime(now.Add(time.Hour), 21001), opts: includeDowntimed},
		{name: "expired downtime does not count", key: m, want: DeadMaster, instances: deadMasterTopology(),
			snap: downtime(now.Add(-time.Minute), 21001)},
		{name: "all replicas downtimed, code about replicas: hidden", key: m, instances: notReplicatingTopology(),
			snap: downtime(now.Add(time.Hour), 21002, 21003), whyNot: "all 2 of its replicas are downtimed"},
		{name: "some replicas downtimed, code about replicas: shown", key: m, want: AllMasterReplicasNotReplicating,
			instances: notReplicatingTopology(), snap: downtime(now.Add(time.Hour), 21002)},
		{name: "all replicas downtimed, code not about replicas: shown", key: m, want: DeadMaster,
			instances: deadMasterTopology(), snap: downtime(now.Add(time.Hour), 21002, 21003)},
		{name: "RecoveryIgnoreHostnameFilters", key: m, instances: deadMasterTopology(),
			opts:   func(o *Options) { o.RecoveryIgnoreHostnameFilters = []string{`^127\.0\.0\.`} },
			whyNot: "matches RecoveryIgnoreHostnameFilters \"^127\\\\.0\\\\.0\\\\.\": it is neither analysed for recovery nor recovered"},
		{name: "RecoveryIgnoreHostnameFilters not matching", key: m, want: DeadMaster, instances: deadMasterTopology(),
			opts: func(o *Options) { o.RecoveryIgnoreHostnameFilters = []string{`^db-`} }},
		{name: "IncludeNoProblem", key: m, want: NoProblem, instances: []*inst.Instance{master(21001), replica(21002, 21001)},
			opts: func(o *Options) { o.IncludeNoProblem = true }},
		{name: "ReduceReplicationAnalysisCount leaves out healthy leaves", key: key(21002),
			instances: []*inst.Instance{master(21001), replica(21002, 21001)}, opts: func(o *Options) { o.IncludeNoProblem = true },
			whyNot: "nothing to analyse"},
		{name: "without ReduceReplicationAnalysisCount healthy leaves are analysed", key: key(21002), want: NoProblem,
			instances: []*inst.Instance{master(21001), replica(21002, 21001)},
			opts:      func(o *Options) { o.IncludeNoProblem, o.ReduceReplicationAnalysisCount = true, false }},
		{name: "ClusterName restricts", key: m, instances: deadMasterTopology(), opts: func(o *Options) { o.ClusterName = "other:3306" },
			whyNot: "belongs to cluster 127.0.0.1:21001, not to the analysed other:3306"},
		{name: "no problem", key: m, instances: []*inst.Instance{master(21001), replica(21002, 21001)}, whyNot: "no problem found"},
		{name: "not in the snapshot", key: key(21009), instances: deadMasterTopology(), whyNot: "not among the instances"},
	})
}

func TestAnalyzeDowntimeFlags(t *testing.T) {
	t.Parallel()
	s := snapshot(notReplicatingTopology()...)
	downtime(now.Add(time.Hour), 21001, 21002, 21003)(&s)
	o := options()
	o.IncludeDowntimed = true
	a := mustEntry(t, Analyze(s, o), key(21001))
	require.Equal(t, AllMasterReplicasNotReplicating, a.Analysis)
	require.True(t, a.IsDowntimed)
	require.True(t, a.IsReplicasDowntimed)
	require.True(t, a.SkippableDueToDowntime)
	require.Equal(t, uint(2), a.CountDowntimedReplicas)
	require.Equal(t, "2024-05-01 13:00:00", a.DowntimeEndTimestamp)
	require.Equal(t, 3600, a.DowntimeRemainingSeconds)
}

func TestAnalyzeEntryFields(t *testing.T) {
	t.Parallel()
	s := snapshot(deadMasterTopology()...)
	s.ClusterAliases = map[string]string{cluster: "main"}
	o := options()
	o.RecoverMasterClusterFilters = []string{"alias=main"}
	o.ProcessingNodeHostname = "orc1"
	a := mustEntry(t, Analyze(s, o), key(21001))
	require.True(t, a.IsMaster)
	require.False(t, a.LastCheckValid)
	require.True(t, a.IsActionableRecovery)
	require.Equal(t, uint(2), a.CountReplicas)
	require.Equal(t, uint(2), a.CountValidReplicas)
	require.Equal(t, uint(0), a.CountValidReplicatingReplicas)
	require.Equal(t, uint(2), a.CountReplicasFailingToConnectToMaster)
	require.Equal(t, []inst.InstanceKey{key(21002), key(21003)}, a.Replicas)
	require.Equal(t, a.Replicas, a.SlaveHosts)
	require.True(t, a.OracleGTIDImmediateTopology)
	require.Equal(t, uint(2), a.CountRowBasedLoggingReplicas)
	require.Equal(t, "main", a.ClusterDetails.ClusterAlias)
	require.True(t, a.ClusterDetails.HasAutomatedMasterRecovery)
	require.False(t, a.ClusterDetails.HasAutomatedIntermediateMasterRecovery)
	require.Equal(t, "orc1", a.ProcessingNodeHostname)
	require.Equal(t, "ON", a.MinReplicaGTIDMode)
}

func TestAnalyzeOrder(t *testing.T) {
	t.Parallel()
	// A dead intermediate master and a master whose replicas do not replicate.
	s := snapshot(master(21001), replica(21002, 21001, dead), replica(21005, 21001, stopped),
		replica(21003, 21002, failingToConnect, depth(2)), replica(21004, 21002, failingToConnect, depth(2)))
	out := Analyze(s, options())
	require.Equal(t, []string{"127.0.0.1:21001=AllMasterReplicasNotReplicatingOrDead", "127.0.0.1:21002=DeadIntermediateMaster"}, codesOf(out))
}

func TestActionable(t *testing.T) {
	t.Parallel()
	require.False(t, actionable(LockedSemiSyncMaster, Options{}))
	require.True(t, actionable(LockedSemiSyncMaster, Options{RecoverLockedSemiSyncMaster: true}))
	require.True(t, actionable(LockedSemiSyncMaster, Options{EnforceExactSemiSyncReplicas: true}))
	require.True(t, actionable(NoWriteableMasterStructureWarning, Options{RecoverNonWriteableMaster: true}))
	require.True(t, actionable(DeadIntermediateMaster, Options{}))
	require.False(t, actionable(DeadMasterAndReplicas, Options{}))
}

func TestClusterFilters(t *testing.T) {
	t.Parallel()
	c := ClusterInfo{ClusterName: "db-main-1:3306", ClusterAlias: "main"}
	cases := []struct {
		name    string
		filters []string
		want    bool
	}{
		{"cluster name", []string{"db-main-1:3306"}, true},
		{"alias", []string{"main"}, true},
		{"alias=", []string{"alias=main"}, true},
		{"alias= other", []string{"alias=other"}, false},
		{"alias= is not a regexp", []string{"alias=ma.*"}, false},
		{"regexp on name", []string{`^db-main-[0-9]+`}, true},
		{"match all", []string{".*"}, true},
		{"no filters", nil, false},
		{"empty filter", []string{""}, false},
		{"no match", []string{"other", `^db-other`}, false},
		{"invalid regexp", []string{"("}, false},
		{"second filter matches", []string{"other", "main"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, c.MatchesFilters(tc.filters))
		})
	}
}

func TestClusterInfos(t *testing.T) {
	t.Parallel()
	other := master(22001, func(i *inst.Instance) { i.ClusterName = "127.0.0.1:22001"; i.ClusterAlias = "beta" })
	s := snapshot(master(21001), replica(21002, 21001, lagging(7)), replica(21003, 21001, lagging(3)), other)
	s.ClusterAliases = map[string]string{cluster: "alpha"}
	s.ClusterDomains = map[string]string{cluster: "alpha.example.com"}
	o := options()
	o.RecoverMasterClusterFilters = []string{".*"}
	o.RecoverIntermediateMasterClusterFilters = []string{"alias=beta"}
	got := ClusterInfos(s, o)
	require.Equal(t, []ClusterInfo{
		{ClusterName: cluster, ClusterAlias: "alpha", ClusterDomain: "alpha.example.com", CountInstances: 3, HeuristicLag: 7,
			HasAutomatedMasterRecovery: true},
		{ClusterName: "127.0.0.1:22001", ClusterAlias: "beta", CountInstances: 1,
			HasAutomatedMasterRecovery: true, HasAutomatedIntermediateMasterRecovery: true},
	}, got)
}
