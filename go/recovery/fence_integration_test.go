package recovery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// sqliteStore opens a fresh SQLite backend (no sandbox needed).
func sqliteStore(t *testing.T, file string) *backend.Store {
	t.Helper()
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", file
	s, err := backend.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.EnsureSchema(context.Background()))
	return s
}

// TestLeaseHeldWhileRenewedLostWhenTakenOver: a running recovery renews
// its cluster lock, so it holds it for many leases; once another holder
// has the lock, its fence fails and its context is cancelled within a
// lease, and releasing it leaves the other holder's lock alone.
func TestLeaseHeldWhileRenewedLostWhenTakenOver(t *testing.T) {
	ctx := context.Background()
	store := sqliteStore(t, filepath.Join(t.TempDir(), "o.sqlite3"))
	me, thief := backend.LockHolder{Hostname: "cli", Token: "t1"}, backend.LockHolder{Hostname: "node", Token: "t2"}
	const ttl = time.Second
	rc := New(Deps{Store: store, Holder: me, LockLease: ttl})
	lctx, l, err := rc.lockCluster(ctx, "c1")
	require.NoError(t, err)
	other := New(Deps{Store: store, Holder: thief, LockLease: ttl})
	_, _, err = other.lockCluster(ctx, "c1")
	require.ErrorIs(t, err, ErrLocked)

	for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		require.NoError(t, l.check(), "a renewed lease holds")
		lock, err := store.ClusterRecoveryLock(ctx, "c1")
		require.NoError(t, err)
		require.Equal(t, me, lock.Holder)
		require.False(t, lock.Lapsed)
	}

	require.NoError(t, store.ReleaseClusterRecoveryLock(ctx, "c1", me))
	ok, err := store.AcquireClusterRecoveryLock(ctx, "c1", thief, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.Eventually(t, func() bool { return l.check() != nil }, 2*ttl, 10*time.Millisecond, "the lost lease fences")
	require.ErrorIs(t, l.check(), ErrFenced)
	<-lctx.Done()
	require.ErrorIs(t, context.Cause(lctx), ErrFenced)
	l.release(ctx)
	lock, err := store.ClusterRecoveryLock(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, thief, lock.Holder, "release leaves the new holder's lock")
}

// TestLeaseFencesBeforeItLapses: a runner cut off from the backend stops
// acting before its lock lapses there, so before anyone may claim it.
func TestLeaseFencesBeforeItLapses(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "o.sqlite3")
	observer := sqliteStore(t, file)
	cut := sqliteStore(t, file)
	const ttl = 4 * time.Second
	rc := New(Deps{Store: cut, Holder: backend.LockHolder{Hostname: "cli", Token: "t1"}, LockLease: ttl})
	_, l, err := rc.lockCluster(ctx, "c1")
	require.NoError(t, err)
	require.NoError(t, cut.Close()) // renewals fail from now on
	require.Eventually(t, func() bool { return l.check() != nil }, 2*ttl, 10*time.Millisecond)
	lock, err := observer.ClusterRecoveryLock(ctx, "c1")
	require.NoError(t, err)
	require.False(t, lock.Lapsed, "fenced here while the backend still holds the lease")
	ok, err := observer.ClaimLapsedClusterRecoveryLock(ctx, "c1", lock.Holder, backend.LockHolder{Hostname: "node", Token: "t2"}, time.Minute)
	require.NoError(t, err)
	require.False(t, ok, "nobody can claim it yet")
}

// clusterName is the sandbox cluster's name.
func (f *fixture) clusterName(t *testing.T) string {
	i, err := f.reader.Instance(context.Background(), f.master)
	require.NoError(t, err)
	return i.ClusterName
}

// serverStates is what a recovery could change on each sandbox server.
func (f *fixture) serverStates(t *testing.T) map[inst.InstanceKey]string {
	t.Helper()
	out := map[inst.InstanceKey]string{}
	for _, k := range []inst.InstanceKey{f.master, f.r1, f.r2, f.r3} {
		i, err := f.in.Probe(context.Background(), k)
		require.NoError(t, err)
		out[k] = fmt.Sprintf("master=%s io=%d sql=%d read_only=%t", i.MasterKey, i.ReplicationIOThreadState, i.ReplicationSQLThreadState, i.ReadOnly)
	}
	return out
}

// TestFencedRecoveryWritesNothing: a failover fenced out while its
// pre-failover hook runs (the leader lost leadership; the lease on the
// cluster lock was taken over) sends no statement to any server after
// that, and says why.
func TestFencedRecoveryWritesNothing(t *testing.T) {
	cases := []struct {
		name        string
		run         func(t *testing.T, f *fixture, marker string) (*TopologyRecovery, error)
		why         string // in the recovery's errors
		interrupted bool
	}{
		{"leadership lost", func(t *testing.T, f *fixture, marker string) (*TopologyRecovery, error) {
			leader := func() error {
				if _, err := os.Stat(marker); err == nil {
					return fmt.Errorf("%w: no longer leader", ErrFenced)
				}
				return nil
			}
			return f.rc.recoverFenced(context.Background(), Request{Key: f.master, Forced: true, Hint: HintForceFailover,
				ForceCode: analysis.DeadMaster}, leader)
		}, "not sent: fenced: no longer leader", false},
		{"lease taken over", func(t *testing.T, f *fixture, marker string) (*TopologyRecovery, error) {
			d := f.deps
			d.LockLease = time.Second
			rc := New(d)
			go func() {
				for {
					if _, err := os.Stat(marker); err == nil {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				ctx, cluster := context.Background(), f.clusterName(t)
				_ = f.store.ReleaseClusterRecoveryLock(ctx, cluster, d.Holder)
				_, _ = f.store.AcquireClusterRecoveryLock(ctx, cluster, backend.LockHolder{Hostname: "other", Token: "t"}, time.Minute)
			}()
			return rc.ForceMasterFailover(context.Background(), f.master.String())
		}, "interrupted: fenced: the recovery lock of", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "hook-ran")
			f := setup(t, func(c *config.Config) {
				c.PreFailoverProcesses = []string{"touch " + marker + "; sleep 2"}
			}, nil)
			before := f.serverStates(t)
			rec, err := tc.run(t, f, marker)
			require.Error(t, err)
			require.NotNil(t, rec)
			require.False(t, rec.IsSuccessful)
			require.Nil(t, rec.SuccessorKey, "nothing promoted: %v", rec.Decision)
			require.Equal(t, before, f.serverStates(t), "no server changed; errors %v", rec.AllErrors)
			require.Contains(t, strings.Join(rec.AllErrors, "\n"), tc.why)
			require.Equal(t, tc.interrupted, rec.Interrupted)
			stored, err := f.rc.Recoveries(context.Background(), backend.RecoveryQuery{UID: rec.UID})
			require.NoError(t, err)
			require.Len(t, stored, 1)
			require.NotEmpty(t, stored[0].RecoveryEndTimestamp, "the recovery is resolved by its runner")
		})
	}
}

// TestOrphansEndedOnlyWhenTheirRunnerIsGone: the leader's sweep leaves a
// recovery whose runner (here a CLI-like Recoverer with its own holder)
// is alive and renewing its lease, however long it runs, and ends one
// whose runner died (an unresolved row and a lock nobody renews).
func TestOrphansEndedOnlyWhenTheirRunnerIsGone(t *testing.T) {
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	f := setup(t, func(c *config.Config) {
		c.PreFailoverProcesses = []string{"while [ ! -f " + release + " ]; do sleep 0.05; done; exit 1"}
	}, nil)
	ctx := context.Background()
	const ttl = 2 * time.Second

	dead := backend.LockHolder{Hostname: "gone", Token: "dead"}
	orphan := &backend.RecoveryRow{UID: "orphan", Key: inst.InstanceKey{Hostname: "gone", Port: 3306}, ClusterName: "gone:3306",
		ProcessingNodeHostname: dead.Hostname, ProcessingNodeToken: dead.Token, Analysis: "DeadMaster", StartActivePeriod: time.Now()}
	ok, err := f.store.AcquireClusterRecoveryLock(ctx, orphan.ClusterName, dead, -time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = f.store.InsertRecovery(ctx, orphan)
	require.NoError(t, err)

	cli := f.deps
	cli.Holder, cli.LockLease = backend.LockHolder{Hostname: "cli-host", Token: "cli"}, ttl
	done := make(chan error, 1)
	go func() {
		_, err := New(cli).ForceMasterFailover(ctx, f.master.String())
		done <- err
	}()
	var live backend.RecoveryRow
	require.Eventually(t, func() bool {
		rows, err := f.store.ReadRecoveries(ctx, backend.RecoveryQuery{InProgress: true, All: true, ClusterName: f.clusterName(t)})
		if err != nil || len(rows) != 1 {
			return false
		}
		live = rows[0]
		return true
	}, 20*time.Second, 20*time.Millisecond, "the CLI's recovery runs")
	require.Equal(t, cli.Holder.Token, live.ProcessingNodeToken)

	// The leader sweeps for three leases: the live recovery stays.
	for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		f.rc.endOrphans(ctx)
		rows, err := f.store.ReadRecoveries(ctx, backend.RecoveryQuery{UID: live.UID})
		require.NoError(t, err)
		require.True(t, rows[0].EndRecovery.IsZero(), "a live runner's recovery is not ended")
		lock, err := f.store.ClusterRecoveryLock(ctx, live.ClusterName)
		require.NoError(t, err)
		require.Equal(t, cli.Holder, lock.Holder, "nor its lock taken")
	}
	rows, err := f.store.ReadRecoveries(ctx, backend.RecoveryQuery{UID: orphan.UID})
	require.NoError(t, err)
	require.True(t, rows[0].Interrupted, "the dead runner's recovery is ended as interrupted")
	_, err = f.store.ClusterRecoveryLock(ctx, orphan.ClusterName)
	require.ErrorIs(t, err, backend.ErrNoRows, "and the lock it left released")

	require.NoError(t, os.WriteFile(release, nil, 0o600))
	select {
	case err := <-done:
		require.Error(t, err, "the hook fails the recovery")
	case <-time.After(30 * time.Second):
		t.Fatal("the CLI's recovery did not end")
	}
	rows, err = f.store.ReadRecoveries(ctx, backend.RecoveryQuery{UID: live.UID})
	require.NoError(t, err)
	require.False(t, rows[0].EndRecovery.IsZero())
	require.False(t, rows[0].Interrupted, "ended by its runner, not by the leader")
	_, err = f.store.ClusterRecoveryLock(ctx, live.ClusterName)
	require.True(t, errors.Is(err, backend.ErrNoRows), "released by its runner")
}
