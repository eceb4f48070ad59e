package analysis

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// Fixtures: a small loopback topology, named like upstream's
// tests/integration/analysis-* cases, built from helper constructors.

var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

const cluster = "127.0.0.1:21001"

func key(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: "127.0.0.1", Port: port} }

type mod func(*inst.Instance)

// master is a reachable, writeable top master.
func master(port int, mods ...mod) *inst.Instance {
	i := &inst.Instance{
		Key: key(port), Version: "8.0.36", FlavorName: inst.FlavorMySQL, Binlog_format: "ROW",
		LogBinEnabled: true, LogReplicationUpdatesEnabled: true, GTIDMode: "ON", SupportsOracleGTID: true,
		SelfBinlogCoordinates:    inst.BinlogCoordinates{LogFile: "mysql-bin.000003", LogPos: 1000},
		ReplicationIOThreadState: inst.ThreadStateNoThread, ReplicationSQLThreadState: inst.ThreadStateNoThread,
		ClusterName: cluster, PromotionRule: inst.NeutralPromoteRule,
	}
	reachable(i)
	return apply(i, mods)
}

// replica is a reachable replica of masterPort, replicating by Oracle GTID.
func replica(port, masterPort int, mods ...mod) *inst.Instance {
	i := master(port)
	i.MasterKey = key(masterPort)
	i.ReadOnly = true
	i.UsingOracleGTID = true
	i.ReadBinlogCoordinates = inst.BinlogCoordinates{LogFile: "mysql-bin.000003", LogPos: 1000}
	i.ExecBinlogCoordinates = i.ReadBinlogCoordinates
	i.ReplicationIOThreadState, i.ReplicationSQLThreadState = inst.ThreadStateRunning, inst.ThreadStateRunning
	i.ReplicationLagSeconds = sql.NullInt64{Valid: true}
	i.HeartbeatPeriod = 1
	i.ReplicationDepth = 1
	return apply(i, mods)
}

func apply(i *inst.Instance, mods []mod) *inst.Instance {
	for _, m := range mods {
		m(i)
	}
	return i
}

func reachable(i *inst.Instance) {
	i.LastSeen, i.LastChecked, i.LastAttemptedCheck = now.Add(-time.Second), now.Add(-time.Second), now.Add(-time.Second)
}

// dead: the last probe failed a minute after the last success.
func dead(i *inst.Instance) {
	i.LastSeen, i.LastChecked, i.LastAttemptedCheck = now.Add(-time.Minute), now.Add(-time.Second), now.Add(-time.Second)
	i.LastProbeError = "dial tcp 127.0.0.1: connect: connection refused"
}

const connectErr = "error reconnecting to master 'repl@127.0.0.1:21001' - retry-time: 60 retries: 1 message: Can't connect to MySQL server"

// failingToConnect: IO thread connecting with a connect error, SQL running.
func failingToConnect(i *inst.Instance) {
	i.ReplicationIOThreadState = inst.ThreadStateOther
	i.LastIOError = connectErr
}

func ioStopped(i *inst.Instance)  { i.ReplicationIOThreadState = inst.ThreadStateStopped }
func sqlStopped(i *inst.Instance) { i.ReplicationSQLThreadState = inst.ThreadStateStopped }
func stopped(i *inst.Instance)    { ioStopped(i); sqlStopped(i) }
func noLSU(i *inst.Instance)      { i.LogReplicationUpdatesEnabled = false }
func coMaster(i *inst.Instance)   { i.IsCoMaster = true }
func readOnly(i *inst.Instance)   { i.ReadOnly = true }
func noGTID(i *inst.Instance)     { i.UsingOracleGTID = false }
func depth(n uint) mod            { return func(i *inst.Instance) { i.ReplicationDepth = n } }
func format(f string) mod         { return func(i *inst.Instance) { i.Binlog_format = f } }
func version(v string) mod        { return func(i *inst.Instance) { i.Version = v } }
func gtidMode(m string) mod       { return func(i *inst.Instance) { i.GTIDMode = m } }
func errant(g string) mod         { return func(i *inst.Instance) { i.GtidErrant = g } }
func delayed(i *inst.Instance)    { i.SQLDelay = 3600 }
func heartbeat(p float64) mod     { return func(i *inst.Instance) { i.HeartbeatPeriod = p } }

func lagging(s int64) mod {
	return func(i *inst.Instance) { i.ReplicationLagSeconds = sql.NullInt64{Int64: s, Valid: true} }
}

func semiSync(wait, clients uint, active bool) mod {
	return func(i *inst.Instance) {
		i.SemiSyncMasterEnabled, i.SemiSyncMasterStatus = true, active
		i.SemiSyncMasterWaitForReplicaCount, i.SemiSyncMasterClients = wait, clients
	}
}

func groupMember(role string) mod {
	return func(i *inst.Instance) {
		i.ReplicationGroupName, i.ReplicationGroupMemberState, i.ReplicationGroupMemberRole = "grp", "ONLINE", role
	}
}

func snapshot(instances ...*inst.Instance) Snapshot {
	return Snapshot{Instances: instances, Now: now}
}

func options() Options {
	return Options{
		Freshness:                       inst.Freshness{Now: now, PollInterval: 5 * time.Second, ReasonableCheck: time.Second},
		ReasonableReplicationLagSeconds: 10,
		ReduceReplicationAnalysisCount:  true,
	}
}

// entryFor finds the entry of an instance.
func entryFor(out []ReplicationAnalysis, k inst.InstanceKey) (ReplicationAnalysis, bool) {
	for _, a := range out {
		if a.AnalyzedInstanceKey == k {
			return a, true
		}
	}
	return ReplicationAnalysis{}, false
}

func mustEntry(t *testing.T, out []ReplicationAnalysis, k inst.InstanceKey) ReplicationAnalysis {
	t.Helper()
	a, ok := entryFor(out, k)
	require.True(t, ok, "no entry for %s in %v", k, codesOf(out))
	return a
}

func codesOf(out []ReplicationAnalysis) []string {
	var s []string
	for _, a := range out {
		s = append(s, a.AnalyzedInstanceKey.String()+"="+string(a.Analysis))
	}
	return s
}

func explanation(a ReplicationAnalysis) string { return strings.Join(a.Explanation, "\n") }
