package analysis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

type codeCase struct {
	name      string
	instances []*inst.Instance
	snap      func(*Snapshot)
	opts      func(*Options)
	key       inst.InstanceKey
	want      Code     // "" means: no entry for key
	structure []Code   // checked when not nil
	explain   []string // substrings of the explanation
	whyNot    string   // with want "": a substring of WhyNoEntry
}

func (c codeCase) run(t *testing.T) {
	t.Helper()
	s := snapshot(c.instances...)
	if c.snap != nil {
		c.snap(&s)
	}
	o := options()
	if c.opts != nil {
		c.opts(&o)
	}
	out := Analyze(s, o)
	if c.want == "" {
		_, ok := entryFor(out, c.key)
		require.False(t, ok, "unexpected entry for %s: %v", c.key, codesOf(out))
		require.Contains(t, WhyNoEntry(s, o, c.key), c.whyNot)
		require.NotEmpty(t, WhyNoEntry(s, o, c.key))
		return
	}
	a := mustEntry(t, out, c.key)
	require.Equal(t, c.want, a.Analysis, "explanation:\n%s", explanation(a))
	require.Equal(t, c.want.Description(), a.Description)
	if c.structure != nil {
		require.Equal(t, c.structure, a.StructureAnalysis)
	}
	if c.want != NoProblem {
		require.NotEmpty(t, a.Explanation, "every code must be explained")
	}
	for _, sub := range c.explain {
		require.Contains(t, explanation(a), sub)
	}
}

func runCases(t *testing.T, cases []codeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

func stale(k inst.InstanceKey, d time.Duration) func(*Snapshot) {
	return func(s *Snapshot) { s.StaleBinlogCoordinates = map[inst.InstanceKey]time.Duration{k: d} }
}

func stalled(d time.Duration, ports ...int) func(*Snapshot) {
	return func(s *Snapshot) {
		s.ReplicaStalled = map[inst.InstanceKey]time.Duration{}
		for _, p := range ports {
			s.ReplicaStalled[key(p)] = d
		}
	}
}

func partial(port int) func(*Snapshot) {
	return func(s *Snapshot) { s.PartialSuccess = map[inst.InstanceKey]bool{key(port): true} }
}

func TestAnalyzeMaster(t *testing.T) {
	t.Parallel()
	m := key(21001)
	runCases(t, []codeCase{
		{name: "analysis-no-failure", key: m, instances: []*inst.Instance{master(21001), replica(21002, 21001), replica(21003, 21001)}},
		{name: "analysis-dead-master-without-replicas", key: m, want: DeadMasterWithoutReplicas,
			instances: []*inst.Instance{master(21001, dead)}, explain: []string{"cannot reach 127.0.0.1:21001", "no replicas"}},
		{name: "analysis-dead-master: replicas fail to connect", key: m, want: DeadMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, failingToConnect), replica(21003, 21001, failingToConnect)},
			explain:   []string{"cannot reach 127.0.0.1:21001 (last check invalid", "2 of 2 replicas are failing to connect to it: 127.0.0.1:21002 (IO error: error reconnecting", "all 2 reachable replicas agree"}},
		{name: "dead master: replicas stopped without error agree too", key: m, want: DeadMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, stopped), replica(21003, 21001, failingToConnect)},
			explain:   []string{"IO thread not running: 127.0.0.1:21002 (IO stopped, SQL stopped)"}},
		{name: "holistic: one replica IO running with SQL stopped means alive (upstream analysis-dead-master fixture)", key: m, want: UnreachableMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, sqlStopped), replica(21003, 21001, failingToConnect)},
			explain:   []string{"replica 127.0.0.1:21002 still has its IO thread connected: evidence 127.0.0.1:21001 is alive (its SQL thread is not running)", "not treated as dead"}},
		{name: "holistic: hung master, replicas stalled", key: m, want: DeadMaster, snap: stalled(5*time.Second, 21002, 21003),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001), replica(21003, 21001)},
			explain:   []string{"replica 127.0.0.1:21002 shows its IO thread running but has received nothing for 5s", "= 2s): its IO thread is effectively dead"}},
		{name: "holistic: hung master, one replica stalled and one failing", key: m, want: DeadMaster, snap: stalled(5*time.Second, 21002),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001), replica(21003, 21001, failingToConnect)}},
		{name: "holistic: stall shorter than 2 x heartbeat period", key: m, want: UnreachableMaster, snap: stalled(5*time.Second, 21002, 21003),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, heartbeat(3)), replica(21003, 21001)}},
		{name: "holistic: hung master but replicas still receive heartbeats", key: m, want: UnreachableMaster, snap: stalled(500*time.Millisecond, 21002, 21003),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001), replica(21003, 21001)},
			explain:   []string{"still has its IO thread connected"}},
		{name: "holistic: frozen position without heartbeats proves nothing", key: m, want: UnreachableMaster, snap: stalled(time.Minute, 21002, 21003),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, heartbeat(0)), replica(21003, 21001, heartbeat(0))}},
		{name: "analysis-dead-master-and-replicas", key: m, want: DeadMasterAndReplicas,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, dead), replica(21003, 21001, dead)},
			explain:   []string{"2 of 2 replicas cannot be reached", "no replica can be reached"}},
		{name: "analysis-dead-master-and-some-replicas", key: m, want: DeadMasterAndSomeReplicas,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, dead), replica(21003, 21001, failingToConnect)}},
		{name: "dead master, some replicas dead, one still receiving", key: m, want: UnreachableMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, dead), replica(21003, 21001)}},
		{name: "analysis-unreachable-master-with-lagging-replicas", key: m, want: UnreachableMasterWithLaggingReplicas,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, lagging(60)), replica(21003, 21001, lagging(60))},
			explain:   []string{"all 2 replicas lag more than 10s: 127.0.0.1:21002 (lag 60s)"}},
		{name: "analysis-unreachable-master-with-lagging-replicas-and-delayed-replicas", key: m, want: UnreachableMasterWithLaggingReplicas,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, lagging(60)), replica(21003, 21001, lagging(3700), delayed)}},
		{name: "analysis-unreachable-master-with-delayed-replicas", key: m, want: UnreachableMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, lagging(3600), delayed), replica(21003, 21001, lagging(3600), delayed)}},
		{name: "analysis-unreachable-master-not-lagging-replicas", key: m, want: UnreachableMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, lagging(60)), replica(21003, 21001)}},
		{name: "analysis-unreachable-master-partial-success", key: m, snap: partial(21001),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001), replica(21003, 21001)}},
		{name: "analysis-unreachable-master-partial-success-broken-replica", key: m, want: UnreachableMaster, snap: partial(21001),
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, failingToConnect), replica(21003, 21001)},
			explain:   []string{"partial success"}},
		{name: "analysis-semi-sync-locked-master", key: m, want: LockedSemiSyncMaster, snap: stale(m, 20*time.Second),
			instances: []*inst.Instance{master(21001, semiSync(1, 0, true)), replica(21002, 21001), replica(21003, 21001)},
			explain:   []string{"waits for 1 acknowledgements and has 0 semi-sync clients", "have not moved for 20s"}},
		{name: "analysis-semi-sync-locked-master-hypothesis", key: m, want: LockedSemiSyncMasterHypothesis, snap: stale(m, 3*time.Second),
			instances: []*inst.Instance{master(21001, semiSync(1, 0, true)), replica(21002, 21001), replica(21003, 21001)}},
		{name: "locked semi-sync threshold from ReasonableLockedSemiSyncMasterSeconds", key: m, want: LockedSemiSyncMasterHypothesis,
			snap: stale(m, 20*time.Second), opts: func(o *Options) { o.ReasonableLockedSemiSyncMasterSeconds = 30 },
			instances: []*inst.Instance{master(21001, semiSync(1, 0, true)), replica(21002, 21001)}},
		{name: "analysis-semi-sync-ok", key: m,
			instances: []*inst.Instance{master(21001, semiSync(1, 1, true)), replica(21002, 21001), replica(21003, 21001)}},
		{name: "master with too many semi-sync replicas", key: m, want: MasterWithTooManySemiSyncReplicas,
			opts:      func(o *Options) { o.EnforceExactSemiSyncReplicas = true },
			instances: []*inst.Instance{master(21001, semiSync(1, 2, true)), replica(21002, 21001), replica(21003, 21001)}},
		{name: "too many semi-sync replicas without EnforceExactSemiSyncReplicas", key: m,
			instances: []*inst.Instance{master(21001, semiSync(1, 2, true)), replica(21002, 21001), replica(21003, 21001)}},
		{name: "analysis-no-writeable-master", key: m, want: NoWriteableMasterStructureWarning,
			opts:      func(o *Options) { o.RecoverNonWriteableMaster = true },
			instances: []*inst.Instance{master(21001, readOnly), replica(21002, 21001), replica(21003, 21001)},
			structure: []Code{NoWriteableMasterStructureWarning}, explain: []string{"is read_only while 2 replicas replicate"}},
		{name: "analysis-read-only-master", key: m, want: NoProblem,
			instances: []*inst.Instance{master(21001, readOnly), replica(21002, 21001), replica(21003, 21001)},
			structure: []Code{NoWriteableMasterStructureWarning}},
		{name: "master-single-replica-not-replicating", key: m, want: MasterSingleReplicaNotReplicating,
			instances: []*inst.Instance{master(21001), replica(21002, 21001, sqlStopped)},
			explain:   []string{"1 of 1 replicas are not replicating: 127.0.0.1:21002 (IO running, SQL stopped)"}},
		{name: "master-single-replica-dead", key: m, want: MasterSingleReplicaDead,
			instances: []*inst.Instance{master(21001), replica(21002, 21001, dead)}},
		{name: "analysis-all-master-replicas-not-replicating", key: m, want: AllMasterReplicasNotReplicating,
			instances: []*inst.Instance{master(21001), replica(21002, 21001, stopped), replica(21003, 21001, sqlStopped)}},
		{name: "analysis-all-master-replicas-not-replicating-or-dead", key: m, want: AllMasterReplicasNotReplicatingOrDead,
			instances: []*inst.Instance{master(21001), replica(21002, 21001, stopped), replica(21003, 21001, dead)}},
	})
}

func TestAnalyzeCoMasterAndIntermediate(t *testing.T) {
	t.Parallel()
	// 21001 and 21002 are co-masters; 21003 replicates from 21002.
	coPair := func(m2, r1, r3 mod) []*inst.Instance {
		return []*inst.Instance{
			replica(21001, 21002, coMaster, depth(0), r1), replica(21002, 21001, coMaster, m2), replica(21003, 21002, r3, depth(2)),
		}
	}
	none := func(*inst.Instance) {}
	// 21001 master, 21002 intermediate master, 21003/21004 below it.
	im := func(imMod mod, below ...*inst.Instance) []*inst.Instance {
		return append([]*inst.Instance{master(21001), replica(21002, 21001, imMod), replica(21005, 21001)}, below...)
	}
	r3, r4 := func(m ...mod) *inst.Instance { return replica(21003, 21002, append(m, depth(2))...) },
		func(m ...mod) *inst.Instance { return replica(21004, 21002, append(m, depth(2))...) }
	k := key(21002)
	runCases(t, []codeCase{
		{name: "dead-co-master", key: k, want: DeadCoMaster, instances: coPair(dead, failingToConnect, failingToConnect)},
		{name: "dead-co-master-and-some-replicas", key: k, want: DeadCoMasterAndSomeReplicas,
			instances: append(coPair(dead, failingToConnect, failingToConnect), replica(21004, 21002, dead))},
		{name: "unreachable-co-master", key: k, want: UnreachableCoMaster, instances: coPair(dead, none, none)},
		{name: "all-co-master-replicas-not-replicating", key: k, want: AllCoMasterReplicasNotReplicating, instances: coPair(none, sqlStopped, stopped)},
		{name: "analysis-dead-intermediate-master-with-single-replica-failing-to-connect", key: k,
			want: DeadIntermediateMasterWithSingleReplicaFailingToConnect, instances: im(dead, r3(failingToConnect))},
		{name: "holistic: hung intermediate master with single stalled replica", key: k, snap: stalled(5*time.Second, 21003),
			want: DeadIntermediateMasterWithSingleReplicaFailingToConnect, instances: im(dead, r3()),
			explain: []string{"its IO thread is effectively dead"}},
		{name: "analysis-dead-intermediate-master-with-single-replica", key: k, want: DeadIntermediateMasterWithSingleReplica,
			instances: im(dead, r3(stopped))},
		{name: "dead-intermediate-master", key: k, want: DeadIntermediateMaster,
			instances: im(dead, r3(failingToConnect), r4(failingToConnect))},
		{name: "holistic: hung intermediate master with stalled replicas", key: k, want: DeadIntermediateMaster,
			snap: stalled(3*time.Second, 21003, 21004), instances: im(dead, r3(), r4())},
		{name: "holistic: intermediate master unreachable, one replica IO running with SQL stopped", key: k,
			want: UnreachableIntermediateMaster, instances: im(dead, r3(failingToConnect), r4(sqlStopped))},
		{name: "dead-intermediate-master-and-some-replicas", key: k, want: DeadIntermediateMasterAndSomeReplicas,
			instances: im(dead, r3(failingToConnect), r4(dead))},
		{name: "analysis-dead-intermediate-master-and-replicas", key: k, want: DeadIntermediateMasterAndReplicas,
			instances: im(dead, r3(dead), r4(dead))},
		{name: "analysis-unreachable-intermediate-master-with-lagging-replicas", key: k,
			want: UnreachableIntermediateMasterWithLaggingReplicas, instances: im(dead, r3(lagging(60)), r4(lagging(60)))},
		{name: "analysis-unreachable-intermediate-master", key: k, want: UnreachableIntermediateMaster,
			instances: im(dead, r3(), r4(lagging(60)))},
		{name: "analysis-unreachable-intermediate-master-partial-success", key: k, want: "", snap: partial(21002),
			instances: im(dead, r3(), r4())},
		{name: "all-intermediate-master-replicas-failing-to-connect-or-dead", key: k,
			want: AllIntermediateMasterReplicasFailingToConnectOrDead, instances: im(none, r3(failingToConnect), r4(dead))},
		{name: "analysis-all-intermediate-master-replicas-not-replicating", key: k, want: AllIntermediateMasterReplicasNotReplicating,
			instances: im(none, r3(stopped), r4(sqlStopped))},
		{name: "analysis-first-tier-replica-failing-to-connect", key: key(21005), want: FirstTierReplicaFailingToConnectToMaster,
			instances: []*inst.Instance{master(21001), replica(21002, 21001), replica(21005, 21001, failingToConnect)},
			explain:   []string{"replica 127.0.0.1:21005 cannot connect to its master 127.0.0.1:21001 (IO error: error reconnecting"}},
		{name: "binlog server failing to connect", key: key(21005), want: BinlogServerFailingToConnectToMaster,
			snap:      func(s *Snapshot) { s.BinlogServers = map[inst.InstanceKey]bool{key(21005): true} },
			instances: []*inst.Instance{master(21001), replica(21002, 21001), replica(21005, 21001, failingToConnect, depth(2))}},
		{name: "dead replication group member with replicas", key: key(21001), want: DeadReplicationGroupMemberWithReplicas,
			instances: []*inst.Instance{master(21001, dead, groupMember("PRIMARY")), replica(21002, 21001, failingToConnect)}},
	})
}

func TestAnalyzeStructureWarnings(t *testing.T) {
	t.Parallel()
	m := key(21001)
	two := func(a, b mod) []*inst.Instance {
		return []*inst.Instance{master(21001), replica(21002, 21001, a), replica(21003, 21001, b)}
	}
	none := func(*inst.Instance) {}
	runCases(t, []codeCase{
		{name: "analysis-no-logging-replicas", key: m, want: NoProblem, instances: two(noLSU, noLSU),
			structure: []Code{NoLoggingReplicasStructureWarning}, explain: []string{"none of the 2 replicas has log_bin"}},
		{name: "analysis-no-failover-support", key: m, want: NoProblem, instances: two(noGTID, none),
			structure: []Code{NoFailoverSupportStructureWarning}},
		{name: "statement and mixed", key: m, want: NoProblem, instances: two(format("STATEMENT"), format("MIXED")),
			structure: []Code{StatementAndMixedLoggingReplicasStructureWarning}},
		{name: "analysis-row-statement", key: m, want: NoProblem, instances: two(format("STATEMENT"), none),
			structure: []Code{StatementAndRowLoggingReplicasStructureWarning},
			explain:   []string{"logging replicas use STATEMENT (127.0.0.1:21002) and ROW (127.0.0.1:21003)"}},
		{name: "mixed and row", key: m, want: NoProblem, instances: two(format("mixed"), none),
			structure: []Code{MixedAndRowLoggingReplicasStructureWarning}},
		{name: "analysis-major-versions", key: m, want: NoProblem, instances: two(version("5.7.44-log"), none),
			structure: []Code{MultipleMajorVersionsLoggingReplicasStructureWarning}, explain: []string{"5.7, 8.0"}},
		{name: "different gtid modes", key: m, want: NoProblem, instances: two(gtidMode("ON_PERMISSIVE"), none),
			structure: []Code{DifferentGTIDModesStructureWarning}},
		{name: "analysis-errant-gtid", key: m, want: NoProblem, instances: two(errant("00020194-3333-3333-3333-333333333333:1"), none),
			structure: []Code{ErrantGTIDStructureWarning}, explain: []string{"127.0.0.1:21002 (00020194-3333-3333-3333-333333333333:1)"}},
		{name: "analysis-errant-gtid-downtimed", key: m, instances: two(errant("00020194-3333-3333-3333-333333333333:1"), none),
			snap: downtime(now.Add(time.Hour), 21002)},
		{name: "analysis-semi-sync-not-enough-valid-replicas", key: m, want: NoProblem,
			instances: []*inst.Instance{master(21001, semiSync(2, 1, false)), replica(21002, 21001), replica(21003, 21001)},
			structure: []Code{NotEnoughValidSemiSyncReplicasStructureWarning}},
		{name: "warnings come with a code", key: m, want: DeadMaster,
			instances: []*inst.Instance{master(21001, dead), replica(21002, 21001, failingToConnect, noLSU), replica(21003, 21001, stopped, noLSU)},
			structure: []Code{NoLoggingReplicasStructureWarning}},
	})
}

func TestCodeTable(t *testing.T) {
	t.Parallel()
	for _, c := range Codes() {
		info, ok := Info(c)
		require.True(t, ok, c)
		require.NotEmpty(t, info.Description, c)
		if info.Actionable {
			require.NotEmpty(t, info.Recovery, c)
		}
	}
	for _, r := range append(append([]rule{}, rules...), groupReplicationRules...) {
		_, ok := Info(r.code)
		require.True(t, ok, r.code)
	}
	require.Equal(t, len(table), len(Codes()), "every code in the table is listed once")
	require.Equal(t, RecoveryMaster, DeadMaster.Recovery())
	require.Equal(t, RecoveryIntermediateMaster, DeadIntermediateMasterAndSomeReplicas.Recovery())
	require.Equal(t, RecoveryCoMaster, DeadCoMaster.Recovery())
	require.False(t, UnreachableMaster.Actionable())
	require.True(t, table[AllMasterReplicasNotReplicating].AboutReplicas)
	require.False(t, table[DeadMaster].AboutReplicas)
}
