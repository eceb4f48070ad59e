package discovery

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/testutil/sandbox"
)

// The sandbox's servers share one hostname (127.0.0.1), so the filters
// name them by port: a regexp matches the hostname or "host:port".
func portFilter(port int) []string { return []string{fmt.Sprintf(`:%d$`, port)} }

// storedPorts lists the ports of the stored instances that were seen.
func (r *rig) storedPorts(t *testing.T) []int {
	t.Helper()
	keys, err := r.store.InstanceKeys(context.Background())
	require.NoError(t, err)
	var ports []int
	for _, k := range keys {
		ports = append(ports, k.Port)
	}
	sort.Ints(ports)
	return ports
}

func sortedPorts(ports ...int) []int {
	sort.Ints(ports)
	return ports
}

type filterCase struct {
	name  string
	tweak func(sbPorts ports) func(*config.Config)
	// from is where discovery starts; found is what it must store, and
	// nothing else.
	from, explicit func(sbPorts ports) int
	found          func(sbPorts ports) []int
	// explicitFound is what an explicit discover of explicit adds.
	explicitFound func(sbPorts ports) []int
	refused       bool
}

type ports struct{ m, r1, r2, r3 int }

func (r *rig) ports() ports {
	return ports{r.sb.MasterPort, r.sb.Replica1Port, r.sb.Replica2Port, r.sb.Replica3Port}
}

// found, explicit, explicitFound and refused: see filterCase.

var filterCases = []filterCase{
	{
		name: "DiscoveryIgnoreHostnameFilters: never discovered, nor what lies only behind it",
		tweak: func(p ports) func(*config.Config) {
			return func(c *config.Config) { c.DiscoveryIgnoreHostnameFilters = portFilter(p.r1) }
		},
		from:     func(p ports) int { return p.m },
		found:    func(p ports) []int { return sortedPorts(p.m, p.r2) },
		explicit: func(p ports) int { return p.r1 },
		refused:  true,
	},
	{
		name: "DiscoveryIgnoreMasterHostnameFilters: the master link is not followed",
		tweak: func(p ports) func(*config.Config) {
			return func(c *config.Config) { c.DiscoveryIgnoreMasterHostnameFilters = portFilter(p.m) }
		},
		from:          func(p ports) int { return p.r3 },
		found:         func(p ports) []int { return sortedPorts(p.r1, p.r3) },
		explicit:      func(p ports) int { return p.m },
		explicitFound: func(p ports) []int { return sortedPorts(p.m, p.r1, p.r2, p.r3) },
	},
	{
		name: "DiscoveryIgnoreReplicaHostnameFilters: the replica is not followed",
		tweak: func(p ports) func(*config.Config) {
			return func(c *config.Config) { c.DiscoveryIgnoreReplicaHostnameFilters = portFilter(p.r2) }
		},
		from:          func(p ports) int { return p.m },
		found:         func(p ports) []int { return sortedPorts(p.m, p.r1, p.r3) },
		explicit:      func(p ports) int { return p.r2 },
		explicitFound: func(p ports) []int { return sortedPorts(p.m, p.r1, p.r2, p.r3) },
	},
}

// newFilterRig builds a rig whose config applies the case's filter.
func newFilterRig(t *testing.T, tc filterCase) *rig {
	t.Helper()
	sb := sandbox.Current()
	return newRig(t, tc.tweak(ports{sb.MasterPort, sb.Replica1Port, sb.Replica2Port, sb.Replica3Port}))
}

// TestDiscoverRespectsIgnoreFilters: the explicit discover (CLI discover,
// /api/discover) follows the same filters as the poll loop's crawl.
func TestDiscoverRespectsIgnoreFilters(t *testing.T) {
	for _, tc := range filterCases {
		t.Run(tc.name, func(t *testing.T) {
			r := newFilterRig(t, tc)
			p := r.ports()
			ctx := context.Background()
			_, err := r.d.DiscoverTopology(ctx, r.key(tc.from(p)))
			require.NoError(t, err)
			require.Equal(t, tc.found(p), r.storedPorts(t))

			_, err = r.d.DiscoverTopology(ctx, r.key(tc.explicit(p)))
			if tc.refused {
				require.ErrorIs(t, err, inst.ErrRefused)
				require.ErrorContains(t, err, "DiscoveryIgnoreHostnameFilters")
				require.Equal(t, tc.found(p), r.storedPorts(t), "not probed: no row, not even a failed check")
				_, err = r.d.RequestDiscovery(ctx, r.key(tc.explicit(p)))
				require.ErrorIs(t, err, inst.ErrRefused, "async-discover refuses it too")
				require.Equal(t, tc.found(p), r.storedPorts(t))
				return
			}
			require.NoError(t, err, "asked for explicitly, it is discovered")
			require.Equal(t, tc.explicitFound(p), r.storedPorts(t))
		})
	}
}

// TestCrawlRespectsIgnoreFilters: the running poll loop, seeded with one
// instance, crawls to everything the filters allow and to nothing else.
func TestCrawlRespectsIgnoreFilters(t *testing.T) {
	for _, tc := range filterCases {
		t.Run(tc.name, func(t *testing.T) {
			r := newFilterRig(t, tc)
			p := r.ports()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); r.d.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			r.d.Enqueue(r.key(tc.from(p)))

			want := tc.found(p)
			require.Eventually(t, func() bool { return equalPorts(r.storedPorts(t), want) }, 30*time.Second, 50*time.Millisecond,
				"the crawl stores %v", want)
			// Each found instance is polled again after all were stored:
			// whatever their first probes queued has been probed by then.
			after := time.Now()
			require.Eventually(t, func() bool {
				for _, port := range want {
					i, err := r.store.ReadInstance(ctx, r.key(port))
					if err != nil || !i.LastChecked.After(after) {
						return false
					}
				}
				return true
			}, 30*time.Second, 50*time.Millisecond)
			require.Equal(t, want, r.storedPorts(t), "nothing filtered was crawled to")
		})
	}
}

func equalPorts(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
