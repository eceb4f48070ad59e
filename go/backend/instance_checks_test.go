package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestForgetUnseen: UnseenInstanceForgetHours counts from the last time a
// server was seen, or, for one never seen, from its first failed attempt,
// however often it has been retried since.
func TestForgetUnseen(t *testing.T) {
	now := time.Now().UTC()
	cutoff := now.Add(-24 * time.Hour)
	type step struct {
		seen   time.Duration // ago; 0: never seen
		legacy bool          // a never-seen row without unseen_since (written before migration 5)
		failed []time.Duration
	}
	cases := []struct {
		name      string
		host      string
		steps     step
		forgotten bool
	}{
		{"never seen, first attempt before the cutoff, retried since", "typo", step{failed: []time.Duration{48 * time.Hour, 3 * time.Hour, time.Minute}}, true},
		{"never seen, first attempt after the cutoff", "new", step{failed: []time.Duration{time.Hour, time.Minute}}, false},
		{"seen before the cutoff, failing since", "gone", step{seen: 48 * time.Hour, failed: []time.Duration{time.Minute}}, true},
		{"seen after the cutoff, failing since", "flaky", step{seen: time.Hour, failed: []time.Duration{time.Minute}}, false},
		{"seen recently", "fine", step{seen: time.Minute}, false},
		{"row from before unseen_since, failing since before the cutoff", "legacy", step{legacy: true, failed: []time.Duration{30 * time.Hour, time.Minute}}, true},
		{"row from before unseen_since, failing since after the cutoff", "legacy-new", step{legacy: true, failed: []time.Duration{time.Hour, time.Minute}}, false},
	}
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			for _, tc := range cases {
				key := inst.InstanceKey{Hostname: tc.host, Port: 3306}
				if tc.steps.seen > 0 {
					at := now.Add(-tc.steps.seen)
					require.NoError(t, s.WriteInstances(ctx, []*inst.Instance{{Key: key, LastSeen: at, LastChecked: at, LastAttemptedCheck: at}}))
				}
				if tc.steps.legacy {
					require.NoError(t, s.WriteInstances(ctx, []*inst.Instance{{Key: key}}))
				}
				for _, ago := range tc.steps.failed {
					require.NoError(t, s.RecordFailedCheck(ctx, key, "connection refused", time.Millisecond, now.Add(-ago)))
				}
			}
			n, err := s.ForgetUnseen(ctx, cutoff)
			require.NoError(t, err)
			var forgotten int64
			for _, tc := range cases {
				_, err := s.ReadInstance(ctx, inst.InstanceKey{Hostname: tc.host, Port: 3306})
				if tc.forgotten {
					forgotten++
					require.ErrorIs(t, err, inst.ErrNotFound, tc.name)
				} else {
					require.NoError(t, err, tc.name)
				}
			}
			require.Equal(t, forgotten, n)
		})
	}
}

// TestRecordFailedCheckOfUnknownInstance: the first failed check of an
// unknown key creates a row with everything the update would have set.
func TestRecordFailedCheckOfUnknownInstance(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			key := inst.InstanceKey{Hostname: "nowhere", Port: 3306}
			at := time.Now().UTC().Truncate(time.Second)
			require.NoError(t, s.RecordFailedCheck(ctx, key, "connection refused", 1500*time.Millisecond, at))
			i, err := s.ReadInstance(ctx, key)
			require.NoError(t, err)
			require.Equal(t, 1500*time.Millisecond, i.LastDiscoveryLatency)
			require.Equal(t, "connection refused", i.LastProbeError)
			require.WithinDuration(t, at, i.LastChecked, time.Millisecond)
			require.WithinDuration(t, at, i.LastAttemptedCheck, time.Millisecond)
			require.True(t, i.LastSeen.IsZero())
			require.Equal(t, key.String(), i.ClusterName)

			require.NoError(t, s.RecordFailedCheck(ctx, key, "timeout", 2*time.Second, at.Add(time.Second)))
			i, err = s.ReadInstance(ctx, key)
			require.NoError(t, err)
			require.Equal(t, 2*time.Second, i.LastDiscoveryLatency)
			require.Equal(t, "timeout", i.LastProbeError)
		})
	}
}
