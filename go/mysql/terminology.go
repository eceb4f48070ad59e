package mysql

import (
	"strings"

	"orchestrator/go/inst"
)

// Terminology is the replication vocabulary of one server, chosen from its
// version string: statements, CHANGE ... TO option names, functions and
// variable names. Every statement the Inspector and the Applier send that
// differs between flavours or versions comes from here.
type Terminology struct {
	Flavor  string // inst.FlavorMySQL, inst.FlavorMariaDB, inst.FlavorPercona
	Version inst.Version

	ShowReplicaStatus string // SHOW SLAVE STATUS | SHOW REPLICA STATUS
	ShowMasterStatus  string // SHOW MASTER STATUS | SHOW BINARY LOG STATUS
	ShowReplicas      string // SHOW SLAVE HOSTS | SHOW REPLICAS
	StartReplica      string // START SLAVE | START REPLICA
	StopReplica       string
	StartIOThread     string // START SLAVE IO_THREAD
	StopIOThread      string
	StartSQLThread    string
	StopSQLThread     string
	ResetReplicaAll   string // RESET SLAVE ALL | RESET REPLICA ALL
	ResetMaster       string // RESET MASTER | RESET BINARY LOGS AND GTIDS
	ChangeMaster      string // CHANGE MASTER TO | CHANGE REPLICATION SOURCE TO
	OptionPrefix      string // MASTER | SOURCE: MASTER_HOST vs SOURCE_HOST
	PosWaitFunction   string // MASTER_POS_WAIT | SOURCE_POS_WAIT
	SkipCounterVar    string // sql_slave_skip_counter | sql_replica_skip_counter
	LogReplicaUpdates string // log_slave_updates | log_replica_updates
	// SourceColumns: SHOW REPLICA STATUS names its columns Source_Host,
	// Replica_IO_Running, ... (rows are read with both spellings anyway).
	SourceColumns bool
}

// TerminologyFor decides the vocabulary from @@version and @@version_comment.
//
// MariaDB (every version) keeps the SLAVE/MASTER words: it accepts some
// REPLICA aliases since 10.5 but CHANGE MASTER TO is its only syntax.
// Oracle MySQL and Percona switch in steps: 8.0.22 REPLICA statements and
// column names; 8.0.23 CHANGE REPLICATION SOURCE TO with SOURCE_* options;
// 8.0.26 SOURCE_POS_WAIT and the *_replica_* variables; 8.2 SHOW BINARY LOG
// STATUS and RESET BINARY LOGS AND GTIDS (8.4 removes the old spellings).
func TerminologyFor(version, comment string) Terminology {
	v := inst.ParseVersion(version)
	t := Terminology{
		Flavor:            inst.Flavor(version, comment),
		Version:           v,
		ShowReplicaStatus: "SHOW SLAVE STATUS",
		ShowMasterStatus:  "SHOW MASTER STATUS",
		ShowReplicas:      "SHOW SLAVE HOSTS",
		StartReplica:      "START SLAVE",
		StopReplica:       "STOP SLAVE",
		ResetReplicaAll:   "RESET SLAVE ALL",
		ResetMaster:       "RESET MASTER",
		ChangeMaster:      "CHANGE MASTER TO",
		OptionPrefix:      "MASTER",
		PosWaitFunction:   "MASTER_POS_WAIT",
		SkipCounterVar:    "sql_slave_skip_counter",
		LogReplicaUpdates: "log_slave_updates",
	}
	if t.Flavor != inst.FlavorMariaDB {
		oracleTerms(&t, v)
	}
	t.StartIOThread = t.StartReplica + " IO_THREAD"
	t.StopIOThread = t.StopReplica + " IO_THREAD"
	t.StartSQLThread = t.StartReplica + " SQL_THREAD"
	t.StopSQLThread = t.StopReplica + " SQL_THREAD"
	return t
}

func oracleTerms(t *Terminology, v inst.Version) {
	if v.AtLeast(8, 0, 22) {
		t.ShowReplicaStatus = "SHOW REPLICA STATUS"
		t.ShowReplicas = "SHOW REPLICAS"
		t.StartReplica = "START REPLICA"
		t.StopReplica = "STOP REPLICA"
		t.ResetReplicaAll = "RESET REPLICA ALL"
		t.SourceColumns = true
	}
	if v.AtLeast(8, 0, 23) {
		t.ChangeMaster = "CHANGE REPLICATION SOURCE TO"
		t.OptionPrefix = "SOURCE"
	}
	if v.AtLeast(8, 0, 26) {
		t.PosWaitFunction = "SOURCE_POS_WAIT"
		t.SkipCounterVar = "sql_replica_skip_counter"
		t.LogReplicaUpdates = "log_replica_updates"
	}
	if v.AtLeast(8, 2, 0) {
		t.ShowMasterStatus = "SHOW BINARY LOG STATUS"
		t.ResetMaster = "RESET BINARY LOGS AND GTIDS"
	}
}

// IsMariaDB reports the flavour.
func (t Terminology) IsMariaDB() bool { return t.Flavor == inst.FlavorMariaDB }

// Option names a CHANGE ... TO option: Option("HOST") is MASTER_HOST or
// SOURCE_HOST.
func (t Terminology) Option(name string) string { return t.OptionPrefix + "_" + name }

// hasOracleGTID reports a server with gtid_mode and server_uuid (5.6+).
func (t Terminology) hasOracleGTID() bool { return !t.IsMariaDB() && t.Version.AtLeast(5, 6, 0) }

// hasSuperReadOnly reports a server with @@super_read_only: Oracle MySQL
// 5.7.8+, Percona Server 5.6.21+. MariaDB has none.
func (t Terminology) hasSuperReadOnly() bool {
	switch t.Flavor {
	case inst.FlavorMariaDB:
		return false
	case inst.FlavorPercona:
		return t.Version.AtLeast(5, 6, 21)
	}
	return t.Version.AtLeast(5, 7, 8)
}

// builtinSemiSync reports semi-sync built into the server (MariaDB 10.3.3+),
// its variables always present.
func (t Terminology) builtinSemiSync() bool { return t.IsMariaDB() && t.Version.AtLeast(10, 3, 3) }

// perfSchemaVariables reports whether global variables and status are read
// from performance_schema (MySQL 5.7+) rather than information_schema.
func (t Terminology) perfSchemaVariables() bool { return !t.IsMariaDB() && t.Version.AtLeast(5, 7, 0) }

// row is one row of a SHOW ... STATUS-like result, by lower-cased column
// name. Columns differ by flavour and version, so lookups go by name and
// try both spellings (Master_Host / Source_Host, Slave_IO_Running /
// Replica_IO_Running, rpl_semi_sync_master_* / rpl_semi_sync_source_*).
type row map[string]nullString

// nullString is a column value; valid is false for SQL NULL.
type nullString struct {
	s     string
	valid bool
}

var newSpelling = strings.NewReplacer("master", "source", "slave", "replica")

// get finds a column by its old (MASTER/SLAVE) name, then by its new one.
// The name is lowered into a stack buffer (a probe makes dozens of lookups,
// and a map index by string(bytes) does not allocate).
func (r row) get(name string) (nullString, bool) {
	var buf [64]byte
	lower := buf[:0]
	for k := 0; k < len(name); k++ {
		c := name[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	if v, ok := r[string(lower)]; ok {
		return v, true
	}
	v, ok := r[newSpelling.Replace(string(lower))]
	return v, ok
}

// has reports whether the column exists.
func (r row) has(name string) bool {
	_, ok := r.get(name)
	return ok
}

// str is the column's text; "" for NULL or missing.
func (r row) str(name string) string {
	v, _ := r.get(name)
	return v.s
}

// int is the column as an integer; 0 for NULL, missing or not a number.
func (r row) int(name string) int64 {
	n, _ := parseInt(r.str(name))
	return n
}

// nullInt is the column as a nullable integer.
func (r row) nullInt(name string) (int64, bool) {
	v, _ := r.get(name)
	if !v.valid {
		return 0, false
	}
	return parseInt(v.s)
}

// bool reads ON/OFF, YES/NO, 1/0 columns and variables.
func (r row) bool(name string) bool { return parseBool(r.str(name)) }
