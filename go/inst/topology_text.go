package inst

import (
	"sort"
	"strconv"
	"strings"
)

// StatusTokens are the columns of a topology line: lag, status, version,
// rw|ro, binlog format (or nobinlog) and the extras, comma-joined in one
// token that is empty when there are none (>>, GTID or GTID:errant,
// P-GTID, semi:master, semi:replica, downtimed).
func (i *Instance) StatusTokens() []string {
	rw := "rw"
	if i.ReadOnly {
		rw = "ro"
	}
	format := "nobinlog"
	if i.LogBinEnabled {
		format = i.Binlog_format
	}
	return []string{i.lagToken(), i.statusToken(), i.Version, rw, format, strings.Join(i.extraTokens(), ",")}
}

// Description is the bracket group of a topology line, "[0s,ok,...]",
// without the extras token when it is empty.
func (i *Instance) Description() string {
	tokens := i.StatusTokens()
	if tokens[len(tokens)-1] == "" {
		tokens = tokens[:len(tokens)-1]
	}
	return "[" + strings.Join(tokens, ",") + "]"
}

func (i *Instance) lagToken() string {
	switch {
	case !i.IsLastCheckValid:
		return "unknown"
	case i.IsDetached || i.MasterKey.IsDetached():
		return "detached"
	case !i.IsReplica():
		return "0s"
	case i.IsReplicating() && i.ReplicationLagSeconds.Valid:
		return strconv.FormatInt(i.ReplicationLagSeconds.Int64, 10) + "s"
	}
	return "null"
}

func (i *Instance) statusToken() string {
	switch {
	case !i.IsLastCheckValid:
		return "invalid"
	case !i.IsRecentlyChecked:
		return "unchecked"
	case i.IsReplica() && !i.IsReplicating():
		return "nonreplicating"
	case hasProblem(i, "replication_lag"):
		return "lag"
	}
	return "ok"
}

func (i *Instance) extraTokens() []string {
	var extras []string
	if i.LogBinEnabled && i.LogReplicationUpdatesEnabled {
		extras = append(extras, ">>")
	}
	if i.UsingGTID() || (i.IsMariaDB() && i.LogBinEnabled && !i.IsReplica()) || i.SupportsOracleGTID {
		if i.GtidErrant != "" {
			extras = append(extras, "GTID:errant")
		} else {
			extras = append(extras, "GTID")
		}
	}
	if i.UsingPseudoGTID {
		extras = append(extras, "P-GTID")
	}
	if i.SemiSyncMasterStatus {
		extras = append(extras, "semi:master")
	}
	if i.SemiSyncReplicaStatus {
		extras = append(extras, "semi:replica")
	}
	if i.IsDowntimed {
		extras = append(extras, "downtimed")
	}
	return extras
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
	key    InstanceKey
	name   string // indentation, +/- mark, host:port and (alias)
	tokens []string
}

// TopologyText renders a cluster as the indented tree operators know, with
// each instance's status in brackets. tabulated separates columns with '|'
// instead: the name, then one column per StatusTokens entry (the extras in
// one comma-joined column), each column padded to its widest cell.
func TopologyText(instances []*Instance, tabulated bool) string {
	lines := topologyLines(instances)
	if tabulated {
		return renderTabulated(lines)
	}
	return renderTree(lines, nil)
}

// TopologyTagsText is TopologyText with " [tag,tag=value]" after each
// line: the tags of each instance as given (an instance without tags gets
// "[]").
func TopologyTagsText(instances []*Instance, tags map[InstanceKey][]string) string {
	if tags == nil {
		tags = map[InstanceKey][]string{}
	}
	return renderTree(topologyLines(instances), tags)
}

// topologyLines orders the instances depth-first from the master. Each
// member of a co-master cycle is a branch of its own at depth 1; replicas
// whose master is not in the list start a tree of their own.
func topologyLines(instances []*Instance) []topologyLine {
	byKey := map[InstanceKey]*Instance{}
	children := map[InstanceKey][]*Instance{}
	for _, i := range instances {
		byKey[i.Key] = i
	}
	var roots []*Instance
	coMasterRoot := map[InstanceKey]bool{}
	for _, i := range instances {
		m, ok := byKey[i.MasterKey]
		switch {
		case !i.IsReplica() || !ok:
			roots = append(roots, i)
		case i.IsCoMaster && m.IsCoMaster && isAncestor(byKey, i.Key, m.Key):
			roots = append(roots, i)
			coMasterRoot[i.Key] = true
		default:
			children[i.MasterKey] = append(children[i.MasterKey], i)
		}
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
		lines = append(lines, topologyLine{key: i.Key, name: linePrefix(i, depth) + displayName(i), tokens: i.StatusTokens()})
		for _, c := range children[i.Key] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		depth := 0
		if coMasterRoot[r.Key] {
			depth = 1
		}
		walk(r, depth)
	}
	return lines
}

// linePrefix indents 2*(depth-1) spaces, then "+ " for a replica that
// replicates and was checked validly and recently, else "- ".
func linePrefix(i *Instance, depth int) string {
	if depth == 0 {
		return ""
	}
	mark := "- "
	if i.IsReplicating() && i.IsLastCheckValid && i.IsRecentlyChecked {
		mark = "+ "
	}
	return strings.Repeat("  ", depth-1) + mark
}

func displayName(i *Instance) string {
	if i.InstanceAlias != "" {
		return i.Key.String() + " (" + i.InstanceAlias + ")"
	}
	return i.Key.String()
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

// renderTree aligns every '[' one space after the longest name; with tags
// (non-nil) each line ends with its instance's tag group.
func renderTree(lines []topologyLine, tags map[InstanceKey][]string) string {
	width := 0
	for _, l := range lines {
		width = max(width, len(l.name))
	}
	var b strings.Builder
	for _, l := range lines {
		tokens := l.tokens
		if tokens[len(tokens)-1] == "" {
			tokens = tokens[:len(tokens)-1]
		}
		b.WriteString(l.name + strings.Repeat(" ", width-len(l.name)+1) + "[" + strings.Join(tokens, ",") + "]")
		if tags != nil {
			b.WriteString(" [" + strings.Join(tags[l.key], ",") + "]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// renderTabulated pads each column to its widest cell and separates
// columns with '|'; the name column keeps one space before its '|'.
func renderTabulated(lines []topologyLine) string {
	rows := make([][]string, len(lines))
	var widths []int
	for n, l := range lines {
		rows[n] = append([]string{l.name + " "}, l.tokens...)
		for c, cell := range rows[n] {
			if c == len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], len(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		var line strings.Builder
		for c, cell := range row {
			if c > 0 {
				line.WriteString("|")
			}
			line.WriteString(cell + strings.Repeat(" ", widths[c]-len(cell)))
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}
