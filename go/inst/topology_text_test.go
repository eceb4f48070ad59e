package inst

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// topo builds instances for rendering tests: a healthy MariaDB master
// with binlogs and log_slave_updates, and replicas of it.
type topo struct{}

func (topo) master(host string) *Instance {
	return &Instance{
		Key: InstanceKey{host, 3306}, Version: "10.11.6-MariaDB-log", FlavorName: FlavorMariaDB,
		LogBinEnabled: true, LogReplicationUpdatesEnabled: true, Binlog_format: "ROW",
		ReplicationIOThreadState: ThreadStateNoThread, ReplicationSQLThreadState: ThreadStateNoThread,
		IsLastCheckValid: true, IsRecentlyChecked: true, ReplicationLagSeconds: sql.NullInt64{Valid: true},
	}
}

func (t topo) replica(host, master string, lag int64) *Instance {
	i := t.master(host)
	i.ReadOnly = true
	i.MasterKey = InstanceKey{master, 3306}
	i.UsingMariaDBGTID = true
	i.ReadBinlogCoordinates = BinlogCoordinates{LogFile: "bin.000001", LogPos: 4}
	i.ReplicationIOThreadState, i.ReplicationSQLThreadState = ThreadStateRunning, ThreadStateRunning
	i.ReplicationLagSeconds = sql.NullInt64{Int64: lag, Valid: true}
	return i
}

func TestStatusTokens(t *testing.T) {
	t.Parallel()
	var b topo
	for _, tc := range []struct {
		name   string
		build  func() *Instance
		tokens []string
		desc   string
	}{
		{"master", func() *Instance { return b.master("db1") },
			[]string{"0s", "ok", "10.11.6-MariaDB-log", "rw", "ROW", ">>,GTID"}, "[0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]"},
		{"replica with lag", func() *Instance { return b.replica("db2", "db1", 3) },
			[]string{"3s", "ok", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, "[3s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]"},
		{"replica, lag unknown", func() *Instance {
			i := b.replica("db2", "db1", 0)
			i.ReplicationLagSeconds = sql.NullInt64{}
			return i
		}, []string{"null", "ok", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, ""},
		{"replica not replicating", func() *Instance {
			i := b.replica("db2", "db1", 0)
			i.ReplicationSQLThreadState = ThreadStateStopped
			return i
		}, []string{"null", "nonreplicating", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, ""},
		{"last check invalid", func() *Instance {
			i := b.replica("db2", "db1", 0)
			i.IsLastCheckValid = false
			return i
		}, []string{"unknown", "invalid", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, ""},
		{"not recently checked", func() *Instance {
			i := b.replica("db2", "db1", 0)
			i.IsRecentlyChecked = false
			return i
		}, []string{"0s", "unchecked", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, ""},
		{"lagging past the reasonable lag", func() *Instance {
			i := b.replica("db2", "db1", 60)
			i.Problems = []string{"replication_lag"}
			return i
		}, []string{"60s", "lag", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, ""},
		{"detached master host", func() *Instance {
			i := b.replica("db2", "db1", 0)
			i.MasterKey = i.MasterKey.Detached()
			return i
		}, []string{"detached", "ok", "10.11.6-MariaDB-log", "ro", "ROW", ">>,GTID"}, ""},
		{"no binlog: no extras, token omitted in brackets", func() *Instance {
			i := b.replica("db2", "db1", 0)
			i.LogBinEnabled, i.UsingMariaDBGTID = false, false
			return i
		}, []string{"0s", "ok", "10.11.6-MariaDB-log", "ro", "nobinlog", ""}, "[0s,ok,10.11.6-MariaDB-log,ro,nobinlog]"},
		{"errant GTID, semi-sync, downtimed, pseudo-GTID", func() *Instance {
			i := b.replica("db2", "db1", 1)
			i.LogReplicationUpdatesEnabled = false
			i.GtidErrant = "0-2-5"
			i.UsingPseudoGTID, i.SemiSyncReplicaStatus, i.IsDowntimed = true, true, true
			return i
		}, []string{"1s", "ok", "10.11.6-MariaDB-log", "ro", "ROW", "GTID:errant,P-GTID,semi:replica,downtimed"}, ""},
		{"semi-sync master", func() *Instance {
			i := b.master("db1")
			i.SemiSyncMasterStatus = true
			return i
		}, []string{"0s", "ok", "10.11.6-MariaDB-log", "rw", "ROW", ">>,GTID,semi:master"}, ""},
		{"Oracle GTID supported without auto-position", func() *Instance {
			i := b.master("db1")
			i.FlavorName, i.Version, i.SupportsOracleGTID, i.LogReplicationUpdatesEnabled = FlavorMySQL, "8.0.36", true, false
			return i
		}, []string{"0s", "ok", "8.0.36", "rw", "ROW", "GTID"}, "[0s,ok,8.0.36,rw,ROW,GTID]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			i := tc.build()
			require.Equal(t, tc.tokens, i.StatusTokens())
			if tc.desc != "" {
				require.Equal(t, tc.desc, i.Description())
			}
		})
	}
}

func TestTopologyText(t *testing.T) {
	t.Parallel()
	var b topo
	for _, tc := range []struct {
		name      string
		instances func() []*Instance
		tabulated bool
		want      []string
	}{
		{"indentation and alignment", func() []*Instance {
			return []*Instance{b.replica("db4", "db2", 3), b.master("db1"), b.replica("db3", "db1", 0), b.replica("db2", "db1", 0)}
		}, false, []string{
			"db1:3306     [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]",
			"+ db2:3306   [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
			"  + db4:3306 [3s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
			"+ db3:3306   [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
		}},
		{"a replica not replicating is marked -", func() []*Instance {
			r := b.replica("db2", "db1", 0)
			r.ReplicationIOThreadState = ThreadStateStopped
			return []*Instance{b.master("db1"), r}
		}, false, []string{
			"db1:3306   [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]",
			"- db2:3306 [null,nonreplicating,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
		}},
		{"a replica with an invalid check is marked -", func() []*Instance {
			r := b.replica("db2", "db1", 0)
			r.IsLastCheckValid = false
			return []*Instance{b.master("db1"), r}
		}, false, []string{
			"db1:3306   [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]",
			"- db2:3306 [unknown,invalid,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
		}},
		{"instance alias after the key", func() []*Instance {
			m := b.master("db1")
			m.InstanceAlias = "primary"
			return []*Instance{m, b.replica("db2", "db1", 0)}
		}, false, []string{
			"db1:3306 (primary) [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]",
			"+ db2:3306         [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
		}},
		{"co-masters each at depth 1 with their own replicas", func() []*Instance {
			a, c := b.replica("dba", "dbb", 0), b.replica("dbb", "dba", 0)
			a.IsCoMaster, c.IsCoMaster = true, true
			a.ReadOnly = false
			return []*Instance{c, b.replica("dbc", "dbb", 1), a, b.replica("dbd", "dba", 2)}
		}, false, []string{
			"+ dba:3306   [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]",
			"  + dbd:3306 [2s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
			"+ dbb:3306   [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
			"  + dbc:3306 [1s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
		}},
		{"a replica whose master is unknown starts its own tree", func() []*Instance {
			return []*Instance{b.master("db1"), b.replica("db9", "elsewhere", 0)}
		}, false, []string{
			"db1:3306 [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID]",
			"db9:3306 [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]",
		}},
		{"tabulated: extras in one column, aligned", func() []*Instance {
			noLSU := b.replica("db4", "db2", 12)
			noLSU.LogReplicationUpdatesEnabled = false
			return []*Instance{b.master("db1"), b.replica("db2", "db1", 0), noLSU}
		}, true, []string{
			"db1:3306     |0s |ok|10.11.6-MariaDB-log|rw|ROW|>>,GTID",
			"+ db2:3306   |0s |ok|10.11.6-MariaDB-log|ro|ROW|>>,GTID",
			"  + db4:3306 |12s|ok|10.11.6-MariaDB-log|ro|ROW|GTID",
		}},
		{"tabulated: an empty extras column stays a column", func() []*Instance {
			r := b.replica("db2", "db1", 0)
			r.LogBinEnabled, r.UsingMariaDBGTID = false, false
			return []*Instance{b.master("db1"), r}
		}, true, []string{
			"db1:3306   |0s|ok|10.11.6-MariaDB-log|rw|ROW     |>>,GTID",
			"+ db2:3306 |0s|ok|10.11.6-MariaDB-log|ro|nobinlog|",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := TopologyText(tc.instances(), tc.tabulated)
			require.Equal(t, strings.Join(tc.want, "\n")+"\n", got)
		})
	}
}

// TestTopologyTabulatedColumnsLineUp: every '|' of every line is at the
// same offsets, whatever the extras of each instance.
func TestTopologyTabulatedColumnsLineUp(t *testing.T) {
	t.Parallel()
	var b topo
	plain := b.replica("db3", "db1", 0)
	plain.LogReplicationUpdatesEnabled = false
	semi := b.replica("db2", "db1", 0)
	semi.SemiSyncReplicaStatus, semi.IsDowntimed = true, true
	text := TopologyText([]*Instance{b.master("db1"), semi, plain}, true)
	var offsets []int
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		var got []int
		for i, c := range line {
			if c == '|' {
				got = append(got, i)
			}
		}
		require.Len(t, got, 6, "seven columns: %q", line)
		if n == 0 {
			offsets = got
		}
		require.Equal(t, offsets, got, "line %q", line)
	}
}

func TestTopologyTagsText(t *testing.T) {
	t.Parallel()
	var b topo
	m, r := b.master("db1"), b.replica("db2", "db1", 0)
	got := TopologyTagsText([]*Instance{m, r}, map[InstanceKey][]string{r.Key: {"role=backup", "dc1"}})
	require.Equal(t, strings.Join([]string{
		"db1:3306   [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>,GTID] []",
		"+ db2:3306 [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID] [role=backup,dc1]",
	}, "\n")+"\n", got)
}
