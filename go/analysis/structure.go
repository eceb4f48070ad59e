package analysis

import (
	"fmt"
	"sort"
	"strings"

	"orchestrator/go/inst"
)

// warning is one structure check: informational, independent of the code.
type warning struct {
	code  Code
	check func(f *facts, t topo) (bool, string) // holds, and the detail
}

// topo is what the structure checks need about the replicas.
type topo struct {
	logging      []*inst.Instance
	formats      map[string][]*inst.Instance // binlog format -> logging replicas
	majors       map[string]bool             // major versions of logging replicas
	oracleGTID   bool                        // every valid replica uses Oracle GTID
	mariadbGTID  bool
	binlogServer bool
}

func newTopo(f *facts, s Snapshot) topo {
	t := topo{logging: f.loggingReplicas(), formats: map[string][]*inst.Instance{}, majors: map[string]bool{}}
	for _, r := range t.logging {
		format := strings.ToUpper(r.Binlog_format)
		t.formats[format] = append(t.formats[format], r)
		t.majors[inst.ParseVersion(r.Version).MajorString()] = true
	}
	t.oracleGTID = f.allValidReplicas(func(r *inst.Instance) bool { return r.UsingOracleGTID })
	t.mariadbGTID = f.allValidReplicas(func(r *inst.Instance) bool { return r.UsingMariaDBGTID })
	t.binlogServer = f.allValidReplicas(func(r *inst.Instance) bool { return s.BinlogServers[r.Key] })
	return t
}

var warnings = []warning{
	{NoLoggingReplicasStructureWarning, func(f *facts, t topo) (bool, string) {
		return f.isMaster && f.countReplicas() > 1 && len(t.logging) == 0,
			fmt.Sprintf("none of the %d replicas has log_bin and log_slave_updates", f.countReplicas())
	}},
	{NoFailoverSupportStructureWarning, func(f *facts, t topo) (bool, string) {
		return f.isMaster && f.countReplicas() > 1 && !t.oracleGTID && !t.mariadbGTID && !t.binlogServer && !f.m.UsingPseudoGTID,
			"not every replica replicates by GTID (Oracle or MariaDB), and there are no binlog servers or pseudo-GTID"
	}},
	{StatementAndMixedLoggingReplicasStructureWarning, formatsWarning("STATEMENT", "MIXED")},
	{StatementAndRowLoggingReplicasStructureWarning, formatsWarning("STATEMENT", "ROW")},
	{MixedAndRowLoggingReplicasStructureWarning, formatsWarning("MIXED", "ROW")},
	{MultipleMajorVersionsLoggingReplicasStructureWarning, func(f *facts, t topo) (bool, string) {
		return f.isMaster && len(t.majors) > 1, "logging replicas run major versions " + strings.Join(sortedKeys(t.majors), ", ")
	}},
	{DifferentGTIDModesStructureWarning, func(f *facts, _ topo) (bool, string) {
		var odd []*inst.Instance
		for _, r := range f.replicas {
			if r.GTIDMode != f.m.GTIDMode {
				odd = append(odd, r)
			}
		}
		return len(odd) > 0, fmt.Sprintf("%s has gtid_mode %q; replicas differ: %s", f.m.Key, f.m.GTIDMode,
			keysWith(odd, func(r *inst.Instance) string { return "gtid_mode " + r.GTIDMode }))
	}},
	{ErrantGTIDStructureWarning, func(f *facts, _ topo) (bool, string) {
		errant := errantReplicas(f)
		return len(errant) > 0, "replicas with errant GTID: " + keysWith(errant, func(r *inst.Instance) string { return r.GtidErrant })
	}},
	{NoWriteableMasterStructureWarning, func(f *facts, _ topo) (bool, string) {
		return f.isMaster && f.m.ReadOnly, fmt.Sprintf("master %s is read_only", f.m.Key)
	}},
	{NotEnoughValidSemiSyncReplicasStructureWarning, func(f *facts, _ topo) (bool, string) {
		m := f.m
		return f.isMaster && m.SemiSyncMasterEnabled && !m.SemiSyncMasterStatus && m.SemiSyncMasterWaitForReplicaCount > 0 &&
				m.SemiSyncMasterClients < m.SemiSyncMasterWaitForReplicaCount,
			fmt.Sprintf("semi-sync enabled but inactive on %s: %d semi-sync clients, waits for %d",
				m.Key, m.SemiSyncMasterClients, m.SemiSyncMasterWaitForReplicaCount)
	}},
}

// formatsWarning: logging replicas use both formats a and b.
func formatsWarning(a, b string) func(f *facts, t topo) (bool, string) {
	return func(f *facts, t topo) (bool, string) {
		return f.isMaster && len(t.formats[a]) > 0 && len(t.formats[b]) > 0,
			fmt.Sprintf("logging replicas use %s (%s) and %s (%s)", a, keys(t.formats[a]), b, keys(t.formats[b]))
	}
}

// errantReplicas are the replicas with errant GTID that are not downtimed.
func errantReplicas(f *facts) []*inst.Instance {
	downtimed := map[*inst.Instance]bool{}
	for _, r := range f.downtimed {
		downtimed[r] = true
	}
	var out []*inst.Instance
	for _, r := range f.replicas {
		if r.GtidErrant != "" && !downtimed[r] {
			out = append(out, r)
		}
	}
	return out
}

// structureWarnings returns the warnings that hold and a line per warning.
func structureWarnings(f *facts, s Snapshot) ([]Code, []string) {
	t := newTopo(f, s)
	codes, lines := []Code{}, []string(nil)
	for _, w := range warnings {
		if ok, detail := w.check(f, t); ok {
			codes = append(codes, w.code)
			lines = append(lines, fmt.Sprintf("%s: %s", w.code, detail))
		}
	}
	return codes, lines
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
