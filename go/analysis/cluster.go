package analysis

import (
	"regexp"
	"sort"
	"strings"

	"orchestrator/go/inst"
)

// ClusterInfo describes one cluster, with upstream's JSON names.
type ClusterInfo struct {
	ClusterName                            string
	ClusterAlias                           string // equals ClusterName when there is no alias
	ClusterDomain                          string
	CountInstances                         uint
	HeuristicLag                           int64 // highest known replica lag, seconds
	HasAutomatedMasterRecovery             bool
	HasAutomatedIntermediateMasterRecovery bool
}

// MatchesFilters reports whether one of the filters names the cluster: a
// filter matches when it equals the cluster name, equals the alias, is
// "alias=<alias>", or is a regular expression matching the cluster name
// (".*" matches every cluster). An empty filter matches nothing.
func (c ClusterInfo) MatchesFilters(filters []string) bool {
	for _, f := range filters {
		if f == "" {
			continue
		}
		if f == c.ClusterName || f == c.ClusterAlias {
			return true
		}
		if alias, ok := strings.CutPrefix(f, "alias="); ok {
			if alias == c.ClusterAlias {
				return true
			}
			continue
		}
		if re, err := regexp.Compile(f); err == nil && re.MatchString(c.ClusterName) {
			return true
		}
	}
	return false
}

// ClusterInfos describes every cluster in the snapshot, sorted by name.
func ClusterInfos(s Snapshot, o Options) []ClusterInfo {
	byName := clusterInfos(s, o)
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]ClusterInfo, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out
}

func clusterInfos(s Snapshot, o Options) map[string]ClusterInfo {
	out := map[string]ClusterInfo{}
	for _, i := range s.Instances {
		c, ok := out[i.ClusterName]
		if !ok {
			c = newClusterInfo(s, i, o)
		}
		c.CountInstances++
		if i.ReplicationLagSeconds.Valid && i.ReplicationLagSeconds.Int64 > c.HeuristicLag {
			c.HeuristicLag = i.ReplicationLagSeconds.Int64
		}
		out[i.ClusterName] = c
	}
	return out
}

func newClusterInfo(s Snapshot, i *inst.Instance, o Options) ClusterInfo {
	name := i.ClusterName
	c := ClusterInfo{ClusterName: name, ClusterAlias: name, ClusterDomain: i.ClusterDomain}
	if i.ClusterAlias != "" {
		c.ClusterAlias = i.ClusterAlias
	}
	if a := s.ClusterAliases[name]; a != "" {
		c.ClusterAlias = a
	}
	if d := s.ClusterDomains[name]; d != "" {
		c.ClusterDomain = d
	}
	c.HasAutomatedMasterRecovery = c.MatchesFilters(o.RecoverMasterClusterFilters)
	c.HasAutomatedIntermediateMasterRecovery = c.MatchesFilters(o.RecoverIntermediateMasterClusterFilters)
	return c
}
