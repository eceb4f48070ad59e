package recovery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// blockedRow is the blocked_topology_recovery row of key, if any.
func (f *fixture) blockedRow(t *testing.T, key inst.InstanceKey) (backend.BlockedRecovery, bool) {
	t.Helper()
	list, err := f.rc.Blocked(context.Background(), "")
	require.NoError(t, err)
	for _, b := range list {
		if b.FailedInstanceKey == key {
			return b, true
		}
	}
	return backend.BlockedRecovery{}, false
}

// TestRefusedDeadMasterSaysWhyAndIsLeftAlone: a dead master that is not
// recovered automatically — downtimed, or its cluster matching no
// RecoverMasterClusterFilters — gets a blocked/skipped row saying why,
// `why` says it too, nothing is recovered, and the loop does not examine
// it again (re-probe, re-record) on every check: its row is written once
// per refusedRecheck. A downtimed one is recovered as soon as the downtime
// ends.
func TestRefusedDeadMasterSaysWhyAndIsLeftAlone(t *testing.T) {
	cases := []struct {
		name   string
		tweak  func(*config.Config)
		before func(t *testing.T, f *fixture)
		reason []string
		why    string
		undo   func(t *testing.T, f *fixture)
	}{
		{name: "downtimed",
			before: func(t *testing.T, f *fixture) {
				require.NoError(t, f.store.BeginDowntime(context.Background(), backend.Downtime{Key: f.master, Owner: "ops",
					Reason: "maintenance window", BeginsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}))
			},
			reason: []string{"not recovered automatically: the instance is downtimed until", "(by ops: maintenance window)"},
			why:    "no automatic recovery: the instance is downtimed until",
			undo: func(t *testing.T, f *fixture) {
				require.NoError(t, f.store.EndDowntime(context.Background(), f.master))
			}},
		{name: "cluster filtered out", tweak: func(c *config.Config) { c.RecoverMasterClusterFilters = []string{"^no-such-cluster$"} },
			reason: []string{"matches no RecoverMasterClusterFilters"},
			why:    "no automatic recovery: cluster"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, tc.tweak, nil)
			ctx := context.Background()
			if tc.before != nil {
				tc.before(t, f)
			}
			f.runLoops(t)
			require.NoError(t, f.sb.Kill(f.master.Port))
			var row backend.BlockedRecovery
			require.Eventually(t, func() bool {
				b, ok := f.blockedRow(t, f.master)
				row = b
				return ok && b.Analysis == "DeadMaster"
			}, 20*time.Second, 50*time.Millisecond, "a skipped row for the dead master")
			for _, sub := range tc.reason {
				require.Contains(t, row.Reason, sub)
			}

			// For a few seconds (checks run every second and on every
			// failed probe) the row is not written again.
			writes := map[string]bool{row.LastBlockedTimestamp: true}
			for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
				b, ok := f.blockedRow(t, f.master)
				require.True(t, ok)
				writes[b.LastBlockedTimestamp] = true
			}
			require.Len(t, writes, 1, "the skipped row is written once per %s, not on every check", refusedRecheck)
			list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{})
			require.NoError(t, err)
			require.Empty(t, list, "nothing recovered")

			w, err := f.rc.Explain(ctx, f.master)
			require.NoError(t, err)
			text := strings.Join(w.Lines, "\n")
			require.Contains(t, text, tc.why)
			require.Contains(t, text, "recovery not run at")
			require.Len(t, w.Blocked, 1)

			if tc.undo != nil {
				tc.undo(t, f)
				rec := f.waitRecovery(t, f.master, 20*time.Second)
				require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
			}
		})
	}
}

// TestIgnoredInstanceSaysTheFilter: an instance matching
// RecoveryIgnoreHostnameFilters has no analysis entry, and `why` and a
// recover attempt name the filter (not maintenance).
func TestIgnoredInstanceSaysTheFilter(t *testing.T) {
	f := setup(t, nil, nil)
	ctx := context.Background()
	cfg := *f.cfg
	cfg.RecoveryIgnoreHostnameFilters = []string{`^127\.0\.0\.1$`}
	d := f.deps
	d.Config = &cfg
	rc := New(d)
	w, err := rc.Explain(ctx, f.master)
	require.NoError(t, err)
	text := strings.Join(w.Lines, "\n")
	require.Nil(t, w.Analysis)
	require.Contains(t, text, `no analysis entry: its hostname matches RecoveryIgnoreHostnameFilters "^127\\.0\\.0\\.1$": it is neither analysed for recovery nor recovered`)
	require.NotContains(t, text, "maintenance")
	_, err = rc.Recover(ctx, Request{Key: f.master, Forced: true, ForceCode: "DeadMaster", Hint: HintForceFailover})
	require.ErrorIs(t, err, ErrNotAttempted)
	require.ErrorContains(t, err, "matches RecoveryIgnoreHostnameFilters")
}
