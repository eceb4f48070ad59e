package http

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAPIEquivalences: a move-below by binlog coordinates records where
// replica2 stood on the master; master-equivalent lists it, and
// move-equivalent takes replica2 back below the master.
func TestAPIEquivalences(t *testing.T) {
	l := newLiveServer(t)
	ctx := context.Background()
	_, err := l.sb.SQL(l.r2.Port, "STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=no; START SLAVE")
	require.NoError(t, err)
	require.NoError(t, l.sb.WaitReplicating(ctx, l.r2.Port))
	_, err = l.deps.Discoverer.Probe(ctx, l.r2)
	require.NoError(t, err)

	code, env := l.call(t, "/api/move-below/"+hp(l.r2)+"/"+hp(l.r1))
	require.Equal(t, 200, code, env)
	st, err := l.in.ReplicationStatus(ctx, l.r2)
	require.NoError(t, err)
	onR1 := st.ExecCoordinates

	code, env = l.call(t, fmt.Sprintf("/api/master-equivalent/%s/%s/%d", hp(l.r1), onR1.LogFile, onR1.LogPos))
	require.Equal(t, 200, code, env)
	require.Equal(t, "Found 1 equivalent coordinates", env["Message"])
	list, ok := env["Details"].([]any)
	require.True(t, ok, "Details is an array: %v", env)
	require.Len(t, list, 1)
	got := list[0].(map[string]any)
	require.Equal(t, map[string]any{"Hostname": l.master.Hostname, "Port": float64(l.master.Port)}, got["Key"])
	coords := got["Coordinates"].(map[string]any)
	require.Contains(t, coords, "LogFile")
	require.Contains(t, coords, "LogPos")
	require.Equal(t, float64(0), coords["Type"], "a binary log position")

	code, env = l.call(t, "/api/master-equivalent/"+hp(l.r1)+"/"+onR1.LogFile+"/x")
	require.Equal(t, 400, code, env)
	require.Equal(t, "ERROR", env["Code"])
	code, env = l.call(t, fmt.Sprintf("/api/master-equivalent/%s/%s/%d", hp(l.r1), onR1.LogFile, onR1.LogPos+1))
	require.Equal(t, 200, code, env)
	require.Empty(t, env["Details"], "no equivalence recorded for another position")

	code, env = l.call(t, "/api/move-equivalent/"+hp(l.r2)+"/"+hp(l.master))
	require.Equal(t, 200, code, env)
	require.Equal(t, l.r2.String(), detailsKey(t, env))
	require.Equal(t, l.master.Port, l.masterPortOf(t, l.r2))
	st, err = l.in.ReplicationStatus(ctx, l.r2)
	require.NoError(t, err)
	require.Equal(t, coords["LogFile"], st.ExecCoordinates.LogFile)
	require.Equal(t, coords["LogPos"], float64(st.ExecCoordinates.LogPos), "back at the recorded position")

	code, env = l.call(t, "/api/move-equivalent/"+hp(l.r2)+"/"+hp(l.r3))
	require.Equal(t, 409, code, env)
	require.Contains(t, env["Message"], "no recorded equivalence")
}
