package mysql

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// probe collects one probe's results while its steps run.
type probe struct {
	term     Terminology
	inst     *inst.Instance
	identity Identity
	warnings []error
	vars     row            // rpl_semi_sync% variables
	status   row            // the status variables in probeStatusVars
	replica  *ReplicaStatus // nil: not a replica
	lag      *sql.NullInt64 // from ReplicationLagQuery, when it succeeded
}

func newProbe(key inst.InstanceKey, term Terminology) *probe {
	return &probe{term: term, inst: &inst.Instance{Key: key}, vars: row{}, status: row{}}
}

func (p *probe) warn(err error) { p.warnings = append(p.warnings, err) }

// coreSteps are the statements every probe needs; a failure of any fails
// the probe.
func (p *probe) coreSteps() []step {
	fields := p.selectFields()
	exprs := make([]string, len(fields))
	for i, f := range fields {
		exprs[i] = f.expr
	}
	t := p.term
	steps := []step{
		{name: "SELECT @@global variables", query: "SELECT " + strings.Join(exprs, ", "), read: p.readVariables(fields)},
		{name: "SHOW GLOBAL STATUS", query: "SHOW GLOBAL STATUS WHERE Variable_name IN ('" + strings.Join(probeStatusVars, "', '") + "')",
			read: readNameValues(p.status)},
	}
	if !t.builtinSemiSync() {
		// A plugin's variables may be missing: @@name would fail the SELECT.
		steps = append(steps, step{name: "SHOW GLOBAL VARIABLES", query: "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'",
			read: readNameValues(p.vars)})
	}
	return append(steps,
		step{name: t.ShowMasterStatus, query: t.ShowMasterStatus, read: p.readMasterStatus},
		step{name: t.ShowReplicaStatus, query: t.ShowReplicaStatus, read: p.readReplicaStatus},
		step{name: t.ShowReplicas, query: t.ShowReplicas, read: p.readReplicas})
}

// selectField is one expression of the probe's SELECT and where its value goes.
type selectField struct {
	expr string
	set  func(v string)
}

// probeStatusVars are the status variables a probe reads (both spellings
// of the semi-sync ones; MariaDB's replica heartbeat counters).
var probeStatusVars = []string{
	"Uptime", "Rpl_semi_sync_master_status", "Rpl_semi_sync_master_clients", "Rpl_semi_sync_slave_status",
	"Rpl_semi_sync_source_status", "Rpl_semi_sync_source_clients", "Rpl_semi_sync_replica_status",
	"Slave_heartbeat_period", "Slave_received_heartbeats",
}

// selectFields is the flavour's list of @@variables. Only variables the
// server is sure to have: a missing one fails the statement.
func (p *probe) selectFields() []selectField {
	i, t := p.inst, p.term
	str := func(expr string, dst *string) selectField {
		return selectField{expr, func(v string) { *dst = v }}
	}
	boolean := func(expr string, dst *bool) selectField {
		return selectField{expr, func(v string) { *dst = parseBool(v) }}
	}
	f := []selectField{
		str("@@global.version", &i.Version),
		str("@@global.version_comment", &i.VersionComment),
		{"@@global.server_id", func(v string) { i.ServerID = parseUint(v) }},
		boolean("@@global.read_only", &i.ReadOnly),
		boolean("@@global.log_bin", &i.LogBinEnabled),
		boolean("@@global."+t.LogReplicaUpdates, &i.LogReplicationUpdatesEnabled),
		str("@@global.binlog_format", &i.Binlog_format),
		str("@@global.hostname", &p.identity.Hostname),
		str("@@global.report_host", &p.identity.ReportHost),
		{"@@global.report_port", func(v string) { p.identity.ReportPort = int(parseUint(v)) }},
	}
	v := t.Version
	if (t.IsMariaDB() && v.AtLeast(10, 1, 6)) || (!t.IsMariaDB() && v.AtLeast(5, 6, 2)) {
		f = append(f, str("@@global.binlog_row_image", &i.BinlogRowImage))
	}
	if t.IsMariaDB() && v.AtLeast(10, 0, 2) {
		f = append(f, str("@@global.gtid_current_pos", &i.MariaDBGtidCurrentPos),
			str("@@global.gtid_slave_pos", &i.MariaDBGtidSlavePos),
			str("@@global.gtid_binlog_pos", &i.MariaDBGtidBinlogPos))
	}
	if t.hasOracleGTID() {
		f = append(f, str("@@global.server_uuid", &i.ServerUUID), str("@@global.gtid_mode", &i.GTIDMode),
			selectField{"@@global.gtid_executed", func(v string) { i.ExecutedGtidSet = cleanGTIDSet(v) }},
			selectField{"@@global.gtid_purged", func(v string) { i.GtidPurged = cleanGTIDSet(v) }})
	}
	if t.hasSuperReadOnly() {
		f = append(f, boolean("@@global.super_read_only", &i.SuperReadOnly))
	}
	if t.builtinSemiSync() {
		for _, name := range []string{"rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled", "rpl_semi_sync_master_timeout"} {
			f = append(f, selectField{"@@global." + name, func(v string) { p.vars[name] = nullString{s: v, valid: true} }})
		}
	}
	return f
}

// readNameValues reads SHOW VARIABLES / SHOW STATUS rows into dst.
func readNameValues(dst row) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		all, err := readRows(rows)
		for _, r := range all {
			dst[strings.ToLower(r.str("Variable_name"))] = nullString{s: r.str("Value"), valid: true}
		}
		return err
	}
}

func (p *probe) readVariables(fields []selectField) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		vals, err := readValues(rows)
		if err != nil {
			return err
		}
		if len(vals) != len(fields) {
			return fmt.Errorf("expected %d values, got %d", len(fields), len(vals))
		}
		for k, f := range fields {
			f.set(vals[k].String)
		}
		return nil
	}
}

func (p *probe) readMasterStatus(rows *sql.Rows) error {
	r, err := readFirstRow(rows)
	if err != nil || r == nil {
		return err
	}
	p.inst.SelfBinlogCoordinates = inst.BinlogCoordinates{LogFile: r.str("File"), LogPos: r.int("Position"), Type: inst.BinaryLog}
	return nil
}

func (p *probe) readReplicaStatus(rows *sql.Rows) error {
	r, err := readFirstRow(rows)
	if err != nil || r == nil {
		return err
	}
	p.replica = parseReplicaStatus(r)
	return nil
}

// readReplicas reads SHOW SLAVE HOSTS / SHOW REPLICAS: the replicas that
// registered with report_host/report_port. Entries without a host or port
// are ignored; invalid ones become warnings.
func (p *probe) readReplicas(rows *sql.Rows) error {
	all, err := readRows(rows)
	if err != nil {
		return err
	}
	keys := []inst.InstanceKey{}
	for _, r := range all {
		host, port := r.str("Host"), r.int("Port")
		if host == "" || port == 0 {
			continue
		}
		key, err := inst.NewInstanceKey(host, int(port))
		if err != nil {
			p.warn(fmt.Errorf("%s: %w", p.term.ShowReplicas, err))
			continue
		}
		keys = append(keys, key)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].String() < keys[b].String() })
	p.inst.Replicas = keys
	return nil
}

// finish derives the fields computed from several results.
func (p *probe) finish(cfg *config.Config, patterns hostPatterns) {
	i := p.inst
	i.FlavorName = inst.Flavor(i.Version, i.VersionComment)
	i.ReplicationIOThreadState, i.ReplicationSQLThreadState = inst.ThreadStateNoThread, inst.ThreadStateNoThread
	if p.replica != nil {
		p.replica.applyTo(i)
		i.HeartbeatPeriod = parseFloat(p.status.str("Slave_heartbeat_period"))
		i.ReceivedHeartbeats = p.status.int("Slave_received_heartbeats")
	}
	if i.IsMariaDB() {
		// ExecutedGtidSet on MariaDB: what this server's binary log holds
		// (what its replicas can fetch), or, without a binary log, what it
		// has applied. Comparisons use MariaDBGtidCurrentPos (inst.ExecutedGTID).
		i.ExecutedGtidSet = i.MariaDBGtidCurrentPos
		if i.LogBinEnabled {
			i.ExecutedGtidSet = i.MariaDBGtidBinlogPos
		}
	}
	i.SupportsOracleGTID = strings.EqualFold(i.GTIDMode, "ON")
	i.Uptime = parseUint(p.status.str("Uptime"))
	p.applySemiSync()
	i.ReplicationLagSeconds = i.SecondsBehindMaster
	if p.lag != nil {
		i.ReplicationLagSeconds = *p.lag
	}
	i.ReplicationCredentialsAvailable = cfg.ReplicationCredentialsQuery != ""
	if i.DataCenter == "" {
		i.DataCenter = match(patterns.dataCenter, i.Key.Hostname)
	}
	if i.Region == "" {
		i.Region = match(patterns.region, i.Key.Hostname)
	}
	if i.PhysicalEnvironment == "" {
		i.PhysicalEnvironment = match(patterns.physicalEnvironment, i.Key.Hostname)
	}
	i.ReplicationIOThreadRuning = i.ReplicationIOThreadState == inst.ThreadStateRunning
	i.ReplicationSQLThreadRuning = i.ReplicationSQLThreadState == inst.ThreadStateRunning
	i.FillLegacy()
}

// applySemiSync reads semi-sync settings and state, under either spelling
// (rpl_semi_sync_master_* or rpl_semi_sync_source_*). MariaDB has no
// wait-for-replica-count variable: it always waits for one replica.
func (p *probe) applySemiSync() {
	i, v, st := p.inst, p.vars, p.status
	i.SemiSyncAvailable = v.has("rpl_semi_sync_master_enabled") && v.has("rpl_semi_sync_slave_enabled")
	i.SemiSyncMasterEnabled = v.bool("rpl_semi_sync_master_enabled")
	i.SemiSyncReplicaEnabled = v.bool("rpl_semi_sync_slave_enabled")
	i.SemiSyncMasterTimeout = uint64(max(v.int("rpl_semi_sync_master_timeout"), 0))
	switch {
	case v.has("rpl_semi_sync_master_wait_for_slave_count"):
		i.SemiSyncMasterWaitForReplicaCount = parseUint(v.str("rpl_semi_sync_master_wait_for_slave_count"))
	case v.has("rpl_semi_sync_master_enabled"):
		i.SemiSyncMasterWaitForReplicaCount = 1
	}
	i.SemiSyncMasterStatus = st.bool("rpl_semi_sync_master_status")
	i.SemiSyncMasterClients = parseUint(st.str("rpl_semi_sync_master_clients"))
	i.SemiSyncReplicaStatus = st.bool("rpl_semi_sync_slave_status")
}
