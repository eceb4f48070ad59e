package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestBlockingRecovery: which earlier recovery blocks a new one (anti-
// flapping): an unacknowledged one of the same cluster in its period — a
// successful one always, a failed one that never got to promote only a
// new attempt on its own instance; an acknowledged one never.
func TestBlockingRecovery(t *testing.T) {
	master, im := inst.InstanceKey{Hostname: "m", Port: 3306}, inst.InstanceKey{Hostname: "im", Port: 3306}
	const cluster = "m:3306"
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			record := func(uid string, key inst.InstanceKey, successful bool, successor inst.InstanceKey) {
				t.Helper()
				r := &RecoveryRow{UID: uid, Key: key, StartActivePeriod: time.Now(), Analysis: "x", ClusterName: cluster}
				_, err := s.InsertRecovery(ctx, r)
				require.NoError(t, err)
				r.EndRecovery, r.IsSuccessful, r.SuccessorKey = time.Now(), successful, successor
				require.NoError(t, s.ResolveRecovery(ctx, r))
			}
			blocker := func(key inst.InstanceKey) string {
				t.Helper()
				r, err := s.BlockingRecovery(ctx, cluster, key, time.Hour)
				if err == ErrNoRows {
					return ""
				}
				require.NoError(t, err)
				return r.UID
			}

			record("im-failed", im, false, inst.InstanceKey{})
			require.Equal(t, "im-failed", blocker(im), "a failed attempt blocks a new attempt on its own instance")
			require.Empty(t, blocker(master), "a failed attempt that promoted nothing does not block the master's recovery")

			record("im-ok", im, true, master)
			require.Equal(t, "im-ok", blocker(master), "a successful recovery blocks the cluster")
			_, err := s.AckRecoveries(ctx, RecoveryQuery{}, "test", "checked")
			require.NoError(t, err)
			require.Empty(t, blocker(master), "acknowledged recoveries block nothing")
			require.Empty(t, blocker(im))
		})
	}
}
