package recovery

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// lagBehind stops k's SQL thread and writes n rows on the master that k
// receives but does not apply; it returns the rows' common prefix.
func (f *fixture) lagBehind(t *testing.T, k inst.InstanceKey, n int) string {
	t.Helper()
	ctx := context.Background()
	f.requireFlows(t, f.master, k) // creates the schema first
	_, err := f.sb.SQL(k.Port, "STOP SLAVE SQL_THREAD")
	require.NoError(t, err)
	prefix := fmt.Sprintf("lag-%d-", time.Now().UnixNano())
	for i := 1; i <= n; i++ {
		_, err = f.sb.SQL(f.master.Port, fmt.Sprintf("INSERT INTO rectest.t VALUES ('%s%d')", prefix, i))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		st, err := f.in.ReplicationStatus(ctx, k)
		m, _ := f.sb.SQL(f.master.Port, "SELECT @@gtid_binlog_pos")
		return err == nil && st.GtidIOPos == strings.TrimSpace(m)
	}, 10*time.Second, 50*time.Millisecond, "%s received everything", k)
	return prefix
}

// TestDrainSettings: the only replica that may be promoted (replica1 is
// must_not) has its SQL thread stopped with three transactions received
// and not applied, and the master dies. By default it is passed over
// (nothing promoted, the reason recorded); with
// FailMasterPromotionIfSQLThreadNotUpToDate the choice fails on it; with
// DelayMasterPromotionIfSQLThreadNotUpToDate its SQL thread is started,
// the recovery waits until it has applied everything, and promotes it with
// the three transactions.
func TestDrainSettings(t *testing.T) {
	cases := []struct {
		name     string
		tweak    func(*config.Config)
		promoted bool
		decision string
	}{
		{"default: passed over", nil, false,
			"may not be promoted (relay-log-not-applied): its relay log was not fully applied within 1s"},
		{"FailMasterPromotionIfSQLThreadNotUpToDate: no promotion", func(c *config.Config) { c.FailMasterPromotionIfSQLThreadNotUpToDate = true }, false,
			"FailMasterPromotionIfSQLThreadNotUpToDate is set and %s, the replica to promote, has not applied its relay log"},
		{"DelayMasterPromotionIfSQLThreadNotUpToDate: waits and promotes", func(c *config.Config) { c.DelayMasterPromotionIfSQLThreadNotUpToDate = true }, true,
			"DelayMasterPromotionIfSQLThreadNotUpToDate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, func(c *config.Config) {
				c.RelayLogDrainTimeoutSeconds = 1
				if tc.tweak != nil {
					tc.tweak(c)
				}
			}, nil)
			ctx := context.Background()
			require.NoError(t, f.store.RegisterCandidate(ctx, f.r1, inst.MustNotPromoteRule))
			prefix := f.lagBehind(t, f.r2, 3)
			require.NoError(t, f.sb.Kill(f.master.Port))

			rec, err := f.rc.ForceMasterFailover(ctx, f.master.String())
			require.NotNil(t, rec)
			text := strings.Join(rec.Decision, "\n")
			steps, serr := f.store.RecoverySteps(ctx, rec.UID)
			require.NoError(t, serr)
			all := text
			for _, s := range steps {
				all += "\n" + s.Message
			}
			want := tc.decision
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, f.r2)
			}
			require.Contains(t, all, want)
			if !tc.promoted {
				require.ErrorIs(t, err, ErrNoPromotion)
				require.Nil(t, rec.SuccessorKey, "decision: %s", text)
				return
			}
			require.NoError(t, err, "decision: %s", text)
			require.Equal(t, f.r2, *rec.SuccessorKey, "decision: %s", text)
			out, err := f.sb.SQL(f.r2.Port, "SELECT COUNT(*) FROM rectest.t WHERE v LIKE '"+prefix+"%'")
			require.NoError(t, err)
			require.Equal(t, "3", strings.TrimSpace(out), "the promoted replica applied its relay log first")
			require.NotNil(t, rec.DataSafety)
			for _, s := range rec.DataSafety.Replicas {
				if s.Key == f.r2 {
					require.True(t, s.Drained, "report: %+v", s)
				}
			}
			require.Equal(t, f.r2.Port, f.masterPortOf(t, f.r1), "replica1 moved below the new master")
			f.requireFlows(t, f.r2, f.r1, f.r3)
		})
	}
}
