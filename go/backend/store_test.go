package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/testutil/sandbox"
)

func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{WithBackend: true})) }

// dialects returns a config per backend: a fresh SQLite file and a fresh
// database on the sandbox's backend MariaDB.
func dialects(t testing.TB) map[string]*config.Config {
	t.Helper()
	sq := config.Defaults()
	sq.BackendDB = "sqlite3"
	sq.SQLite3DataFile = filepath.Join(t.TempDir(), "orc.sqlite3")

	sb := sandbox.Current()
	db := "orc_test_" + time.Now().Format("150405") + "_" + filepath.Base(t.TempDir())
	db = sanitize(db)
	_, err := sb.SQL(sb.BackendPort, "CREATE DATABASE "+db)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = sb.SQL(sb.BackendPort, "DROP DATABASE "+db) })
	my := config.Defaults()
	my.BackendDB = "mysql"
	my.MySQLOrchestratorHost = sb.Host
	my.MySQLOrchestratorPort = uint(sb.BackendPort)
	my.MySQLOrchestratorDatabase = db
	my.MySQLOrchestratorUser = sb.User
	my.MySQLOrchestratorPassword = sb.Password
	return map[string]*config.Config{"sqlite3": sq, "mysql": my}
}

func sanitize(s string) string {
	b := []byte(s)
	for n, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			b[n] = '_'
		}
	}
	return string(b)
}

func open(t testing.TB, cfg *config.Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

func TestMigrationsIdempotentAndConcurrent(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for n := range errs {
				wg.Add(1)
				go func(n int) {
					defer wg.Done()
					s, err := Open(ctx, cfg)
					if err != nil {
						errs[n] = err
						return
					}
					defer s.Close()
					errs[n] = s.Migrate(ctx)
				}(n)
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			s := open(t, cfg)
			require.NoError(t, s.Migrate(ctx), "a second migration is a no-op")
			v, err := s.DeployedVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, SchemaVersion(), v)
			var rows int
			require.NoError(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orchestrator_db_deployments`).Scan(&rows))
			require.Equal(t, SchemaVersion(), rows, "each migration recorded once")
		})
	}
}

func TestInstancesRoundTrip(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			now := time.Now().UTC().Truncate(time.Microsecond)
			i := &inst.Instance{
				Key: inst.InstanceKey{Hostname: "db1", Port: 3306}, MasterKey: inst.InstanceKey{Hostname: "db0", Port: 3306},
				Version: "10.11.6-MariaDB", ServerID: 7, ReadOnly: true, LogBinEnabled: true,
				ReplicationIOThreadState: inst.ThreadStateRunning, ReplicationSQLThreadState: inst.ThreadStateStopped,
				ExecBinlogCoordinates: inst.BinlogCoordinates{LogFile: "bin.000002", LogPos: 1234},
				Replicas:              []inst.InstanceKey{{Hostname: "db2", Port: 3307}},
				LastSeen:              now, LastChecked: now, LastAttemptedCheck: now,
				ClusterName: "db0:3306", ReplicationDepth: 1, LastIOError: "boom",
			}
			i.SecondsBehindMaster.Valid, i.SecondsBehindMaster.Int64 = true, 3
			require.NoError(t, s.WriteInstances(ctx, []*inst.Instance{i}))
			got, err := s.ReadInstance(ctx, i.Key)
			require.NoError(t, err)
			require.Equal(t, i.MasterKey, got.MasterKey)
			require.Equal(t, i.ExecBinlogCoordinates, got.ExecBinlogCoordinates)
			require.Equal(t, i.Replicas, got.Replicas)
			require.Equal(t, inst.ThreadStateStopped, got.ReplicationSQLThreadState)
			require.True(t, got.ReadOnly)
			require.Equal(t, int64(3), got.SecondsBehindMaster.Int64)
			require.True(t, got.SecondsBehindMaster.Valid)
			require.False(t, got.ReplicationLagSeconds.Valid, "NULL stays NULL")
			require.WithinDuration(t, now, got.LastSeen, time.Millisecond)
			require.Equal(t, "boom", got.LastIOError)

			require.NoError(t, s.RecordFailedCheck(ctx, i.Key, "connection refused", time.Millisecond, time.Now()))
			got, err = s.ReadInstance(ctx, i.Key)
			require.NoError(t, err)
			require.True(t, got.LastChecked.After(got.LastSeen), "a failed check advances last_checked, not last_seen")

			require.NoError(t, s.ForgetInstance(ctx, i.Key))
			_, err = s.ReadInstance(ctx, i.Key)
			require.ErrorIs(t, err, inst.ErrNotFound)
		})
	}
}

func TestMaintenanceLocksAreExclusive(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			key := inst.InstanceKey{Hostname: "db1", Port: 3306}
			var wg sync.WaitGroup
			results := make([]error, 8)
			for n := range results {
				wg.Add(1)
				go func(n int) {
					defer wg.Done()
					_, results[n] = s.BeginMaintenance(ctx, []inst.InstanceKey{key}, fmt.Sprintf("owner%d", n), fmt.Sprintf("reason%d", n), time.Minute, LockHolder{Hostname: "h"})
				}(n)
			}
			wg.Wait()
			winner := -1
			for n, err := range results {
				if err == nil {
					require.Equal(t, -1, winner, "exactly one lock taken")
					winner = n
				}
			}
			require.NotEqual(t, -1, winner, "one lock taken")
			for n, err := range results {
				if n == winner {
					continue
				}
				require.ErrorIs(t, err, inst.ErrLocked)
				require.EqualError(t, err, fmt.Sprintf("db1:3306: instance is under maintenance by owner%d: reason%d", winner, winner),
					"every concurrent loser names the winner")
			}
			_, err := s.BeginMaintenance(ctx, []inst.InstanceKey{key}, "other", "x", time.Minute, LockHolder{})
			require.ErrorContains(t, err, fmt.Sprintf("under maintenance by owner%d: reason%d", winner, winner))
			require.NoError(t, s.EndMaintenance(ctx, key))
			ids, err := s.BeginMaintenance(ctx, []inst.InstanceKey{key}, "other", "x", -time.Second, LockHolder{})
			require.NoError(t, err)
			require.Len(t, ids, 1)
			_, err = s.BeginMaintenance(ctx, []inst.InstanceKey{key}, "third", "expired lock is released", time.Minute, LockHolder{})
			require.NoError(t, err)
		})
	}
}

func TestElectionOneLeader(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			a, err := s.AttemptElection(ctx, "a", "ta", 5)
			require.NoError(t, err)
			require.True(t, a)
			b, err := s.AttemptElection(ctx, "b", "tb", 5)
			require.NoError(t, err)
			require.False(t, b, "a fresh leader row is not taken over")
			first, err := s.ActiveNode(ctx)
			require.NoError(t, err)
			a, err = s.AttemptElection(ctx, "a", "ta", 5)
			require.NoError(t, err)
			require.True(t, a, "the leader refreshes")
			refreshed, err := s.ActiveNode(ctx)
			require.NoError(t, err)
			require.Equal(t, first.FirstSeenActive, refreshed.FirstSeenActive, "a refresh keeps the term's start")
			require.GreaterOrEqual(t, refreshed.LastSeenActive, first.LastSeenActive)

			// An expired row (expiry 0: any row is older) is taken over in
			// the same statement, starting a new term.
			time.Sleep(2 * time.Millisecond) // the backend clock moves on
			b, err = s.AttemptElection(ctx, "b", "tb", 0)
			require.NoError(t, err)
			require.True(t, b, "an expired row is taken over")
			taken, err := s.ActiveNode(ctx)
			require.NoError(t, err)
			require.Equal(t, "b", taken.Hostname)
			require.Equal(t, "tb", taken.Token)
			a, err = s.AttemptElection(ctx, "a", "ta", 5)
			require.NoError(t, err)
			require.False(t, a, "the old leader's refresh fails once taken over")
			b, err = s.AttemptElection(ctx, "b", "tb", 5)
			require.NoError(t, err)
			require.True(t, b)
			require.NoError(t, s.Resign(ctx, "b", "tb"))
			a, err = s.AttemptElection(ctx, "a", "ta", 5)
			require.NoError(t, err)
			require.True(t, a, "after resigning another node leads")
			require.NoError(t, s.Resign(ctx, "a", "ta"))
			b, err = s.AttemptElection(ctx, "b", "tb", 5)
			require.NoError(t, err)
			require.True(t, b, "after resigning another node leads")
			n, err := s.ActiveNode(ctx)
			require.NoError(t, err)
			require.Equal(t, "b", n.Hostname)
		})
	}
}

func TestAuditDowntimeCandidates(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			key := inst.InstanceKey{Hostname: "db1", Port: 3306}
			for n := 0; n < 25; n++ {
				require.NoError(t, s.WriteAudit(ctx, "test", key, "c", "m"))
			}
			page0, err := s.ReadAudit(ctx, 0, nil)
			require.NoError(t, err)
			require.Len(t, page0, AuditPageSize)
			page1, err := s.ReadAudit(ctx, 1, &key)
			require.NoError(t, err)
			require.Len(t, page1, 5)

			require.NoError(t, s.BeginDowntime(ctx, Downtime{Key: key, Owner: "o", Reason: "r", BeginsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}))
			d, err := s.ActiveDowntimes(ctx)
			require.NoError(t, err)
			require.Equal(t, "r", d[key].Reason)
			require.NoError(t, s.EndDowntime(ctx, key))
			require.ErrorIs(t, s.EndDowntime(ctx, key), inst.ErrNotFound)

			require.NoError(t, s.RegisterCandidate(ctx, key, inst.PreferPromoteRule))
			c, err := s.Candidates(ctx, time.Now().Add(-time.Minute))
			require.NoError(t, err)
			require.Equal(t, inst.PreferPromoteRule, c[key].PromotionRule)
		})
	}
}

// TestMigrationStatementsRecognised: every DDL statement a migration runs
// is one alreadyApplied can check, so a migration cut short on MySQL can
// always be resumed.
func TestMigrationStatementsRecognised(t *testing.T) {
	t.Parallel()
	for v, stmts := range migrations {
		for _, stmt := range stmts {
			ok := createTableDDL.MatchString(stmt) || createIndexDDL.MatchString(stmt) || addColumnDDL.MatchString(stmt)
			require.True(t, ok, "migration %d: %.60s", v, stmt)
		}
	}
}

// TestMigrationResumesOnMySQL: MySQL commits each DDL statement by itself,
// so a migration cut short leaves objects behind without its version row.
// Migrating again applies what is missing and records the versions.
func TestMigrationResumesOnMySQL(t *testing.T) {
	cfg := dialects(t)["mysql"]
	ctx := context.Background()
	s := open(t, cfg)
	// Cut short: migrations 2 to 4 ran, except migration 2's index and
	// migration 4's column, and none of their versions was recorded.
	_, err := s.db.ExecContext(ctx, `DELETE FROM orchestrator_db_deployments WHERE deployed_version >= 2`)
	require.NoError(t, err)
	_, err = s.db.ExecContext(ctx, `DROP INDEX database_instance_pool_pool_idx ON database_instance_pool`)
	require.NoError(t, err)
	_, err = s.db.ExecContext(ctx, `ALTER TABLE database_instance_maintenance DROP COLUMN restart_replication`)
	require.NoError(t, err)

	require.NoError(t, s.Migrate(ctx))
	v, err := s.DeployedVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, SchemaVersion(), v)
	var n int
	require.NoError(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND index_name = 'database_instance_pool_pool_idx'`).Scan(&n))
	require.Equal(t, 1, n, "the missing index is created")
	require.NoError(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = 'database_instance_maintenance' AND column_name = 'restart_replication'`).Scan(&n))
	require.Equal(t, 1, n, "the missing column is added")
}

// TestEndMaintenance: a person ends a person's lock, by key or by id; an
// operation's lease is not theirs to end (the operation would be cut off
// mid-way) and an unknown id is not found.
func TestEndMaintenance(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			person, lease := inst.InstanceKey{Hostname: "db1", Port: 3306}, inst.InstanceKey{Hostname: "db2", Port: 3306}
			ids, err := s.BeginMaintenance(ctx, []inst.InstanceKey{person}, "carol", "upgrade", time.Minute, LockHolder{Hostname: "h"})
			require.NoError(t, err)
			_, err = s.BeginOperationLocks(ctx, []inst.InstanceKey{lease}, "move-up", time.Minute, LockHolder{Hostname: "node7"})
			require.NoError(t, err)

			err = s.EndMaintenance(ctx, lease)
			require.ErrorIs(t, err, inst.ErrLocked)
			require.EqualError(t, err, "held by the running operation move-up of node7: it ends with the operation (or is repaired by the leader if that process died)")
			active, err := s.ActiveMaintenance(ctx)
			require.NoError(t, err)
			require.Len(t, active, 2, "the lease still holds")
			var leaseID int64
			for _, m := range active {
				if m.Key == lease {
					leaseID = m.MaintenanceId
				}
			}
			require.ErrorIs(t, s.EndMaintenanceByID(ctx, leaseID), inst.ErrLocked)
			require.ErrorIs(t, s.EndMaintenanceByID(ctx, 987654), inst.ErrNotFound)

			require.NoError(t, s.EndMaintenanceByID(ctx, ids[0]))
			require.ErrorIs(t, s.EndMaintenanceByID(ctx, ids[0]), inst.ErrNotFound, "ended already")
			require.ErrorIs(t, s.EndMaintenance(ctx, person), inst.ErrNotFound)
		})
	}
}
