package recovery

import (
	"fmt"
	"sort"
	"testing"
	"time"

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
	all, clusters, wait := p.take(time.Now())
	require.False(t, all)
	require.Zero(t, wait)
	require.Len(t, clusters, 1000)
	sort.Strings(clusters)
	require.Equal(t, "c0000", clusters[0])
	require.Equal(t, "c0999", clusters[999])

	p.add("")
	all, clusters, _ = p.take(time.Now())
	require.True(t, all)
	require.Empty(t, clusters)
}

// TestPendingChecksSpacesOneCluster: a cluster triggered again right after
// its check waits for the rest of triggerSpacing, then is due; another
// cluster is not held up.
func TestPendingChecksSpacesOneCluster(t *testing.T) {
	p := newPendingChecks()
	t0 := time.Now()
	p.add("a")
	_, clusters, _ := p.take(t0)
	require.Equal(t, []string{"a"}, clusters)

	p.add("a")
	p.add("b")
	_, clusters, wait := p.take(t0.Add(100 * time.Millisecond))
	require.Equal(t, []string{"b"}, clusters)
	require.Equal(t, triggerSpacing-100*time.Millisecond, wait)

	_, clusters, wait = p.take(t0.Add(triggerSpacing))
	require.Equal(t, []string{"a"}, clusters)
	require.Zero(t, wait)
	_, clusters, wait = p.take(t0.Add(3 * triggerSpacing))
	require.Empty(t, clusters)
	require.Zero(t, wait)
	require.Empty(t, p.checked, "old marks are forgotten")
}
