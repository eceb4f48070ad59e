package topology

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

func replicaAt(port int, file string, pos int64) *inst.Instance {
	return &inst.Instance{
		Key: inst.InstanceKey{Hostname: "h", Port: port}, MasterKey: inst.InstanceKey{Hostname: "h", Port: 1},
		IsLastCheckValid: true, IsRecentlyChecked: true, LogBinEnabled: true, LogReplicationUpdatesEnabled: true,
		ReplicationIOThreadState: inst.ThreadStateRunning, ReplicationSQLThreadState: inst.ThreadStateRunning,
		ReplicationLagSeconds: sql.NullInt64{Int64: 0, Valid: true}, PromotionRule: inst.NeutralPromoteRule,
		ExecBinlogCoordinates: inst.BinlogCoordinates{LogFile: file, LogPos: pos}, ReadBinlogCoordinates: inst.BinlogCoordinates{LogFile: file, LogPos: pos},
	}
}

func TestCanMoveBelow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tweak  func(i *inst.Instance)
		reason string // "" = allowed
	}{
		{"healthy replica", func(*inst.Instance) {}, ""},
		{"lagging replica", func(i *inst.Instance) { i.ReplicationLagSeconds.Int64 = 60 }, "lags 60 seconds"},
		{"lag unknown (master gone) is not refused", func(i *inst.Instance) { i.ReplicationLagSeconds.Valid = false }, ""},
		{"stale check", func(i *inst.Instance) { i.IsRecentlyChecked = false }, "not checked recently"},
		{"invalid check", func(i *inst.Instance) { i.IsLastCheckValid, i.LastProbeError = false, "refused" }, "last check is not valid"},
		{"a master may lag nothing", func(i *inst.Instance) { i.MasterKey = inst.InstanceKey{}; i.ReplicationLagSeconds.Int64 = 99 }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			i := replicaAt(2, "b.000001", 100)
			tc.tweak(i)
			err := canMoveBelow(i, 20)
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, inst.ErrRefused)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}

func TestRegroupCandidate(t *testing.T) {
	t.Parallel()
	behind, ahead, equal := replicaAt(2, "b.000001", 100), replicaAt(3, "b.000002", 4), replicaAt(4, "b.000002", 4)
	c, err := regroupCandidate([]*inst.Instance{behind, equal, ahead}, false)
	require.NoError(t, err)
	require.Equal(t, ahead.Key, c.Key, "most advanced, lower key on a tie")

	equal.PromotionRule = inst.PreferPromoteRule
	c, err = regroupCandidate([]*inst.Instance{behind, ahead, equal}, false)
	require.NoError(t, err)
	require.Equal(t, equal.Key, c.Key, "prefer wins a tie")

	ahead.PromotionRule, equal.LogReplicationUpdatesEnabled = inst.MustNotPromoteRule, false
	c, err = regroupCandidate([]*inst.Instance{behind, ahead, equal}, false)
	require.NoError(t, err)
	require.Equal(t, behind.Key, c.Key, "must_not and non-relaying replicas are skipped")

	behind.GtidErrant = "0-9-3"
	c, err = regroupCandidate([]*inst.Instance{behind, ahead, equal, replicaAt(5, "b.000001", 50)}, false)
	require.NoError(t, err)
	require.Equal(t, 5, c.Key.Port, "a replica with errant GTIDs does not take its siblings")
	_, err = regroupCandidate([]*inst.Instance{behind}, false)
	require.ErrorContains(t, err, "errant GTID 0-9-3")
	behind.GtidErrant = ""

	_, err = regroupCandidate([]*inst.Instance{behind}, true)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "not using GTID")
	_, err = regroupCandidate(nil, false)
	require.ErrorIs(t, err, inst.ErrRefused)
}

func TestRestartStatements(t *testing.T) {
	t.Parallel()
	term := mysql.Terminology{StopReplica: "STOP SLAVE", StartReplica: "START SLAVE",
		StartIOThread: "START SLAVE IO_THREAD", StartSQLThread: "START SLAVE SQL_THREAD"}
	q := "CHANGE MASTER TO MASTER_DELAY=1"
	require.Equal(t, []string{"STOP SLAVE", q, "START SLAVE"}, restartStatements(term, true, true, q))
	require.Equal(t, []string{"STOP SLAVE", q, "START SLAVE IO_THREAD"}, restartStatements(term, true, false, q))
	require.Equal(t, []string{"STOP SLAVE", q, "START SLAVE SQL_THREAD"}, restartStatements(term, false, true, q))
	require.Equal(t, []string{"STOP SLAVE", q}, restartStatements(term, false, false, q))
}

func TestOracleGTIDs(t *testing.T) {
	t.Parallel()
	const u = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	got, err := oracleGTIDs(u + ":3-5:9")
	require.NoError(t, err)
	require.Equal(t, []string{u + ":3", u + ":4", u + ":5", u + ":9"}, got)
	_, err = oracleGTIDs(u + ":1-5000")
	require.ErrorIs(t, err, inst.ErrRefused)
	_, err = oracleGTIDs("")
	require.ErrorIs(t, err, inst.ErrRefused)
}

// TestCanReplicateFrom: every reason a server cannot be a replica's master.
func TestCanReplicateFrom(t *testing.T) {
	t.Parallel()
	server := func(port int, version string) *inst.Instance {
		i := replicaAt(port, "b.000001", 100)
		i.Version, i.ServerID, i.Binlog_format = version, uint(port), "ROW"
		return i
	}
	cases := []struct {
		name   string
		tweak  func(replica, master *inst.Instance)
		reason string // "" = allowed
	}{
		{"same versions", func(_, _ *inst.Instance) {}, ""},
		{"newer replica", func(r, _ *inst.Instance) { r.Version = "11.4.2-MariaDB" }, ""},
		{"older replica", func(r, _ *inst.Instance) { r.Version = "10.6.18-MariaDB" }, "older than"},
		{"itself", func(r, m *inst.Instance) { m.Key = r.Key }, "cannot replicate from itself"},
		{"master without binary logs", func(_, m *inst.Instance) { m.LogBinEnabled = false }, "does not have binary logs enabled"},
		{"intermediate without log_slave_updates", func(_, m *inst.Instance) { m.LogReplicationUpdatesEnabled = false }, "without log_slave_updates"},
		{"top master without log_slave_updates", func(_, m *inst.Instance) {
			m.MasterKey, m.LogReplicationUpdatesEnabled = inst.InstanceKey{}, false
		}, ""},
		{"same server_id", func(r, m *inst.Instance) { m.ServerID = r.ServerID }, "same server_id"},
		{"same server_uuid", func(r, m *inst.Instance) { r.ServerUUID, m.ServerUUID = "u", "u" }, "same server_uuid"},
		{"statement replica below a row master", func(r, _ *inst.Instance) { r.Binlog_format = "STATEMENT" }, "cannot follow"},
		{"row replica below a statement master", func(_, m *inst.Instance) { m.Binlog_format = "STATEMENT" }, ""},
		{"master unreachable", func(_, m *inst.Instance) { m.IsLastCheckValid, m.LastProbeError = false, "refused" }, "last check is not valid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			replica, master := server(2, "10.11.6-MariaDB"), server(3, "10.11.6-MariaDB")
			tc.tweak(replica, master)
			err := CanReplicateFrom(replica, master)
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, inst.ErrRefused)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}
