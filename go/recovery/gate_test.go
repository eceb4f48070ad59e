package recovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEntryGate(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	k, other := ckey(21001), ckey(21002)
	cases := []struct {
		name      string
		kind      holdKind
		at        time.Duration // after the hold
		downtimed bool
		release   bool
		held      bool
	}{
		{name: "refused: held within refusedRecheck", kind: holdRefused, at: refusedRecheck - time.Millisecond, held: true},
		{name: "refused: examined again once refusedRecheck passed", kind: holdRefused, at: refusedRecheck},
		{name: "downtime: held while still downtimed", kind: holdDowntime, at: time.Second, downtimed: true, held: true},
		{name: "downtime: released as soon as the downtime ends", kind: holdDowntime, at: time.Second},
		{name: "refused: a downtime does not end it", kind: holdRefused, at: time.Second, downtimed: true, held: true},
		{name: "released by releaseAll", kind: holdRefused, at: time.Second, release: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := newEntryGate()
			g.hold(k, c.kind, now)
			if c.release {
				g.releaseAll()
			}
			require.Equal(t, c.held, g.held(k, c.downtimed, now.Add(c.at)))
			require.False(t, g.held(other, c.downtimed, now.Add(c.at)), "another instance is not held")
		})
	}
	g := newEntryGate()
	require.True(t, g.enter(k))
	require.False(t, g.enter(k), "one goroutine per instance")
	require.True(t, g.enter(other))
	g.leave(k)
	require.True(t, g.enter(k))
}
