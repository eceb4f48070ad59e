package topology

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// sqlValue runs a one-value query on the server on port (as root).
func (f *fixture) sqlValue(t *testing.T, port int, q string) string {
	t.Helper()
	out, err := f.sb.SQL(port, q)
	require.NoError(t, err, out)
	return strings.TrimSpace(out)
}

func (f *fixture) requireAudit(t *testing.T, key inst.InstanceKey, kind, contains string) {
	t.Helper()
	rows, err := f.store.ReadAudit(context.Background(), 0, &key)
	require.NoError(t, err)
	for _, a := range rows {
		if a.AuditType == kind && strings.Contains(a.Message, contains) {
			return
		}
	}
	require.Failf(t, "audit row missing", "%s on %s containing %q in %+v", kind, key, contains, rows)
}

func TestRegroupReplicasGTID(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	g, err := f.op.RegroupReplicas(ctx, f.master)
	require.NoError(t, err)
	require.Equal(t, f.r1, g.Promoted.Key, "equally advanced: the lower key")
	require.Len(t, g.Moved, 1)
	require.Empty(t, g.Lost)
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r2))
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r3), "replica3 stays below replica1")
	f.requireFlows(t, f.r2)
	f.requireAudit(t, f.master, "regroup-replicas", "lost: 0, moved: 1")
	f.requireAudit(t, f.r2, "move-below-gtid", "via GTID")
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestRegroupReplicasBinlogPositions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r1, f.r2, f.r3)
	g, err := f.op.RegroupReplicas(ctx, f.master)
	require.NoError(t, err)
	require.Equal(t, f.r1, g.Promoted.Key)
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r2))
	i, err := f.op.reader.Instance(ctx, f.r2)
	require.NoError(t, err)
	require.False(t, i.UsingGTID())
	f.requireFlows(t, f.r2)
	_, err = f.op.RegroupReplicasGTID(ctx, f.r1)
	require.ErrorIs(t, err, inst.ErrRefused, "no replica of replica1 uses GTID")
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestTakeMasterBinlogPositions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r1, f.r2, f.r3)
	i, err := f.op.TakeMaster(ctx, f.r3)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	require.Equal(t, f.r3.Port, f.masterPort(t, f.r1))
	f.requireFlows(t, f.r1)
	f.requireFlows(t, f.r3)
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestMakeCoMaster(t *testing.T) {
	for _, mode := range []string{"gtid", "binlog"} {
		t.Run(mode, func(t *testing.T) {
			f := setup(t)
			ctx := context.Background()
			_, err := f.op.MakeCoMaster(ctx, f.r2)
			require.ErrorIs(t, err, inst.ErrRefused, "the master has no replication user and none is configured")
			require.Contains(t, err.Error(), "ReplicationCredentialsQuery")
			f.op.cfg.ReplicationCredentialsQuery = "SELECT 'repl', 'repl_pass'"
			if mode == "binlog" {
				f.disableGTID(t, f.r2)
			}
			_, err = f.op.MakeCoMaster(ctx, f.r3)
			require.ErrorIs(t, err, inst.ErrRefused, "replica3's master is not a top master")
			_, err = f.op.MakeCoMaster(ctx, f.r2)
			require.NoError(t, err)
			require.Equal(t, f.r2.Port, f.masterPort(t, f.master))
			require.NoError(t, f.op.waitReplicating(ctx, f.master))
			f.requireFlows(t, f.r2)
			f.requireFlows(t, f.r3)
			require.NoError(t, f.op.waitReplicating(ctx, f.master), "its own writes coming back do not break the master")
		})
	}
}

func TestPurgeBinaryLogs(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := f.op.StopReplica(ctx, f.r2)
	require.NoError(t, err)
	_, err = f.op.FlushBinaryLogs(ctx, f.master)
	require.NoError(t, err)
	m, err := f.op.fresh(ctx, f.master)
	require.NoError(t, err)
	newest := m.SelfBinlogCoordinates.LogFile

	_, err = f.op.PurgeBinaryLogs(ctx, f.master, newest, false)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), f.r2.String(), "names the replica that needs the logs")
	_, err = f.op.PurgeBinaryLogs(ctx, f.master, "bad name;", false)
	require.ErrorIs(t, err, inst.ErrBadRequest)

	_, err = f.op.StartReplica(ctx, f.r2)
	require.NoError(t, err)
	f.requireFlows(t, f.r2) // a row in the newest log read by every replica:
	f.requireFlows(t, f.r1) // no dump thread holds an older log open
	// The dump thread of r2's previous connection ends asynchronously after
	// the replica reconnects; until it has, the server keeps the old log and
	// the operation refuses, naming it. Retrying is what the refusal asks for.
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err = f.op.PurgeBinaryLogs(ctx, f.master, newest, false)
		if err == nil || time.Now().After(deadline) {
			break
		}
		require.ErrorIs(t, err, inst.ErrRefused)
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(t, err)
	first := strings.Fields(strings.SplitN(f.sqlValue(t, f.master.Port, "SHOW BINARY LOGS"), "\n", 2)[0])[0]
	require.Equal(t, newest, first, "older logs are gone")
	f.requireFlows(t, f.r1)
	f.requireAudit(t, f.master, "purge-binary-logs", "done")
}

func TestDetachReattachReplica(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	i, err := f.op.DetachReplicaMasterHost(ctx, f.r2)
	require.NoError(t, err)
	require.True(t, i.MasterKey.IsDetached(), "%s", i.MasterKey)
	st, err := f.op.in.ReplicationStatus(ctx, f.r2)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(st.MasterKey.Hostname, "//"), st.MasterKey.Hostname)
	_, err = f.op.DetachReplicaMasterHost(ctx, f.r2)
	require.Error(t, err, "already detached")

	i, err = f.op.ReattachReplicaMasterHost(ctx, f.r2)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	f.requireFlows(t, f.r2)
	_, err = f.op.ReattachReplicaMasterHost(ctx, f.r2)
	require.ErrorIs(t, err, inst.ErrRefused, "not detached")
	f.requireAudit(t, f.r2, "detach-replica-master-host", "done")
	f.requireAudit(t, f.r2, "reattach-replica-master-host", "done")
}

func TestSemiSync(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	t.Cleanup(func() {
		_, _ = f.sb.SQL(f.master.Port, "SET GLOBAL rpl_semi_sync_master_enabled=0")
		_, _ = f.sb.SQL(f.r2.Port, "SET GLOBAL rpl_semi_sync_slave_enabled=0")
	})
	_, err := f.op.SetSemiSync(ctx, f.master, true, true)
	require.NoError(t, err)
	require.Equal(t, "1", f.sqlValue(t, f.master.Port, "SELECT @@rpl_semi_sync_master_enabled"))
	_, err = f.op.SetSemiSync(ctx, f.r2, false, true)
	require.NoError(t, err)
	require.Equal(t, "1", f.sqlValue(t, f.r2.Port, "SELECT @@rpl_semi_sync_slave_enabled"))
	_, err = f.op.SetSemiSync(ctx, f.master, true, false)
	require.NoError(t, err)
	require.Equal(t, "0", f.sqlValue(t, f.master.Port, "SELECT @@rpl_semi_sync_master_enabled"))
	_, err = f.op.SetSemiSync(ctx, f.r2, false, false)
	require.NoError(t, err)
	require.Equal(t, "0", f.sqlValue(t, f.r2.Port, "SELECT @@rpl_semi_sync_slave_enabled"))
	f.requireAudit(t, f.master, "enable-semi-sync-master", "done")
	f.requireAudit(t, f.r2, "disable-semi-sync-replica", "done")
}

func TestErrantGTID(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	errant, err := f.op.WhichGTIDErrant(ctx, f.r2)
	require.NoError(t, err)
	require.Empty(t, errant)
	_, err = f.op.GTIDErrantResetMaster(ctx, f.r2)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "no errant GTID")

	logs, err := f.op.LocateGTIDErrant(ctx, f.r2)
	require.NoError(t, err)
	require.Empty(t, logs, "nothing errant, no log to name")

	// The errant write lands in a log of its own: the one before holds
	// only replicated transactions, the one after nothing (in strict mode
	// replication stops at the next transaction of the master, which has
	// the errant one's sequence number).
	f.requireFlows(t, f.r2)
	f.sqlValue(t, f.r2.Port, "FLUSH BINARY LOGS")
	holding := f.sqlValue(t, f.r2.Port, "SHOW MASTER STATUS")
	db := "errant_" + strconv.FormatInt(time.Now().UnixNano(), 10)
	f.sqlValue(t, f.r2.Port, "CREATE DATABASE "+db)
	f.sqlValue(t, f.r2.Port, "FLUSH BINARY LOGS")
	errant, err = f.op.WhichGTIDErrant(ctx, f.r2)
	require.NoError(t, err)
	require.Contains(t, errant, "-"+strconv.Itoa(f.r2.Port)+"-", "the GTID carries replica2's server_id")
	logs, err = f.op.LocateGTIDErrant(ctx, f.r2)
	require.NoError(t, err)
	require.Equal(t, []string{strings.Fields(holding)[0]}, logs, "the log the errant write went to")

	_, err = f.op.MoveBelowGTID(ctx, f.r2, f.r1)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "errant GTID")
	_, err = f.op.GTIDErrantInjectEmpty(ctx, f.r2)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "MariaDB does not log empty transactions")

	_, err = f.op.GTIDErrantResetMaster(ctx, f.r2)
	require.NoError(t, err)
	errant, err = f.op.WhichGTIDErrant(ctx, f.r2)
	require.NoError(t, err)
	require.Empty(t, errant)
	require.Empty(t, f.sqlValue(t, f.r2.Port, "SELECT @@gtid_binlog_pos"))
	f.requireFlows(t, f.r2)
	_, err = f.op.MoveBelowGTID(ctx, f.r2, f.r1)
	require.NoError(t, err, "without errant GTIDs replica2 can move")
}

func TestErrantGTIDResetMasterRefusedWithReplicas(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.sqlValue(t, f.r1.Port, "CREATE DATABASE errant_"+strconv.FormatInt(time.Now().UnixNano(), 10))
	_, err := f.op.GTIDErrantResetMaster(ctx, f.r1)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "replicas reading its binary logs")
	require.NotEmpty(t, f.sqlValue(t, f.r1.Port, "SELECT @@gtid_binlog_pos"), "nothing reset")
}

func TestMovesRefusedOnLag(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	cfg := *f.op.cfg
	cfg.ReasonableMaintenanceReplicationLagSeconds = -1 // every replica lags "too much"
	strict := *f.op
	strict.cfg = &cfg
	_, err := strict.MoveBelowGTID(ctx, f.r3, f.r2)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "ReasonableMaintenanceReplicationLagSeconds")
	_, err = strict.MoveBelowGTID(ctx, f.r3, f.master)
	require.NoError(t, err, "the master is never lagging")
	require.Equal(t, f.master.Port, f.masterPort(t, f.r3))
	f.requireAudit(t, f.r3, "move-below-gtid", "failed: ")
}

func TestRestartReplicaStatements(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	list, err := f.op.RestartReplicaStatements(ctx, f.r2, "CHANGE MASTER TO MASTER_DELAY=0")
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Contains(t, list[0], "STOP")
	require.NotContains(t, list[2], "THREAD")
	f.sqlValue(t, f.r2.Port, "STOP SLAVE IO_THREAD")
	list, err = f.op.RestartReplicaStatements(ctx, f.r2, "SELECT 1")
	require.NoError(t, err)
	require.Contains(t, list[2], "SQL_THREAD")
	_, err = f.op.RestartReplicaStatements(ctx, f.master, "SELECT 1")
	require.ErrorIs(t, err, inst.ErrRefused)
	_, err = f.op.RestartReplicaStatements(ctx, f.r2, " ")
	require.ErrorIs(t, err, inst.ErrBadRequest)
}

func TestDelayReplication(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	i, err := f.op.DelayReplication(ctx, f.r2, 7)
	require.NoError(t, err)
	require.EqualValues(t, 7, i.SQLDelay)
	require.True(t, i.IsReplicating(), "thread state preserved")
	i, err = f.op.DelayReplication(ctx, f.r2, 0)
	require.NoError(t, err)
	require.EqualValues(t, 0, i.SQLDelay)
}

// TestMultiReplicaMovesBinlogPositions: the moves of several replicas at
// once, every replica on binlog coordinates: relocate-replicas with a
// pattern moves only the matching one, move-up-replicas, take-siblings,
// repoint-replicas and repoint keep them replicating by coordinates; each
// writes a summary audit row.
func TestMultiReplicaMovesBinlogPositions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r1, f.r2, f.r3)
	binlog := func(k inst.InstanceKey, master inst.InstanceKey) {
		t.Helper()
		require.Equal(t, master.Port, f.masterPort(t, k), "%s below %s", k, master)
		i, err := f.op.fresh(ctx, k)
		require.NoError(t, err)
		require.False(t, i.UsingGTID(), "%s still by binlog coordinates", k)
		f.requireFlows(t, k)
	}

	// Only replica2 matches: replica1 (a sibling) stays where it is.
	moved, err := f.op.RelocateReplicas(ctx, f.master, f.r1, regexp.QuoteMeta(f.r2.String()))
	require.NoError(t, err)
	require.Len(t, moved, 1)
	binlog(f.r2, f.r1)
	require.Equal(t, f.master.Port, f.masterPort(t, f.r1))
	f.requireAudit(t, f.master, "relocate-replicas", "1 of 1 replicas of "+f.master.String()+" matching")

	moved, err = f.op.MoveUpReplicas(ctx, f.r1, "")
	require.NoError(t, err)
	require.Len(t, moved, 2, "replica2 and replica3")
	binlog(f.r2, f.master)
	binlog(f.r3, f.master)
	f.requireAudit(t, f.r1, "move-up-replicas", "2 of 2 replicas")

	n, err := f.op.TakeSiblings(ctx, f.r1)
	require.NoError(t, err)
	require.Equal(t, 2, n, "replica2 and replica3 were replica1's siblings")
	binlog(f.r2, f.r1)
	binlog(f.r3, f.r1)

	moved, err = f.op.RepointReplicas(ctx, f.r1, inst.InstanceKey{}, "")
	require.NoError(t, err)
	require.Len(t, moved, 2)
	binlog(f.r2, f.r1)
	binlog(f.r3, f.r1)
	f.requireAudit(t, f.r1, "repoint-replicas", "2 of 2 replicas")

	_, err = f.op.Repoint(ctx, f.r2, inst.InstanceKey{})
	require.NoError(t, err)
	binlog(f.r2, f.r1)
	f.requireAudit(t, f.r2, "repoint", "")
	f.requireFlows(t) // a row written on the master reaches every replica
}

// TestReplicationControlBinlogPositions: the replication-control
// operations on a replica positioned by binlog coordinates, each checked
// on the server: stop, start, restart, stop nicely, skip a failing
// statement, detach and reattach the master host, enable and disable
// GTID; and reset last.
func TestReplicationControlBinlogPositions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r2)
	threads := func(io, sqlThread inst.ReplicationThreadState) {
		t.Helper()
		st, err := f.op.in.ReplicationStatus(ctx, f.r2)
		require.NoError(t, err)
		require.Equal(t, io, st.IOThread, "IO thread")
		require.Equal(t, sqlThread, st.SQLThread, "SQL thread")
		require.False(t, st.UsingGTID(), "by binlog coordinates")
	}
	_, err := f.op.StopReplica(ctx, f.r2)
	require.NoError(t, err)
	threads(inst.ThreadStateStopped, inst.ThreadStateStopped)
	_, err = f.op.StartReplica(ctx, f.r2)
	require.NoError(t, err)
	threads(inst.ThreadStateRunning, inst.ThreadStateRunning)
	f.requireFlows(t, f.r2)
	_, err = f.op.RestartReplica(ctx, f.r2)
	require.NoError(t, err)
	threads(inst.ThreadStateRunning, inst.ThreadStateRunning)
	_, err = f.op.StopReplicaNice(ctx, f.r2)
	require.NoError(t, err)
	threads(inst.ThreadStateStopped, inst.ThreadStateStopped)
	_, err = f.op.StartReplica(ctx, f.r2)
	require.NoError(t, err)

	// A row replica2 already has (written with the binlog off: no errant
	// transaction) stops its SQL thread; skip-query skips that statement.
	f.requireFlows(t, f.r2) // the table exists everywhere
	marker := strconv.FormatInt(time.Now().UnixNano(), 10)
	f.sqlValue(t, f.r2.Port, "SET SESSION sql_log_bin=0; INSERT INTO optest.t VALUES ('"+marker+"')")
	f.sqlValue(t, f.master.Port, "INSERT INTO optest.t VALUES ('"+marker+"')")
	require.Eventually(t, func() bool {
		st, err := f.op.in.ReplicationStatus(ctx, f.r2)
		return err == nil && st.SQLThread == inst.ThreadStateStopped && st.LastSQLErrno == 1062
	}, 20*time.Second, 50*time.Millisecond, "replica2 stops on the duplicate row")
	_, err = f.op.SkipQuery(ctx, f.r2)
	require.NoError(t, err)
	threads(inst.ThreadStateRunning, inst.ThreadStateRunning)
	f.requireFlows(t, f.r2)

	i, err := f.op.DetachReplicaMasterHost(ctx, f.r2)
	require.NoError(t, err)
	require.True(t, i.MasterKey.IsDetached())
	i, err = f.op.ReattachReplicaMasterHost(ctx, f.r2)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	f.requireFlows(t, f.r2)

	i, err = f.op.EnableGTID(ctx, f.r2)
	require.NoError(t, err)
	require.True(t, i.UsingGTID())
	f.requireFlows(t, f.r2)
	i, err = f.op.DisableGTID(ctx, f.r2)
	require.NoError(t, err)
	require.False(t, i.UsingGTID())
	f.requireFlows(t, f.r2)

	i, err = f.op.ResetReplica(ctx, f.r2)
	require.NoError(t, err)
	require.False(t, i.IsReplica(), "no master any more")
	st, err := f.op.in.ReplicationStatus(ctx, f.r2)
	require.NoError(t, err)
	require.False(t, st.IsReplica, "SHOW SLAVE STATUS is empty")
	for _, kind := range []string{"stop-replica", "start-replica", "restart-replica", "stop-replica-nice", "skip-query", "enable-gtid", "disable-gtid", "reset-replica"} {
		f.requireAudit(t, f.r2, kind, "")
	}
}
