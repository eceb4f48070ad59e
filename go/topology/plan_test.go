package topology

import (
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// planCluster builds m ─┬─ r1 ── r3, └─ r2 as a probed snapshot; gtid
// chooses MariaDB GTID replication, else MySQL binlog positions.
func planCluster(gtid bool) (m, r1, r2, r3 *inst.Instance) {
	mk := func(port int, master *inst.Instance) *inst.Instance {
		i := &inst.Instance{Key: inst.InstanceKey{Hostname: "db", Port: port}, ServerID: uint(port), Version: "10.11.6-MariaDB",
			IsLastCheckValid: true, LogBinEnabled: true, LogReplicationUpdatesEnabled: true, Binlog_format: "ROW",
			ReplicationIOThreadState: inst.ThreadStateNoThread, ReplicationSQLThreadState: inst.ThreadStateNoThread}
		if gtid {
			i.FlavorName, i.MariaDBGtidCurrentPos = inst.FlavorMariaDB, "0-1-100"
		} else {
			i.FlavorName, i.Version = "MySQL", "8.0.36"
		}
		if master != nil {
			i.MasterKey = master.Key
			i.ReadBinlogCoordinates = inst.BinlogCoordinates{LogFile: "bin.000001", LogPos: 4}
			i.UsingMariaDBGTID = gtid
			i.ReplicationIOThreadState, i.ReplicationSQLThreadState = inst.ThreadStateRunning, inst.ThreadStateRunning
		}
		return i
	}
	m = mk(1, nil)
	r1 = mk(2, m)
	r2 = mk(3, m)
	r3 = mk(4, r1)
	return m, r1, r2, r3
}

func TestPlanMove(t *testing.T) {
	t.Parallel()
	type want struct {
		allowed bool
		op      string
		method  string
		reason  string
	}
	cases := []struct {
		name     string
		gtid     bool
		tweak    func(m, r1, r2, r3 *inst.Instance)
		from, to int // ports: 1 m, 2 r1, 3 r2, 4 r3
		replicas bool
		want     want
	}{
		{name: "chained replica to grandparent", gtid: true, from: 4, to: 1, want: want{true, "move-up", MethodGTID, ""}},
		{name: "chained replica to cousin", gtid: true, from: 4, to: 3, want: want{true, "relocate", MethodGTID, ""}},
		{name: "replica to sibling", gtid: true, from: 3, to: 2, want: want{true, "move-below", MethodGTID, ""}},
		{name: "below own descendant", gtid: true, from: 2, to: 4, want: want{reason: "cycle"}},
		{name: "onto intermediate master", gtid: true, from: 4, to: 2, want: want{true, "take-master", MethodGTID, ""}},
		{name: "onto top master", gtid: true, from: 2, to: 1, want: want{reason: "graceful master takeover"}},
		{name: "master onto its replica", gtid: true, from: 1, to: 2, want: want{true, "make-co-master", MethodGTID, ""}},
		{name: "master onto grandchild", gtid: true, from: 1, to: 4, want: want{reason: "master of the cluster"}},
		{name: "itself", gtid: true, from: 2, to: 2, want: want{reason: "itself"}},
		{name: "errant GTID", gtid: true, from: 4, to: 3,
			tweak: func(_, _, _, r3 *inst.Instance) { r3.MariaDBGtidCurrentPos = "0-1-100,1-9-3" }, want: want{reason: "errant GTID"}},
		{name: "target without log_slave_updates", gtid: true, from: 3, to: 2,
			tweak: func(_, r1, _, _ *inst.Instance) { r1.LogReplicationUpdatesEnabled = false }, want: want{reason: "log_slave_updates"}},
		{name: "in maintenance", gtid: true, from: 4, to: 1,
			tweak: func(_, _, _, r3 *inst.Instance) { r3.IsMaintenance = true }, want: want{reason: "maintenance"}},
		{name: "unreachable target", gtid: true, from: 4, to: 3,
			tweak: func(_, _, r2, _ *inst.Instance) { r2.IsLastCheckValid = false }, want: want{reason: "last check is not valid"}},
		{name: "binlog: to grandparent", from: 4, to: 1, want: want{true, "move-up", MethodBinlog, ""}},
		{name: "binlog: to sibling", from: 3, to: 2, want: want{true, "move-below", MethodBinlog, ""}},
		{name: "binlog: to cousin", from: 4, to: 3, want: want{reason: "without GTID"}},
		{name: "binlog: sibling not replicating", from: 3, to: 2,
			tweak: func(_, r1, _, _ *inst.Instance) { r1.ReplicationSQLThreadState = inst.ThreadStateStopped }, want: want{reason: "not replicating"}},
		{name: "replicas up to master", gtid: true, from: 2, to: 1, replicas: true, want: want{true, "move-up-replicas", MethodGTID, ""}},
		{name: "replicas to sibling", gtid: true, from: 2, to: 3, replicas: true, want: want{true, "relocate-replicas", MethodGTID, ""}},
		{name: "replicas of a leaf", gtid: true, from: 3, to: 1, replicas: true, want: want{reason: "no replicas"}},
		{name: "replicas below a descendant", gtid: true, from: 1, to: 4, replicas: true, want: want{reason: "cannot move below it"}},
		{name: "binlog: replicas up", from: 2, to: 1, replicas: true, want: want{true, "move-up-replicas", MethodBinlog, ""}},
		{name: "binlog: replicas elsewhere", from: 2, to: 3, replicas: true, want: want{reason: "without GTID"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m, r1, r2, r3 := planCluster(c.gtid)
			if c.tweak != nil {
				c.tweak(m, r1, r2, r3)
			}
			list := []*inst.Instance{m, r1, r2, r3}
			from, to := inst.InstanceKey{Hostname: "db", Port: c.from}, inst.InstanceKey{Hostname: "db", Port: c.to}
			p := PlanMove(list, from, to)
			if c.replicas {
				p = PlanMoveReplicas(list, from, to)
			}
			require.Equal(t, c.want.allowed, p.Allowed, "%+v", p)
			if c.want.allowed {
				require.Equal(t, c.want.op, p.Operation)
				require.Equal(t, c.want.method, p.Method)
				require.Contains(t, p.API, "/api/"+c.want.op+"/")
				require.NotEmpty(t, p.Description)
				require.Empty(t, p.Reason)
				return
			}
			require.Contains(t, p.Reason, c.want.reason)
			require.Empty(t, p.API)
		})
	}
}

func TestPlanMovesCoversEveryOtherInstance(t *testing.T) {
	t.Parallel()
	m, r1, r2, r3 := planCluster(true)
	plans := PlanMoves([]*inst.Instance{m, r1, r2, r3}, r3.Key, false)
	require.Len(t, plans, 3)
	byTarget := map[int]MovePlan{}
	for _, p := range plans {
		byTarget[p.Target.Port] = p
	}
	require.Equal(t, "move-up", byTarget[1].Operation)
	require.Equal(t, "take-master", byTarget[2].Operation)
	require.Equal(t, "relocate", byTarget[3].Operation)
	require.Equal(t, "/api/relocate/db/4/db/3", byTarget[3].API)
}
