package mysql

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestFencedApplier: a fenced Applier sends statements while its fence
// passes and none once it fails, whatever the statement (a plain write,
// a wait, a sequence of several statements); the server is left as it
// was, and the Applier it was made from is not fenced.
func TestFencedApplier(t *testing.T) {
	f := setup(t)
	ctx := testContext(t)
	lost := errors.New("lease lost")
	var fenced atomic.Bool
	ap := f.ap.Fenced(func() error {
		if fenced.Load() {
			return lost
		}
		return nil
	})
	require.NoError(t, ap.SetReadOnly(ctx, f.master, true), "the fence passes")
	require.True(t, f.probe(t, f.master).ReadOnly)
	require.NoError(t, ap.SetReadOnly(ctx, f.master, false))
	fenced.Store(true)

	_, pos := f.write(t)
	ops := []struct {
		name string
		run  func() error
	}{
		{"set read-only", func() error { return ap.SetReadOnly(ctx, f.master, true) }},
		{"stop replication", func() error { return ap.StopReplication(ctx, f.r2) }},
		{"wait for GTID", func() error { return ap.WaitForGTID(ctx, f.r2, pos) }},
		{"stop, change master, start", func() error { return ap.DetachMasterHost(ctx, f.r1) }},
	}
	for _, op := range ops {
		err := op.run()
		require.ErrorIs(t, err, lost, op.name)
		require.Contains(t, err.Error(), "not sent", op.name)
	}
	require.False(t, f.probe(t, f.master).ReadOnly, "the master stays writable")
	r2 := f.probe(t, f.r2)
	require.Equal(t, inst.ThreadStateRunning, r2.ReplicationSQLThreadState, "replica2 still replicates")
	require.Equal(t, inst.ThreadStateRunning, r2.ReplicationIOThreadState)
	r1 := f.probe(t, f.r1)
	require.Equal(t, f.master, r1.MasterKey, "replica1's master host is not rewritten")
	require.Equal(t, inst.ThreadStateRunning, r1.ReplicationIOThreadState)

	require.NoError(t, f.ap.StopReplication(ctx, f.r2), "the original Applier is not fenced")
}
