package discovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDueBeforeQueuesWhatFallsDueBeforeTheNextTick: an instance checked
// a poll interval ago less part of a tick is queued now, so that it is not
// probed a whole tick late; one checked more recently is not.
func TestDueBeforeQueuesWhatFallsDueBeforeTheNextTick(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		poll       time.Duration
		checkedAgo time.Duration
		due        bool
	}{
		{"5 s poll, checked 5 s ago", 5 * time.Second, 5 * time.Second, true},
		{"5 s poll, due within the next tick", 5 * time.Second, 4700 * time.Millisecond, true},
		{"5 s poll, due after the next tick", 5 * time.Second, 4400 * time.Millisecond, false},
		{"1 s poll, due within the next tick", time.Second, 950 * time.Millisecond, true},
		{"1 s poll, checked half a poll ago", time.Second, 500 * time.Millisecond, false},
		{"100 ms poll never earlier than half a poll", 100 * time.Millisecond, 40 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cutoff := dueBefore(now, tc.poll, pollTick(tc.poll))
			require.Equal(t, tc.due, now.Add(-tc.checkedAgo).Before(cutoff))
		})
	}
}
