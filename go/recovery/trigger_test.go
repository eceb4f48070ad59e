package recovery

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPendingChecksKeepsEveryCluster triggers far more clusters than any
// channel buffer while nobody reads: none is lost, repeats are merged, and
// one token says that something is pending.
func TestPendingChecksKeepsEveryCluster(t *testing.T) {
	p := newPendingChecks()
	for round := 0; round < 2; round++ {
		for i := 0; i < 1000; i++ {
			p.add(fmt.Sprintf("c%04d", i))
		}
	}
	require.Len(t, p.ready, 1)
	<-p.ready
	all, clusters := p.take()
	require.False(t, all)
	require.Len(t, clusters, 1000)
	sort.Strings(clusters)
	require.Equal(t, "c0000", clusters[0])
	require.Equal(t, "c0999", clusters[999])

	p.add("x")
	p.add("")
	all, clusters = p.take()
	require.True(t, all)
	require.Equal(t, []string{"x"}, clusters)
	all, clusters = p.take()
	require.False(t, all)
	require.Empty(t, clusters)
}
