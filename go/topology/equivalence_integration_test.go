package topology

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// insertCounters writes the rows from..to of a counter table with a
// primary key on the master: a row applied twice on a replica stops its
// SQL thread with a duplicate-key error, a skipped one shows in the count.
func (f *fixture) insertCounters(t *testing.T, from, to int) {
	t.Helper()
	var values []string
	for n := from; n <= to; n++ {
		values = append(values, "("+strconv.Itoa(n)+")")
	}
	reset := ""
	if from == 1 {
		reset = "DROP DATABASE IF EXISTS eqtest; "
	}
	_, err := f.sb.SQL(f.master.Port, reset+"CREATE DATABASE IF NOT EXISTS eqtest; CREATE TABLE IF NOT EXISTS eqtest.c (n INT PRIMARY KEY); "+
		"INSERT INTO eqtest.c VALUES "+strings.Join(values, ","))
	require.NoError(t, err)
}

// requireCounters waits until every replica holds exactly the rows 1..n,
// each once, and still replicates.
func (f *fixture) requireCounters(t *testing.T, n int) {
	t.Helper()
	want := fmt.Sprintf("%d\t%d", n, n*(n+1)/2)
	for _, k := range []inst.InstanceKey{f.r1, f.r2, f.r3} {
		require.Eventually(t, func() bool {
			out, err := f.sb.SQL(k.Port, "SELECT COUNT(*), SUM(n) FROM eqtest.c")
			return err == nil && strings.TrimSpace(out) == want
		}, 20*time.Second, 100*time.Millisecond, "rows 1..%d on %s", n, k)
		st, err := f.op.in.ReplicationStatus(context.Background(), k)
		require.NoError(t, err)
		require.Empty(t, st.LastSQLError, "%s", k)
		require.Equal(t, inst.ThreadStateRunning, st.SQLThread, "%s", k)
	}
}

// execAt reads the replica's executed position on its master.
func (f *fixture) execAt(t *testing.T, k inst.InstanceKey) inst.BinlogCoordinates {
	t.Helper()
	st, err := f.op.in.ReplicationStatus(context.Background(), k)
	require.NoError(t, err)
	return st.ExecCoordinates
}

// TestMoveEquivalentUndoesAMove: replica2 moved below replica1 by binlog
// coordinates records where it stood on the master; move-equivalent puts
// it back at exactly that position, and every row written before and
// after arrives once on every replica.
func TestMoveEquivalentUndoesAMove(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r1, f.r2, f.r3)
	f.insertCounters(t, 1, 5)
	f.requireCounters(t, 5)
	onMaster := f.execAt(t, f.r2)
	// replica1 starts a new binary log, so that its positions differ from
	// the master's (otherwise, logging the same events, they are equal).
	_, err := f.sb.SQL(f.r1.Port, "FLUSH BINARY LOGS")
	require.NoError(t, err)

	i, err := f.op.MoveBelow(ctx, f.r2, f.r1)
	require.NoError(t, err)
	require.Equal(t, f.r2, i.Key)
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r2))
	onR1 := f.execAt(t, f.r2)
	require.NotEqual(t, onMaster.LogFile, onR1.LogFile)

	// replica2 started on replica1 where the pair says; it may have gone
	// on since through replica1's binlog checkpoint, which carries no data.
	got, err := f.op.EquivalentPositions(ctx, f.master, onMaster)
	require.NoError(t, err)
	require.Len(t, got, 1, "the move recorded replica2's position on the master")
	start := got[0]
	require.Equal(t, f.r1, start.Key)
	require.Equal(t, onR1.LogFile, start.Coordinates.LogFile)
	require.LessOrEqual(t, start.Coordinates.LogPos, onR1.LogPos, "equivalent to where replica2 started on replica1")
	if start.Coordinates != onR1 {
		t.Logf("replica2 went on from %s to %s through events without data", start.Coordinates, onR1)
	}
	got, err = f.op.EquivalentPositions(ctx, f.r1, start.Coordinates)
	require.NoError(t, err)
	require.Equal(t, []backend.InstanceCoordinates{{Key: f.master, Coordinates: onMaster}}, got, "found from the other side too")

	i, err = f.op.MoveEquivalent(ctx, f.r2, f.master)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	require.Equal(t, f.master.Port, f.masterPort(t, f.r2))
	require.Equal(t, onMaster.String(), f.execAt(t, f.r2).String(), "back at the exact position it left")
	f.requireAudit(t, f.r2, "move-equivalent", "equivalent position")

	f.insertCounters(t, 6, 10)
	f.requireCounters(t, 10)
	var rows int
	require.NoError(t, f.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM master_position_equivalence`).Scan(&rows))
	if start.Coordinates == onR1 {
		require.Equal(t, 1, rows, "moving back refreshed the same pair")
	} else {
		require.Equal(t, 2, rows, "moving back from past the recorded position recorded that position too")
	}
}

// TestMoveEquivalentRefused: without a recorded equivalence the move is
// refused and the replica keeps replicating from its master; a GTID
// replica is sent to the GTID moves.
func TestMoveEquivalentRefused(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := f.op.MoveEquivalent(ctx, f.r1, f.r2)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "GTID")

	f.disableGTID(t, f.r3)
	_, err = f.op.MoveEquivalent(ctx, f.r3, f.r2)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "no recorded equivalence of "+f.r1.String())
	require.Contains(t, err.Error(), "on "+f.r2.String())
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r3))
	require.NoError(t, f.op.waitReplicating(ctx, f.r3), "replicating as before")
	f.requireAudit(t, f.r3, "move-equivalent", "failed")

	_, err = f.op.MoveEquivalent(ctx, f.r3, f.r1)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "already replicates")
	_, err = f.op.MoveEquivalent(ctx, f.r1, f.r3)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "cycle")
	_, err = f.op.EquivalentPositions(ctx, f.master, inst.BinlogCoordinates{LogFile: "x'; --", LogPos: 4})
	require.ErrorIs(t, err, inst.ErrBadRequest)
}

// TestOnlyDatalessEvents: from the start of a fresh binary log up to its
// end there are only events without data (format description, GTID list,
// binlog checkpoint); once a replicated row is logged there, there are not.
func TestOnlyDatalessEvents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := f.sb.SQL(f.r1.Port, "FLUSH BINARY LOGS")
	require.NoError(t, err)
	r1, err := f.op.fresh(ctx, f.r1)
	require.NoError(t, err)
	end := r1.SelfBinlogCoordinates
	start := inst.BinlogCoordinates{LogFile: end.LogFile, LogPos: 4}
	require.True(t, f.op.onlyDatalessEvents(ctx, f.r1, start, end), "a new log up to %s", end)
	require.False(t, f.op.onlyDatalessEvents(ctx, f.r1, start, inst.BinlogCoordinates{LogFile: end.LogFile, LogPos: end.LogPos + 1}),
		"a position that is no event boundary")

	f.insertCounters(t, 1, 3)
	f.requireCounters(t, 3)
	r1, err = f.op.fresh(ctx, f.r1)
	require.NoError(t, err)
	require.Equal(t, end.LogFile, r1.SelfBinlogCoordinates.LogFile)
	require.False(t, f.op.onlyDatalessEvents(ctx, f.r1, start, r1.SelfBinlogCoordinates), "replicated rows in between")
}
