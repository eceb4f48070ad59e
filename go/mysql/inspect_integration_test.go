package mysql

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/testutil/sandbox"
)

func TestProbeTopology(t *testing.T) {
	f := setup(t)
	m := f.probe(t, f.master)
	require.Contains(t, m.Version, "MariaDB")
	require.Equal(t, inst.FlavorMariaDB, m.FlavorName)
	require.Equal(t, uint(f.master.Port), m.ServerID)
	require.False(t, m.ReadOnly)
	require.True(t, m.LogBinEnabled)
	require.True(t, m.LogReplicationUpdatesEnabled)
	require.Equal(t, "ROW", m.Binlog_format)
	require.Equal(t, "FULL", m.BinlogRowImage)
	require.False(t, m.IsReplica())
	require.Equal(t, inst.InstanceKey{}, m.MasterKey)
	require.Equal(t, inst.ThreadStateNoThread, m.ReplicationIOThreadState)
	require.Equal(t, inst.ThreadStateNoThread, m.ReplicationSQLThreadState)
	require.False(t, m.SelfBinlogCoordinates.IsEmpty())
	require.Equal(t, []inst.InstanceKey{f.r1, f.r2}, m.Replicas)
	require.NotZero(t, m.Uptime)
	require.True(t, m.SemiSyncAvailable)
	require.False(t, m.SemiSyncMasterEnabled)
	require.NotZero(t, m.LastDiscoveryLatency)
	require.False(t, m.LastSeen.IsZero())
	require.Equal(t, m.LastSeen, m.LastChecked)

	for _, c := range []struct {
		key, master inst.InstanceKey
		replicas    []inst.InstanceKey
	}{{f.r1, f.master, []inst.InstanceKey{f.r3}}, {f.r2, f.master, []inst.InstanceKey{}}, {f.r3, f.r1, []inst.InstanceKey{}}} {
		r := f.probe(t, c.key)
		require.Equal(t, c.master, r.MasterKey, c.key.String())
		require.Equal(t, c.replicas, r.Replicas, c.key.String())
		require.True(t, r.ReadOnly)
		require.True(t, r.IsReplica())
		require.True(t, r.IsReplicating())
		require.True(t, r.UsingMariaDBGTID)
		require.Equal(t, "Slave_Pos", r.MariaDBUsingGtid)
		require.Equal(t, "repl", r.ReplicationUser)
		require.True(t, r.HasReplicationCredentials)
		require.Equal(t, 1.0, r.HeartbeatPeriod)
		require.True(t, r.SecondsBehindMaster.Valid)
		require.Equal(t, r.SecondsBehindMaster, r.ReplicationLagSeconds)
		require.False(t, r.ExecBinlogCoordinates.IsEmpty())
		require.Equal(t, inst.RelayLog, r.RelaylogCoordinates.Type)
		require.Empty(t, r.LastIOError)
		require.Empty(t, r.LastSQLError)
	}
}

func TestProbeGTIDPositionsConverge(t *testing.T) {
	f := setup(t)
	_, pos := f.write(t)
	f.waitGTID(t, pos, f.r1, f.r2, f.r3)
	m := f.probe(t, f.master)
	require.NotEmpty(t, m.MariaDBGtidBinlogPos)
	require.Equal(t, pos, m.MariaDBGtidBinlogPos)
	require.Equal(t, m.MariaDBGtidBinlogPos, m.ExecutedGtidSet)
	for _, k := range []inst.InstanceKey{f.r1, f.r2, f.r3} {
		r := f.probe(t, k)
		require.Equal(t, m.MariaDBGtidCurrentPos, r.MariaDBGtidCurrentPos, k.String())
		require.Equal(t, m.MariaDBGtidCurrentPos, r.MariaDBGtidSlavePos, k.String())
		require.NotEmpty(t, r.MariaDBGtidIOPos, k.String())
		require.Equal(t, r.ReadBinlogCoordinates, r.ExecBinlogCoordinates, k.String())
	}
}

func TestProbeCost(t *testing.T) {
	f := setup(t)
	first, err := f.in.ProbeDetails(testContext(t), f.r1)
	require.NoError(t, err)
	require.Equal(t, 2, first.RoundTrips, "first contact reads the version, then one batch")
	require.Equal(t, 6, first.Queries)
	require.Equal(t, f.r1.Port, first.Identity.ReportPort)
	require.Equal(t, "127.0.0.1", first.Identity.ReportHost)
	require.NotEmpty(t, first.Identity.Hostname)

	const n = 50
	start := time.Now()
	for k := 0; k < n; k++ {
		res, err := f.in.ProbeDetails(testContext(t), f.r1)
		require.NoError(t, err)
		require.Equal(t, 1, res.RoundTrips)
		require.Equal(t, 5, res.Queries)
		require.Empty(t, res.Warnings)
	}
	t.Logf("probe of a replica: 5 statements, 1 round trip, %v per probe", time.Since(start)/n)
	st := f.in.Stats()
	require.Equal(t, uint64(n+1), st.Probes)
	require.Equal(t, uint64(n*5+6), st.Queries)
	require.Equal(t, uint64(n+2), st.RoundTrips)
}

// A server that does not take several statements per round trip (here: a
// client without multiStatements) gets the same steps one by one.
func TestProbeStepsWithoutBatching(t *testing.T) {
	f := setup(t)
	srv := &server{term: TerminologyFor("10.11.6-MariaDB-log", "")}
	p := newProbe(f.r1, srv.term)
	s := &session{q: f.db(t, f.r1)} // the sandbox's own DSN has no multiStatements
	steps := p.coreSteps()
	require.NoError(t, runSteps(testContext(t), s, srv, steps, p.warn))
	require.Equal(t, batchNo, srv.batch.Load())
	require.Equal(t, 1+len(steps), s.roundTrips, "the refused batch, then one by one")
	require.NotNil(t, p.replica)
	require.Equal(t, f.master, p.replica.MasterKey)
	require.Equal(t, []inst.InstanceKey{f.r3}, p.inst.Replicas)
	require.Contains(t, p.inst.Version, "MariaDB")
}

func TestProbeStoppedSQLThread(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.StopSQLThread(ctx, f.r2))
	r := f.probe(t, f.r2)
	require.Equal(t, inst.ThreadStateStopped, r.ReplicationSQLThreadState)
	require.Equal(t, inst.ThreadStateRunning, r.ReplicationIOThreadState)
	require.False(t, r.IsReplicating())
	require.False(t, r.SecondsBehindMaster.Valid, "Seconds_Behind_Master is NULL with the SQL thread stopped")

	require.NoError(t, f.ap.StopReplication(ctx, f.r2))
	r = f.probe(t, f.r2)
	require.True(t, r.IsReplicationStopped())
	require.NoError(t, f.ap.StartReplication(ctx, f.r2))
	eventually(t, f.replicating(t, f.r2), "r2 replicates again")
}

func TestProbeKilledServer(t *testing.T) {
	f := setup(t)
	f.probe(t, f.r2) // a pooled connection exists
	require.NoError(t, f.sb.Kill(f.r2.Port))
	start := time.Now()
	_, err := f.in.Probe(testContext(t), f.r2)
	require.Error(t, err)
	require.Contains(t, err.Error(), f.r2.String())
	require.NotContains(t, err.Error(), f.sb.Password)
	require.Less(t, time.Since(start), f.cfg.ConnectTimeout()+time.Second)
	require.Equal(t, uint64(1), f.in.Stats().FailedProbes)
}

func TestProbeHungServer(t *testing.T) {
	f := setup(t)
	f.probe(t, f.r2)
	require.NoError(t, f.sb.Pause(f.r2.Port))
	t.Cleanup(func() { _ = f.sb.Resume(f.r2.Port) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := f.in.Probe(ctx, f.r2)
	require.Error(t, err)
	require.Contains(t, err.Error(), f.r2.String())
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestProbeDetectionQueries(t *testing.T) {
	f := setup(t, func(cfg *config.Config) {
		cfg.DetectDataCenterQuery = "SELECT 'dc1'"
		cfg.DetectRegionQuery = "SELECT region FROM no_such_db.no_such_table"
		cfg.PhysicalEnvironmentPattern = `^(127)\.`
		cfg.DetectPromotionRuleQuery = "SELECT 'prefer_not';"
		cfg.DetectInstanceAliasQuery = "SELECT CONCAT('alias-', @@port)"
		cfg.DetectClusterAliasQuery = "SELECT 'main'"
		cfg.DetectClusterDomainQuery = "SELECT 'main.example.com'"
		cfg.ReplicationLagQuery = "SELECT 3"
	})
	res, err := f.in.ProbeDetails(testContext(t), f.r1)
	require.NoError(t, err)
	i := res.Instance
	require.Equal(t, "dc1", i.DataCenter)
	require.Empty(t, i.Region)
	require.Equal(t, "127", i.PhysicalEnvironment)
	require.Equal(t, inst.PreferNotPromoteRule, i.PromotionRule)
	require.Equal(t, fmt.Sprintf("alias-%d", f.r1.Port), i.InstanceAlias)
	require.Equal(t, "main", i.SuggestedClusterAlias)
	require.Equal(t, "main.example.com", i.ClusterDomain)
	require.Equal(t, int64(3), i.ReplicationLagSeconds.Int64)
	require.True(t, i.ReplicationLagSeconds.Valid)
	require.Len(t, res.Warnings, 1)
	require.Contains(t, res.Warnings[0].Error(), "DetectRegionQuery")
	require.Equal(t, 3, res.RoundTrips, "version; batch up to the failing query; the rest")
}

func TestReplicationStatusAndCredentials(t *testing.T) {
	f := setup(t, func(cfg *config.Config) { cfg.ReplicationCredentialsQuery = "SELECT 'repl', 'repl_pass'" })
	ctx := testContext(t)
	st, err := f.in.ReplicationStatus(ctx, f.r3)
	require.NoError(t, err)
	require.True(t, st.IsReplica)
	require.Equal(t, f.r1, st.MasterKey)
	require.Equal(t, "Slave_Pos", st.UsingGtid)
	require.Equal(t, uint(f.r1.Port), st.MasterServerID)

	st, err = f.in.ReplicationStatus(ctx, f.master)
	require.NoError(t, err)
	require.False(t, st.IsReplica)
	require.Equal(t, inst.ThreadStateNoThread, st.IOThread)

	user, pass, err := f.in.ReadReplicationCredentials(ctx, f.r1)
	require.NoError(t, err)
	require.Equal(t, "repl", user)
	require.Equal(t, "repl_pass", pass)
	require.True(t, f.probe(t, f.r1).ReplicationCredentialsAvailable)
}

func TestBinaryLogs(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	before, err := f.in.BinaryLogs(ctx, f.r2)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	require.NoError(t, f.ap.FlushBinaryLogs(ctx, f.r2))
	after, err := f.in.BinaryLogs(ctx, f.r2)
	require.NoError(t, err)
	require.Len(t, after, len(before)+1)
	last := after[len(after)-1]
	// MariaDB keeps a binary log until its binlog checkpoint is written.
	eventually(t, func() bool {
		require.NoError(t, f.ap.PurgeBinaryLogsTo(ctx, f.r2, last))
		purged, err := f.in.BinaryLogs(ctx, f.r2)
		require.NoError(t, err)
		return len(purged) == 1 && purged[0] == last
	}, "older binary logs purged")
	require.Equal(t, last, f.probe(t, f.r2).SelfBinlogCoordinates.LogFile)
	require.Error(t, f.ap.PurgeBinaryLogsTo(ctx, f.r2, "no-such-log.000001"))

	events, err := f.in.BinlogEvents(ctx, f.r2, last, 4, 3)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	require.Equal(t, "Format_desc", events[0].Type, "a binary log opens with its format description")
	require.EqualValues(t, 4, events[0].Pos)
	for k := 1; k < len(events); k++ {
		require.Equal(t, events[k-1].End, events[k].Pos, "events follow each other")
	}
	_, err = f.in.BinlogEvents(ctx, f.r2, "no-such-log.000001", 4, 3)
	require.Error(t, err)
}

// BenchmarkProbe measures a replica's probe: queries and round trips per
// probe are reported as metrics.
func BenchmarkProbe(b *testing.B) {
	f := setupBench(b)
	ctx := context.Background()
	_, err := f.in.Probe(ctx, f.r1)
	require.NoError(b, err)
	before := f.in.Stats()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.in.Probe(ctx, f.r1); err != nil {
			b.Fatal(err)
		}
	}
	after := f.in.Stats()
	probes := float64(after.Probes - before.Probes)
	b.ReportMetric(float64(after.Queries-before.Queries)/probes, "queries/probe")
	b.ReportMetric(float64(after.RoundTrips-before.RoundTrips)/probes, "roundtrips/probe")
}

func setupBench(b *testing.B) *fixture {
	sb := sandbox.Current()
	require.NotNil(b, sb, "no sandbox")
	cfg := config.Defaults()
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	c := NewConnector(cfg)
	b.Cleanup(func() { _ = c.Close() })
	in := NewInspector(c, cfg)
	return &fixture{sb: sb, cfg: cfg, c: c, in: in, ap: NewApplier(c, cfg, in),
		r1: inst.InstanceKey{Hostname: sb.Host, Port: sb.Replica1Port}}
}
