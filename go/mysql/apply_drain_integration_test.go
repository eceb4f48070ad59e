package mysql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestStopReplicationPatiently: a stopped SQL thread (IO thread still
// running) is started and waited for until everything received is
// applied; with both threads stopped nothing is started and the reason
// says why; a master is not a replica.
func TestStopReplicationPatiently(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)

	pos := f.holdBack(t)
	drained, why, err := f.ap.StopReplicationPatiently(ctx, f.r2, 5*time.Second, time.Minute)
	require.NoError(t, err)
	require.True(t, drained, why)
	r := f.probe(t, f.r2)
	require.True(t, r.IsReplicationStopped())
	require.Equal(t, pos, r.MariaDBGtidSlavePos, "the relay log was applied")
	require.NoError(t, f.ap.StartReplication(ctx, f.r2))
	f.waitGTID(t, pos, f.r2)

	pos = f.holdBack(t)
	require.NoError(t, f.ap.StopIOThread(ctx, f.r2))
	drained, why, err = f.ap.StopReplicationPatiently(ctx, f.r2, 5*time.Second, time.Minute)
	require.NoError(t, err)
	require.False(t, drained)
	require.Contains(t, why, "both its replication threads were stopped")
	require.NotEqual(t, pos, f.probe(t, f.r2).MariaDBGtidSlavePos, "nothing was started")
	require.NoError(t, f.ap.StartReplication(ctx, f.r2))
	f.waitGTID(t, pos, f.r2)

	_, _, err = f.ap.StopReplicationPatiently(ctx, f.master, time.Second, time.Second)
	require.ErrorIs(t, err, ErrNotReplica)
}
