package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestClusterRecoveryLockIsALease: one holder at a time; the holder
// renews it; a lapsed lease can be claimed once, after which its former
// holder can no longer renew it; a lapsed lock can also be acquired anew.
func TestClusterRecoveryLockIsALease(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			a, b, c := LockHolder{"h1", "t1"}, LockHolder{"h2", "t2"}, LockHolder{"h3", "t3"}

			ok, err := s.AcquireClusterRecoveryLock(ctx, "c1", a, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.AcquireClusterRecoveryLock(ctx, "c1", b, time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "held by a")
			ok, err = s.RenewClusterRecoveryLock(ctx, "c1", a, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.RenewClusterRecoveryLock(ctx, "c1", b, time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "only the holder renews")
			ok, err = s.ClaimLapsedClusterRecoveryLock(ctx, "c1", a, b, time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "a live lease is not claimed")
			l, err := s.ClusterRecoveryLock(ctx, "c1")
			require.NoError(t, err)
			require.Equal(t, a, l.Holder)
			require.False(t, l.Lapsed)

			// a stops renewing: its lease lapses.
			_, err = s.RenewClusterRecoveryLock(ctx, "c1", a, -time.Second)
			require.NoError(t, err)
			l, err = s.ClusterRecoveryLock(ctx, "c1")
			require.NoError(t, err)
			require.True(t, l.Lapsed)
			ok, err = s.ClaimLapsedClusterRecoveryLock(ctx, "c1", a, b, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.ClaimLapsedClusterRecoveryLock(ctx, "c1", a, c, time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "claimed once")
			ok, err = s.RenewClusterRecoveryLock(ctx, "c1", a, time.Minute)
			require.NoError(t, err)
			require.False(t, ok, "the former holder lost it")
			require.NoError(t, s.ReleaseClusterRecoveryLock(ctx, "c1", a), "releasing someone else's lock does nothing")
			l, err = s.ClusterRecoveryLock(ctx, "c1")
			require.NoError(t, err)
			require.Equal(t, b, l.Holder)
			require.NoError(t, s.ReleaseClusterRecoveryLock(ctx, "c1", b))
			_, err = s.ClusterRecoveryLock(ctx, "c1")
			require.ErrorIs(t, err, ErrNoRows)

			// A lapsed lock is acquired anew by another holder.
			ok, err = s.AcquireClusterRecoveryLock(ctx, "c2", a, -time.Second)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.AcquireClusterRecoveryLock(ctx, "c2", c, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.RenewClusterRecoveryLock(ctx, "c2", a, time.Minute)
			require.NoError(t, err)
			require.False(t, ok)
		})
	}
}

// TestEndOrphanedRecovery: a new leader ends an unresolved recovery only
// when its runner holds no live lease on the cluster's lock.
func TestEndOrphanedRecovery(t *testing.T) {
	runner, other, leader := LockHolder{"cli-host", "cli-token"}, LockHolder{"node2", "t2"}, LockHolder{"node1", "t1"}
	cases := []struct {
		name   string
		setup  func(t *testing.T, s *Store, cluster string)
		ended  bool
		holder *LockHolder // the lock's holder afterwards; nil: free
	}{
		{"runner renews its lease", func(t *testing.T, s *Store, cluster string) {
			acquire(t, s, cluster, runner, time.Minute)
		}, false, &runner},
		{"runner's lease lapsed", func(t *testing.T, s *Store, cluster string) {
			acquire(t, s, cluster, runner, -time.Second)
		}, true, nil},
		{"runner holds no lock", func(*testing.T, *Store, string) {}, true, nil},
		{"another holder has the lock", func(t *testing.T, s *Store, cluster string) {
			acquire(t, s, cluster, other, time.Minute)
		}, true, &other},
	}
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			for n, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					cluster := "cluster" + string(rune('a'+n))
					tc.setup(t, s, cluster)
					row := &RecoveryRow{UID: "uid-" + cluster, Key: inst.InstanceKey{Hostname: "db1", Port: 3306}, ClusterName: cluster,
						ProcessingNodeHostname: runner.Hostname, ProcessingNodeToken: runner.Token, Analysis: "DeadMaster", StartActivePeriod: time.Now()}
					_, err := s.InsertRecovery(ctx, row)
					require.NoError(t, err)

					ended, err := s.EndOrphanedRecovery(ctx, *row, leader, time.Minute)
					require.NoError(t, err)
					require.Equal(t, tc.ended, ended)
					got, err := s.ReadRecoveries(ctx, RecoveryQuery{UID: row.UID})
					require.NoError(t, err)
					require.Len(t, got, 1)
					require.Equal(t, tc.ended, got[0].Interrupted)
					require.Equal(t, tc.ended, !got[0].EndRecovery.IsZero())
					l, err := s.ClusterRecoveryLock(ctx, cluster)
					if tc.holder == nil {
						require.ErrorIs(t, err, ErrNoRows, "the lock is released")
					} else {
						require.NoError(t, err)
						require.Equal(t, *tc.holder, l.Holder)
					}
					ended, err = s.EndOrphanedRecovery(ctx, *row, leader, time.Minute)
					require.NoError(t, err)
					require.False(t, ended, "ended once")
				})
			}
		})
	}
}

func acquire(t *testing.T, s *Store, cluster string, h LockHolder, ttl time.Duration) {
	t.Helper()
	ok, err := s.AcquireClusterRecoveryLock(context.Background(), cluster, h, ttl)
	require.NoError(t, err)
	require.True(t, ok)
}
