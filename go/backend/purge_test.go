package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestPurgeRecoveries: old resolved recoveries go with their steps;
// unresolved ones, ones still in their blocking period and recent ones
// stay, whatever the cutoff.
func TestPurgeRecoveries(t *testing.T) {
	old := time.Now().Add(-30 * 24 * time.Hour)
	cases := []struct {
		uid              string
		started          time.Time
		resolved, active bool
		kept             bool
	}{
		{"old-resolved", old, true, false, false},
		{"old-unresolved", old, false, false, true},
		{"old-still-blocking", old, true, true, true},
		{"recent", time.Now().Add(-time.Hour), true, false, true},
	}
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			for _, tc := range cases {
				row := &RecoveryRow{UID: tc.uid, Key: inst.InstanceKey{Hostname: tc.uid, Port: 3306}, ClusterName: tc.uid,
					Analysis: "DeadMaster", StartActivePeriod: tc.started}
				_, err := s.InsertRecovery(ctx, row)
				require.NoError(t, err)
				require.NoError(t, s.WriteRecoveryStep(ctx, tc.uid, "a step"))
				if tc.resolved {
					row.EndRecovery = tc.started.Add(time.Minute)
					require.NoError(t, s.ResolveRecovery(ctx, row))
				}
				if !tc.active {
					_, err = s.AckRecoveries(ctx, RecoveryQuery{UID: tc.uid}, "test", "")
					require.NoError(t, err)
				}
			}
			n, err := s.PurgeRecoveries(ctx, time.Now().Add(-7*24*time.Hour))
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			// Even a cutoff in the future keeps what must stay.
			_, err = s.PurgeRecoveries(ctx, time.Now().Add(time.Hour))
			require.NoError(t, err)
			for _, tc := range cases {
				rows, err := s.ReadRecoveries(ctx, RecoveryQuery{UID: tc.uid})
				require.NoError(t, err)
				steps, err := s.RecoverySteps(ctx, tc.uid)
				require.NoError(t, err)
				if tc.kept {
					require.Len(t, rows, 1, tc.uid)
					require.Len(t, steps, 1, tc.uid)
				} else {
					require.Empty(t, rows, tc.uid)
					require.Empty(t, steps, "steps go with their recovery: %s", tc.uid)
				}
			}
		})
	}
}

// TestPurgeHistory: each history table is purged by its own cutoff and
// keeps newer rows.
func TestPurgeHistory(t *testing.T) {
	key := inst.InstanceKey{Hostname: "db1", Port: 3306}
	cases := []struct {
		name  string
		seed  func(t *testing.T, s *Store)
		purge func(s *Store, olderThan time.Time) (int64, error)
		count string
	}{
		{"hostname unresolves", func(t *testing.T, s *Store) {
			require.NoError(t, s.RegisterHostnameUnresolve(context.Background(), "db1", "vip1"))
		}, func(s *Store, olderThan time.Time) (int64, error) {
			return s.ExpireHostnameUnresolves(context.Background(), olderThan)
		}, `SELECT COUNT(*) FROM hostname_unresolve`},
		{"hostname resolves", func(t *testing.T, s *Store) {
			require.NoError(t, s.RecordHostnameResolve(context.Background(), "db1", "db1.example.com", time.Now()))
		}, func(s *Store, olderThan time.Time) (int64, error) {
			return s.ExpireHostnameResolves(context.Background(), olderThan)
		}, `SELECT COUNT(*) FROM hostname_resolve`},
		{"node health history", func(t *testing.T, s *Store) {
			require.NoError(t, s.RecordNodeStart(context.Background(), Node{Hostname: "n1", Token: "t1", ExtraInfo: "http"}))
		}, func(s *Store, olderThan time.Time) (int64, error) {
			return s.PurgeNodeHealthHistory(context.Background(), olderThan)
		}, `SELECT COUNT(*) FROM node_health_history`},
		{"detections", func(t *testing.T, s *Store) {
			_, _, err := s.InsertDetection(context.Background(), Detection{Key: key, Analysis: "DeadMaster", ClusterName: "c1"})
			require.NoError(t, err)
			require.NoError(t, s.AckDetections(context.Background(), key))
		}, func(s *Store, olderThan time.Time) (int64, error) {
			return s.PurgeDetections(context.Background(), olderThan)
		}, `SELECT COUNT(*) FROM topology_failure_detection`},
		{"analysis changelog", func(t *testing.T, s *Store) {
			require.NoError(t, s.RecordAnalysis(context.Background(), map[inst.InstanceKey]string{key: "DeadMaster"}))
		}, func(s *Store, olderThan time.Time) (int64, error) {
			return s.PurgeAnalysisChangelog(context.Background(), olderThan)
		}, `SELECT COUNT(*) FROM database_instance_analysis_changelog`},
	}
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, cfg)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					ctx := context.Background()
					tc.seed(t, s)
					rows := func() int {
						var n int
						require.NoError(t, s.db.QueryRowContext(ctx, tc.count).Scan(&n))
						return n
					}
					require.Equal(t, 1, rows())
					n, err := tc.purge(s, time.Now().Add(-time.Hour))
					require.NoError(t, err)
					require.Zero(t, n, "a row newer than the cutoff stays")
					require.Equal(t, 1, rows())
					n, err = tc.purge(s, time.Now().Add(time.Second))
					require.NoError(t, err)
					require.EqualValues(t, 1, n)
					require.Zero(t, rows())
				})
			}
		})
	}
}
