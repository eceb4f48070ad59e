package inst

import (
	"sort"
	"strconv"
	"strings"
)

// StatusTokens is the bracket content of a topology line:
// lag, status, version, rw|ro, binlog format, extras.
func (i *Instance) StatusTokens() []string {
	lag := "null"
	switch {
	case !i.IsLastCheckValid:
		lag = "unknown"
	case i.IsDetached || i.MasterKey.IsDetached():
		lag = "detached"
	case i.IsReplica() && i.IsReplicating() && i.ReplicationLagSeconds.Valid:
		lag = strconv.FormatInt(i.ReplicationLagSeconds.Int64, 10) + "s"
	case !i.IsReplica():
		lag = "0s"
	}
	status := "ok"
	switch {
	case !i.IsLastCheckValid:
		status = "invalid"
	case !i.IsRecentlyChecked:
		status = "unchecked"
	case i.IsReplica() && !i.IsReplicating():
		status = "nonreplicating"
	case hasProblem(i, "replication_lag"):
		status = "lag"
	}
	rw := "rw"
	if i.ReadOnly {
		rw = "ro"
	}
	format := "nobinlog"
	if i.LogBinEnabled {
		format = i.Binlog_format
	}
	tokens := []string{lag, status, i.Version, rw, format}
	if i.LogBinEnabled && i.LogReplicationUpdatesEnabled {
		tokens = append(tokens, ">>")
	}
	if i.UsingGTID() || (i.IsMariaDB() && i.LogBinEnabled && !i.IsReplica()) || i.SupportsOracleGTID {
		if i.GtidErrant != "" {
			tokens = append(tokens, "GTID:errant")
		} else {
			tokens = append(tokens, "GTID")
		}
	}
	if i.SemiSyncMasterStatus {
		tokens = append(tokens, "semi:master")
	}
	if i.SemiSyncReplicaStatus {
		tokens = append(tokens, "semi:replica")
	}
	if i.IsDowntimed {
		tokens = append(tokens, "downtimed")
	}
	return tokens
}

func hasProblem(i *Instance, p string) bool {
	for _, x := range i.Problems {
		if x == p {
			return true
		}
	}
	return false
}

type topologyLine struct {
	prefix string
	tokens []string
}

// TopologyText renders a cluster as the indented tree operators know, with
// each instance's status in brackets. tabulated separates columns with '|'.
func TopologyText(instances []*Instance, tabulated bool) string {
	byKey := map[InstanceKey]*Instance{}
	children := map[InstanceKey][]*Instance{}
	for _, i := range instances {
		byKey[i.Key] = i
	}
	var roots []*Instance
	for _, i := range instances {
		m, ok := byKey[i.MasterKey]
		if !i.IsReplica() || !ok || (i.IsCoMaster && m.IsCoMaster && isAncestor(byKey, i.Key, m.Key)) {
			roots = append(roots, i)
			continue
		}
		children[i.MasterKey] = append(children[i.MasterKey], i)
	}
	for _, list := range children {
		sortInstances(list)
	}
	sortInstances(roots)
	var lines []topologyLine
	visited := map[InstanceKey]bool{}
	var walk func(i *Instance, depth int)
	walk = func(i *Instance, depth int) {
		if visited[i.Key] {
			return
		}
		visited[i.Key] = true
		prefix := ""
		if depth > 0 {
			mark := "- "
			if i.IsReplicating() && i.IsLastCheckValid && i.IsRecentlyChecked {
				mark = "+ "
			}
			prefix = strings.Repeat("  ", depth-1) + mark
		}
		name := i.Key.String()
		if i.InstanceAlias != "" {
			name += " (" + i.InstanceAlias + ")"
		}
		lines = append(lines, topologyLine{prefix + name, i.StatusTokens()})
		for _, c := range children[i.Key] {
			walk(c, depth+1)
		}
	}
	for n, r := range roots {
		depth := 0
		if r.IsCoMaster && n > 0 {
			depth = 1
		}
		walk(r, depth)
	}
	return renderLines(lines, tabulated)
}

// isAncestor reports whether a is reachable upwards from b (a cycle).
func isAncestor(byKey map[InstanceKey]*Instance, a, b InstanceKey) bool {
	seen := map[InstanceKey]bool{}
	for k := b; !seen[k]; {
		seen[k] = true
		i, ok := byKey[k]
		if !ok {
			return false
		}
		if i.MasterKey == a {
			return true
		}
		k = i.MasterKey
	}
	return false
}

func sortInstances(list []*Instance) {
	sort.SliceStable(list, func(a, b int) bool {
		if list[a].Key.Hostname != list[b].Key.Hostname {
			return list[a].Key.Hostname < list[b].Key.Hostname
		}
		return list[a].Key.Port < list[b].Key.Port
	})
}

func renderLines(lines []topologyLine, tabulated bool) string {
	width := 0
	for _, l := range lines {
		if len(l.prefix) > width {
			width = len(l.prefix)
		}
	}
	var b strings.Builder
	if !tabulated {
		for _, l := range lines {
			b.WriteString(l.prefix + strings.Repeat(" ", width-len(l.prefix)+1) + "[" + strings.Join(l.tokens, ",") + "]\n")
		}
		return b.String()
	}
	cols := 0
	for _, l := range lines {
		if len(l.tokens) > cols {
			cols = len(l.tokens)
		}
	}
	widths := make([]int, cols)
	for _, l := range lines {
		for n, t := range l.tokens {
			if len(t) > widths[n] {
				widths[n] = len(t)
			}
		}
	}
	for _, l := range lines {
		b.WriteString(l.prefix + strings.Repeat(" ", width-len(l.prefix)))
		for n := 0; n < cols; n++ {
			t := ""
			if n < len(l.tokens) {
				t = l.tokens[n]
			}
			b.WriteString(" |" + t + strings.Repeat(" ", widths[n]-len(t)))
		}
		b.WriteString("\n")
	}
	return b.String()
}
