package analysis

import (
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// reach says whether orchestrator reaches the analysed instance.
func reach(f *facts) string {
	m := f.m
	if f.valid {
		return fmt.Sprintf("orchestrator reaches %s (last check valid)", m.Key)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "orchestrator cannot reach %s (last check invalid", m.Key)
	if m.LastSeen.IsZero() {
		b.WriteString("; never seen")
	} else {
		fmt.Fprintf(&b, " since %s; last seen %s ago", inst.FormatTime(m.LastSeen), fmtDur(f.now.Sub(m.LastSeen)))
	}
	if m.LastProbeError != "" {
		fmt.Fprintf(&b, "; last probe error: %s", m.LastProbeError)
	}
	b.WriteString(")")
	if f.partial {
		b.WriteString("; the probe connected but some reads failed (partial success)")
	}
	return b.String()
}

// explainDead covers the Dead* and Unreachable* codes: reachability of the
// instance, then what each replica says about it.
func explainDead(f *facts, _ Options) []string {
	out := []string{reach(f)}
	if f.countReplicas() == 0 {
		return append(out, fmt.Sprintf("%s has no replicas to confirm or deny it", f.m.Key))
	}
	out = append(out, replicaEvidence(f)...)
	switch {
	case f.countValid() == 0:
		out = append(out, "no replica can be reached to give evidence either way")
	case len(f.alive) == 0:
		out = append(out, fmt.Sprintf("all %d reachable replicas agree %s is gone", f.countValid(), f.m.Key))
	default:
		out = append(out, fmt.Sprintf("not treated as dead: %d of %d reachable replicas still receive from %s",
			len(f.alive), f.countValid(), f.m.Key))
	}
	return out
}

// replicaEvidence lists what the replicas say, one line per kind.
func replicaEvidence(f *facts) []string {
	var out []string
	n := f.countReplicas()
	if len(f.failing) > 0 {
		out = append(out, fmt.Sprintf("%d of %d replicas are failing to connect to it: %s", len(f.failing), n, keysWith(f.failing, ioError)))
	}
	if other := without(f.ioDown, f.failing); len(other) > 0 {
		out = append(out, fmt.Sprintf("%d of %d replicas have their IO thread not running: %s", len(other), n, keysWith(other, threads)))
	}
	for _, r := range f.stalled {
		out = append(out, fmt.Sprintf("replica %s shows its IO thread running but has received nothing for %s "+
			"(more than max(2 × heartbeat period %s, 2s) = %s): its IO thread is effectively dead",
			r.Key, fmtDur(f.stalledFor[r.Key]), fmtDur(time.Duration(r.HeartbeatPeriod*float64(time.Second))), fmtDur(stallThreshold(r))))
	}
	for _, r := range f.alive {
		line := fmt.Sprintf("replica %s still has its IO thread connected: evidence %s is alive", r.Key, f.m.Key)
		if r.ReplicationSQLThreadState != inst.ThreadStateRunning {
			line += " (its SQL thread is not running)"
		}
		out = append(out, line)
	}
	if len(f.invalidReplicas) > 0 {
		out = append(out, fmt.Sprintf("%d of %d replicas cannot be reached by orchestrator either: %s", len(f.invalidReplicas), n, keys(f.invalidReplicas)))
	}
	return out
}

func explainLagging(f *facts, o Options) []string {
	out := []string{reach(f)}
	out = append(out, fmt.Sprintf("all %d replicas lag more than %ds: %s", f.countReplicas(), o.ReasonableReplicationLagSeconds, keysWith(f.lagging, lag)))
	if len(f.delayed) > 0 {
		out = append(out, fmt.Sprintf("%d of them are delayed on purpose (SQL_Delay): %s", len(f.delayed), keys(f.delayed)))
	}
	return append(out, replicaEvidence(f)...)
}

func explainSemiSync(f *facts, o Options) []string {
	m := f.m
	out := []string{fmt.Sprintf("semi-sync master %s waits for %d acknowledgements and has %d semi-sync clients",
		m.Key, m.SemiSyncMasterWaitForReplicaCount, m.SemiSyncMasterClients)}
	if f.semiSyncTooMany() {
		return append(out, "more semi-sync replicas than it waits for (EnforceExactSemiSyncReplicas)")
	}
	if f.staleCoords {
		return append(out, fmt.Sprintf("its binlog coordinates %s have not moved for %s (more than %s): writes are blocked",
			m.SelfBinlogCoordinates, fmtDur(f.staleFor), fmtDur(o.lockedSemiSyncThreshold())))
	}
	return append(out, fmt.Sprintf("its binlog coordinates have stood still for %s of the %s needed to call it locked",
		fmtDur(f.staleFor), fmtDur(o.lockedSemiSyncThreshold())))
}

func explainReadOnly(f *facts, _ Options) []string {
	return []string{
		reach(f),
		fmt.Sprintf("master %s is read_only while %d replicas replicate from it: %s", f.m.Key, len(f.replicating), keys(f.replicating)),
	}
}

func explainNotReplicating(f *facts, _ Options) []string {
	out := []string{reach(f)}
	notRepl := without(f.validReplicas, f.replicating)
	if len(notRepl) > 0 {
		out = append(out, fmt.Sprintf("%d of %d replicas are not replicating: %s", len(notRepl), f.countReplicas(), keysWith(notRepl, threads)))
	}
	if len(f.invalidReplicas) > 0 {
		out = append(out, fmt.Sprintf("%d of %d replicas cannot be reached by orchestrator: %s", len(f.invalidReplicas), f.countReplicas(), keys(f.invalidReplicas)))
	}
	return out
}

func explainFailingToConnect(f *facts, _ Options) []string {
	m := f.m
	what := "replica"
	if f.binlogServer {
		what = "binlog server"
	}
	return []string{
		reach(f),
		fmt.Sprintf("%s %s cannot connect to its master %s (IO error: %s)", what, m.Key, m.MasterKey, m.LastIOError),
	}
}

func keys(rs []*inst.Instance) string {
	return keysWith(rs, func(*inst.Instance) string { return "" })
}

// keysWith joins replica keys, each followed by " (detail)" when non-empty.
func keysWith(rs []*inst.Instance, detail func(*inst.Instance) string) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		if d := detail(r); d != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", r.Key, d))
		} else {
			parts = append(parts, r.Key.String())
		}
	}
	return strings.Join(parts, ", ")
}

func ioError(r *inst.Instance) string { return "IO error: " + r.LastIOError }

func lag(r *inst.Instance) string { return fmt.Sprintf("lag %ds", r.ReplicationLagSeconds.Int64) }

func threads(r *inst.Instance) string {
	s := fmt.Sprintf("IO %s, SQL %s", threadName(r.ReplicationIOThreadState), threadName(r.ReplicationSQLThreadState))
	if r.LastIOError != "" {
		s += "; IO error: " + r.LastIOError
	}
	if r.LastSQLError != "" {
		s += "; SQL error: " + r.LastSQLError
	}
	return s
}

func threadName(s inst.ReplicationThreadState) string {
	switch s {
	case inst.ThreadStateRunning:
		return "running"
	case inst.ThreadStateStopped:
		return "stopped"
	case inst.ThreadStateOther:
		return "connecting"
	}
	return "absent"
}

// without returns the instances of all that are not in some.
func without(all, some []*inst.Instance) []*inst.Instance {
	skip := map[*inst.Instance]bool{}
	for _, r := range some {
		skip[r] = true
	}
	var out []*inst.Instance
	for _, r := range all {
		if !skip[r] {
			out = append(out, r)
		}
	}
	return out
}

func fmtDur(d time.Duration) string {
	if d >= time.Second || d <= -time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}
