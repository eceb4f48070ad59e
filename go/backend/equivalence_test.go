package backend

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func TestEquivalences(t *testing.T) {
	pos := func(host string, file string, p int64) InstanceCoordinates {
		return InstanceCoordinates{Key: inst.InstanceKey{Hostname: host, Port: 3306}, Coordinates: inst.BinlogCoordinates{LogFile: file, LogPos: p}}
	}
	m, r, x := pos("m", "bin.000002", 400), pos("r", "bin.000007", 1234), pos("x", "bin.000001", 99)
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			require.NoError(t, s.RecordEquivalence(ctx, r, m), "recorded from the side that sorts last")
			require.NoError(t, s.RecordEquivalence(ctx, m, r), "the same pair from the other side refreshes the row")
			require.NoError(t, s.RecordEquivalence(ctx, m, x))
			n, err := s.count(ctx, `SELECT COUNT(*) FROM master_position_equivalence`)
			require.NoError(t, err)
			require.EqualValues(t, 2, n)

			got, err := s.EquivalentPositions(ctx, r)
			require.NoError(t, err)
			require.Equal(t, []InstanceCoordinates{m}, got)
			got, err = s.EquivalentPositions(ctx, m)
			require.NoError(t, err)
			require.ElementsMatch(t, []InstanceCoordinates{r, x}, got)
			got, err = s.EquivalentPositions(ctx, pos("m", "bin.000002", 401))
			require.NoError(t, err)
			require.Empty(t, got, "only the exact position matches")
			before, err := s.EquivalencesBefore(ctx, pos("m", "bin.000002", 401))
			require.NoError(t, err)
			require.Equal(t, []Equivalence{{Here: m, There: r}, {Here: m, There: x}}, sortedThere(before), "both pairs at 400, below 401")
			before, err = s.EquivalencesBefore(ctx, m)
			require.NoError(t, err)
			require.Empty(t, before, "strictly below")
			before, err = s.EquivalencesBefore(ctx, pos("m", "bin.000003", 401))
			require.NoError(t, err)
			require.Empty(t, before, "another file")

			expired, err := s.ExpireEquivalences(ctx, time.Now().Add(-time.Hour))
			require.NoError(t, err)
			require.Zero(t, expired)
			expired, err = s.ExpireEquivalences(ctx, time.Now().Add(time.Second))
			require.NoError(t, err)
			require.EqualValues(t, 2, expired)
		})
	}
}

// sortedThere orders pairs by their other side, for stable comparisons.
func sortedThere(list []Equivalence) []Equivalence {
	sort.Slice(list, func(a, b int) bool { return list[a].There.less(list[b].There) })
	return list
}
