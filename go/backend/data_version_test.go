package backend

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestChangeWatch: on SQLite the mark stays put while nothing is written
// and moves after a commit through the store's pool or through a second
// store on the same file (a CLI process); on MySQL it is unknown.
func TestChangeWatch(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, cfg)
			w := s.WatchChanges()
			t.Cleanup(func() { _ = w.Close() })
			first, ok := w.Mark(ctx)
			if name == "mysql" {
				require.False(t, ok, "MySQL has no cheap change mark")
				return
			}
			require.True(t, ok)
			again, ok := w.Mark(ctx)
			require.True(t, ok)
			require.Equal(t, first, again, "no commit, same mark")
			_, err := s.ReadInstances(ctx, InstanceFilter{})
			require.NoError(t, err)
			again, _ = w.Mark(ctx)
			require.Equal(t, first, again, "a read is no change")

			seedInstances(t, s, "c1:3306", inst.InstanceKey{Hostname: "c1", Port: 3306})
			afterPool, ok := w.Mark(ctx)
			require.True(t, ok)
			require.NotEqual(t, first, afterPool, "commit through the pool")

			other := open(t, cfg)
			seedInstances(t, other, "c2:3306", inst.InstanceKey{Hostname: "c2", Port: 3306})
			afterOther, ok := w.Mark(ctx)
			require.True(t, ok)
			require.NotEqual(t, afterPool, afterOther, "commit by a second store on the same file")

			require.NoError(t, w.Close())
			reopened, ok := w.Mark(ctx)
			require.True(t, ok)
			require.NotContains(t, []uint64{first, afterPool, afterOther}, reopened, "a new connection never repeats a mark")
		})
	}
}
