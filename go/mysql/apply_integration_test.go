package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// holdBack stops r2's SQL thread, writes on the master and waits until
// r2 has received (not applied) everything; it returns the master's position.
func (f *fixture) holdBack(t *testing.T) string {
	t.Helper()
	require.NoError(t, f.ap.StopSQLThread(testContext(t), f.r2))
	var pos string
	for k := 0; k < 20; k++ {
		_, pos = f.write(t)
	}
	master := f.probe(t, f.master).SelfBinlogCoordinates
	eventually(t, func() bool { return f.probe(t, f.r2).ReadBinlogCoordinates == master }, "r2 received everything")
	return pos
}

func TestStopReplicationNicely(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)

	// With the SQL thread stopped nothing can drain.
	pos := f.holdBack(t)
	drained, err := f.ap.StopReplicationNicely(ctx, f.r2, time.Second)
	require.NoError(t, err)
	require.False(t, drained)
	r := f.probe(t, f.r2)
	require.True(t, r.IsReplicationStopped())
	require.NotEqual(t, pos, r.MariaDBGtidSlavePos)
	require.NoError(t, f.ap.StartReplication(ctx, f.r2))
	f.waitGTID(t, pos, f.r2)

	// A running SQL thread drains what the IO thread received.
	pos = f.holdBack(t)
	require.NoError(t, f.ap.StartSQLThread(ctx, f.r2))
	drained, err = f.ap.StopReplicationNicely(ctx, f.r2, 10*time.Second)
	require.NoError(t, err)
	require.True(t, drained)
	r = f.probe(t, f.r2)
	require.True(t, r.IsReplicationStopped())
	require.Equal(t, pos, r.MariaDBGtidSlavePos)
	require.Equal(t, r.ReadBinlogCoordinates, r.ExecBinlogCoordinates)

	_, err = f.ap.StopReplicationNicely(ctx, f.master, time.Second)
	require.ErrorIs(t, err, ErrNotReplica)
}

func TestStopReplicationNicelyByCoordinates(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.SetMasterUseGTID(ctx, f.r2, GTIDNone))
	eventually(t, f.replicating(t, f.r2), "r2 replicates by coordinates")
	pos := f.holdBack(t)
	require.NoError(t, f.ap.StartSQLThread(ctx, f.r2))
	drained, err := f.ap.StopReplicationNicely(ctx, f.r2, 10*time.Second)
	require.NoError(t, err)
	require.True(t, drained)
	r := f.probe(t, f.r2)
	require.Equal(t, r.ReadBinlogCoordinates, r.ExecBinlogCoordinates)
	require.Equal(t, pos, r.MariaDBGtidSlavePos)
}

func TestChangeMasterMovesReplicaByGTID(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	spec := ChangeMasterSpec{Master: f.master, GTID: GTIDSlavePos}
	require.ErrorIs(t, f.ap.ChangeMaster(ctx, f.r3, spec), ErrReplicationRunning)

	require.NoError(t, f.ap.StopReplication(ctx, f.r3))
	noPosition := ChangeMasterSpec{Master: f.master, GTID: GTIDNone}
	require.ErrorIs(t, f.ap.ChangeMaster(ctx, f.r3, noPosition), inst.ErrBadRequest)
	require.NoError(t, f.ap.ChangeMaster(ctx, f.r3, spec))
	require.NoError(t, f.ap.StartReplication(ctx, f.r3))

	value, pos := f.write(t)
	f.waitGTID(t, pos, f.r3)
	require.True(t, f.hasRow(t, f.r3, value))
	r3 := f.probe(t, f.r3)
	require.Equal(t, f.master, r3.MasterKey)
	require.True(t, r3.IsReplicating())
	eventually(t, func() bool {
		return len(f.probe(t, f.master).Replicas) == 3 && len(f.probe(t, f.r1).Replicas) == 0
	}, "r3 registered with the master")
}

func TestChangeMasterEscapesStrings(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.StopReplication(ctx, f.r3))
	user := `we'ird\usr"`
	require.NoError(t, f.ap.ChangeMaster(ctx, f.r3, ChangeMasterSpec{User: user, Password: `p'w\`}))
	st, err := f.in.ReplicationStatus(ctx, f.r3)
	require.NoError(t, err)
	require.Equal(t, user, st.User)
	require.Equal(t, f.r1, st.MasterKey, "master kept")
}

func TestDetachReattachMasterHost(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	before := f.probe(t, f.r2)

	require.NoError(t, f.ap.DetachMasterHost(ctx, f.r2))
	r := f.probe(t, f.r2)
	require.Equal(t, f.master.Detached(), r.MasterKey)
	require.True(t, r.IsDetachedMaster)
	require.True(t, r.IsMaster())
	require.True(t, r.UsingMariaDBGTID, "GTID mode kept")
	require.NotEqual(t, inst.ThreadStateRunning, r.ReplicationIOThreadState)
	require.NoError(t, f.ap.DetachMasterHost(ctx, f.r2), "detaching twice is a no-op")

	require.NoError(t, f.ap.ReattachMasterHost(ctx, f.r2))
	eventually(t, f.replicating(t, f.r2), "r2 replicates after reattach")
	r = f.probe(t, f.r2)
	require.Equal(t, before.MasterKey, r.MasterKey)
	require.False(t, r.IsDetachedMaster)
	value, pos := f.write(t)
	f.waitGTID(t, pos, f.r2)
	require.True(t, f.hasRow(t, f.r2, value))
}

func TestDetachReattachByCoordinates(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.SetMasterUseGTID(ctx, f.r2, GTIDNone))
	eventually(t, f.replicating(t, f.r2), "r2 replicates by coordinates")
	r := f.probe(t, f.r2)
	require.False(t, r.UsingMariaDBGTID)
	require.Equal(t, "No", r.MariaDBUsingGtid)

	require.NoError(t, f.ap.StopReplication(ctx, f.r2))
	exec := f.probe(t, f.r2).ExecBinlogCoordinates
	require.NoError(t, f.ap.DetachMasterHost(ctx, f.r2))
	r = f.probe(t, f.r2)
	require.True(t, r.MasterKey.IsDetached())
	require.Equal(t, exec, r.ExecBinlogCoordinates, "coordinates kept while detached")
	value, _ := f.write(t)

	require.NoError(t, f.ap.ReattachMasterHost(ctx, f.r2))
	r = f.probe(t, f.r2)
	require.Equal(t, f.master, r.MasterKey)
	require.Equal(t, exec, r.ExecBinlogCoordinates)
	require.True(t, r.IsReplicationStopped(), "thread state preserved")
	require.NoError(t, f.ap.StartReplication(ctx, f.r2))
	eventually(t, func() bool { return f.hasRow(t, f.r2, value) }, "row written while detached arrives")

	require.NoError(t, f.ap.SetMasterUseGTID(ctx, f.r2, GTIDSlavePos))
	require.True(t, f.probe(t, f.r2).UsingMariaDBGTID)
	require.ErrorIs(t, f.ap.SetMasterUseGTID(ctx, f.r2, GTIDAutoPosition), ErrUnsupported)
}

func TestSetReadOnly(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.SetReadOnly(ctx, f.master, true))
	require.True(t, f.probe(t, f.master).ReadOnly)
	require.NoError(t, f.ap.SetReadOnly(ctx, f.master, false))
	require.False(t, f.probe(t, f.master).ReadOnly)
}

func TestSetReplicationDelay(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.SetReplicationDelay(ctx, f.r2, 7))
	r := f.probe(t, f.r2)
	require.Equal(t, uint(7), r.SQLDelay)
	require.Equal(t, inst.ThreadStateRunning, r.ReplicationSQLThreadState, "running state preserved")
	require.NoError(t, f.ap.SetReplicationDelay(ctx, f.r2, 0))
	require.Zero(t, f.probe(t, f.r2).SQLDelay)
}

func TestSkipQuery(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	_, pos := f.write(t)
	f.waitGTID(t, pos, f.r2)
	// A row on r2 only (not binlogged), then the same key on the master:
	// r2's SQL thread stops on a duplicate key.
	_, err := f.sb.SQL(f.r2.Port, "SET SESSION sql_log_bin = 0; INSERT INTO mysqlpkg_test.t (id, v) VALUES (1000000, 'local')")
	require.NoError(t, err)
	_, err = f.db(t, f.master).Exec("INSERT INTO mysqlpkg_test.t (id, v) VALUES (1000000, 'master')")
	require.NoError(t, err)
	eventually(t, func() bool {
		_, sqlThread := f.threads(t, f.r2)
		return sqlThread == inst.ThreadStateStopped
	}, "r2's SQL thread fails")
	require.NotEmpty(t, f.probe(t, f.r2).LastSQLError)

	require.ErrorIs(t, f.ap.SkipQuery(ctx, f.r1), ErrReplicationRunning)
	require.NoError(t, f.ap.SkipQuery(ctx, f.r2))
	value, pos := f.write(t)
	f.waitGTID(t, pos, f.r2)
	require.True(t, f.hasRow(t, f.r2, value))
	require.Empty(t, f.probe(t, f.r2).LastSQLError)
}

func TestWaits(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	_, pos := f.write(t)
	coords := f.probe(t, f.master).SelfBinlogCoordinates
	require.NoError(t, f.ap.WaitForCoordinates(ctx, f.r1, coords))
	f.waitGTID(t, pos, f.r1)

	require.NoError(t, f.ap.StopSQLThread(ctx, f.r1))
	_, pos = f.write(t)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := f.ap.WaitForGTID(short, f.r1, pos)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
	require.ErrorIs(t, f.ap.WaitForCoordinates(ctx, f.r1, f.probe(t, f.master).SelfBinlogCoordinates), ErrNotReplicating)
	require.ErrorIs(t, f.ap.WaitForGTID(ctx, f.r1, "not-a-gtid"), inst.ErrBadRequest)
}

func TestSemiSync(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	t.Cleanup(func() {
		ctx := context.Background()
		require.NoError(t, f.ap.SetSemiSyncMaster(ctx, f.master, false))
		require.NoError(t, f.ap.SetSemiSyncReplica(ctx, f.r1, false))
	})
	require.NoError(t, f.ap.SetSemiSyncMaster(ctx, f.master, true))
	require.NoError(t, f.ap.SetSemiSyncReplica(ctx, f.r1, true))
	eventually(t, func() bool {
		m := f.probe(t, f.master)
		return m.SemiSyncMasterEnabled && m.SemiSyncMasterStatus && m.SemiSyncMasterClients == 1
	}, "semi-sync active on the master with one client")
	r1 := f.probe(t, f.r1)
	require.True(t, r1.SemiSyncReplicaEnabled)
	require.True(t, r1.SemiSyncReplicaStatus)
	require.True(t, r1.IsReplicating())
}

func TestGTIDRepairPrimitives(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	r := f.probe(t, f.r2)
	require.NoError(t, f.ap.StopReplication(ctx, f.r2))
	require.NoError(t, f.ap.SetGTIDSlavePos(ctx, f.r2, r.MariaDBGtidSlavePos))
	require.ErrorIs(t, f.ap.SetGTIDPurged(ctx, f.r2, ""), ErrUnsupported)
	require.ErrorIs(t, f.ap.InjectEmptyTransaction(ctx, f.r2, "3e11fa47-71ca-11e1-9e33-c80aa9429562:5"), ErrUnsupported)
	require.NoError(t, f.ap.ResetMaster(ctx, f.r2))
	r = f.probe(t, f.r2)
	require.Empty(t, r.MariaDBGtidBinlogPos)
	require.Equal(t, "mysql-bin.000001", r.SelfBinlogCoordinates.LogFile)
	require.NoError(t, f.ap.StartReplication(ctx, f.r2))
	_, pos := f.write(t)
	f.waitGTID(t, pos, f.r2)
	require.NoError(t, f.ap.ExecRaw(ctx, f.r2, "DO 1"))
	require.NoError(t, f.ap.RestartReplication(ctx, f.r2))
	eventually(t, f.replicating(t, f.r2), "r2 replicates after restart")
}

func TestResetReplicaAll(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	require.NoError(t, f.ap.StopReplication(ctx, f.r3))
	require.NoError(t, f.ap.ResetReplicaAll(ctx, f.r3))
	r := f.probe(t, f.r3)
	require.False(t, r.IsReplica())
	require.Equal(t, inst.ThreadStateNoThread, r.ReplicationIOThreadState)
	eventually(t, func() bool { return len(f.probe(t, f.r1).Replicas) == 0 }, "r1 lost its replica")
}
