package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestOperationLocksLapseUntilRepaired: an operation's lock is a lease.
// Renewed by its holder it holds; lapsed, it still holds its instance (no
// one else can lock it, it is listed as active) until claimed by one
// repairer, after which its former holder can no longer renew it.
func TestOperationLocksLapseUntilRepaired(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			a, b := inst.InstanceKey{Hostname: "db1", Port: 3306}, inst.InstanceKey{Hostname: "db2", Port: 3306}
			op := LockHolder{Hostname: "h1", Token: "t1"}
			leader := LockHolder{Hostname: "h2", Token: "t2"}

			ids, err := s.BeginOperationLocks(ctx, []inst.InstanceKey{a, b}, "move-up", time.Minute, op)
			require.NoError(t, err)
			require.NoError(t, s.MarkRestartReplication(ctx, ids[:1]))
			n, err := s.RenewOperationLocks(ctx, ids, op, time.Now().Add(time.Minute))
			require.NoError(t, err)
			require.EqualValues(t, 2, n)
			n, err = s.RenewOperationLocks(ctx, ids, leader, time.Now().Add(time.Minute))
			require.NoError(t, err)
			require.Zero(t, n, "only the holder renews")
			lapsed, err := s.LapsedOperationLocks(ctx)
			require.NoError(t, err)
			require.Empty(t, lapsed)

			// The holder dies: its lease lapses.
			_, err = s.RenewOperationLocks(ctx, ids, op, time.Now().Add(-time.Second))
			require.NoError(t, err)
			_, err = s.BeginMaintenance(ctx, []inst.InstanceKey{a}, "someone", "x", time.Minute, LockHolder{})
			require.ErrorIs(t, err, inst.ErrLocked, "a lapsed operation lock holds until repaired")
			_, err = s.ExpireMaintenance(ctx)
			require.NoError(t, err)
			active, err := s.ActiveMaintenance(ctx)
			require.NoError(t, err)
			require.Len(t, active, 2, "lapsed operation locks are listed until repaired")
			lapsed, err = s.LapsedOperationLocks(ctx)
			require.NoError(t, err)
			require.Len(t, lapsed, 2)
			require.Equal(t, a, lapsed[0].Key)
			require.Equal(t, "move-up", lapsed[0].Operation)
			require.Equal(t, op, lapsed[0].Holder)
			require.True(t, lapsed[0].RestartReplication)
			require.False(t, lapsed[1].RestartReplication)

			claimed, err := s.ClaimOperationLock(ctx, ids[0], leader, time.Minute)
			require.NoError(t, err)
			require.True(t, claimed)
			claimed, err = s.ClaimOperationLock(ctx, ids[0], LockHolder{Hostname: "h3", Token: "t3"}, time.Minute)
			require.NoError(t, err)
			require.False(t, claimed, "one repairer")
			n, err = s.RenewOperationLocks(ctx, ids, op, time.Now().Add(time.Minute))
			require.NoError(t, err)
			require.EqualValues(t, 1, n, "the former holder lost the claimed lock")
			require.NoError(t, s.EndMaintenanceByIDs(ctx, ids))
			_, err = s.BeginMaintenance(ctx, []inst.InstanceKey{a, b}, "someone", "x", time.Minute, LockHolder{})
			require.NoError(t, err)
		})
	}
}
