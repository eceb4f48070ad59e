package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"orchestrator/go/inst"
)

// ReplicaStatus is a server's SHOW SLAVE STATUS / SHOW REPLICA STATUS
// (default connection), read by column name under either spelling.
type ReplicaStatus struct {
	IsReplica        bool // a replication channel is configured (a row was returned)
	MasterKey        inst.InstanceKey
	MasterUUID       string // Oracle only
	MasterServerID   uint
	User             string
	IOThread         inst.ReplicationThreadState
	SQLThread        inst.ReplicationThreadState
	IOState          string // Slave_IO_State
	SQLState         string // Slave_SQL_Running_State
	ReadCoordinates  inst.BinlogCoordinates
	ExecCoordinates  inst.BinlogCoordinates
	RelayCoordinates inst.BinlogCoordinates
	LastIOErrno      int64
	LastIOError      string
	LastSQLErrno     int64
	LastSQLError     string
	SecondsBehind    sql.NullInt64
	SQLDelay         uint
	ConnectRetry     int64
	HasFilters       bool
	SSLAllowed       bool
	UsingGtid        string // MariaDB: No, Slave_Pos, Current_Pos
	GtidIOPos        string // MariaDB: Gtid_IO_Pos
	GtidSlavePos     string // MariaDB: @@gtid_slave_pos (ReplicationStatus only)
	AutoPosition     bool   // Oracle: Auto_Position=1
	RetrievedGtidSet string // Oracle
	ExecutedGtidSet  string // Oracle
}

// UsingMariaDBGTID reports MASTER_USE_GTID other than no.
func (st *ReplicaStatus) UsingMariaDBGTID() bool {
	return st.UsingGtid != "" && !strings.EqualFold(st.UsingGtid, "No")
}

// UsingGTID reports GTID replication of either flavour.
func (st *ReplicaStatus) UsingGTID() bool { return st.AutoPosition || st.UsingMariaDBGTID() }

// ThreadsStopped reports neither thread running nor trying to (Connecting
// counts as running).
func (st *ReplicaStatus) ThreadsStopped() bool {
	return st.IOThread <= inst.ThreadStateStopped && st.SQLThread <= inst.ThreadStateStopped
}

// filterColumns are the replication filters: any non-empty one means the
// replica does not apply everything its master logs.
var filterColumns = []string{
	"Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
	"Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Replicate_Rewrite_DB",
	"Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids",
}

func parseReplicaStatus(r row) *ReplicaStatus {
	st := &ReplicaStatus{
		IsReplica:        true,
		MasterKey:        inst.InstanceKey{Hostname: strings.ToLower(r.str("Master_Host")), Port: int(r.int("Master_Port"))},
		MasterUUID:       r.str("Master_UUID"),
		MasterServerID:   parseUint(r.str("Master_Server_Id")),
		User:             r.str("Master_User"),
		IOThread:         inst.ThreadStateFromStatus(r.str("Slave_IO_Running")),
		SQLThread:        inst.ThreadStateFromStatus(r.str("Slave_SQL_Running")),
		IOState:          r.str("Slave_IO_State"),
		SQLState:         r.str("Slave_SQL_Running_State"),
		ReadCoordinates:  inst.BinlogCoordinates{LogFile: r.str("Master_Log_File"), LogPos: r.int("Read_Master_Log_Pos")},
		ExecCoordinates:  inst.BinlogCoordinates{LogFile: r.str("Relay_Master_Log_File"), LogPos: r.int("Exec_Master_Log_Pos")},
		RelayCoordinates: inst.BinlogCoordinates{LogFile: r.str("Relay_Log_File"), LogPos: r.int("Relay_Log_Pos"), Type: inst.RelayLog},
		LastIOErrno:      r.int("Last_IO_Errno"),
		LastIOError:      r.str("Last_IO_Error"),
		LastSQLErrno:     r.int("Last_SQL_Errno"),
		LastSQLError:     r.str("Last_SQL_Error"),
		SQLDelay:         parseUint(r.str("SQL_Delay")),
		ConnectRetry:     r.int("Connect_Retry"),
		SSLAllowed:       strings.EqualFold(r.str("Master_SSL_Allowed"), "Yes"),
		UsingGtid:        r.str("Using_Gtid"),
		GtidIOPos:        r.str("Gtid_IO_Pos"),
		AutoPosition:     r.int("Auto_Position") == 1,
		RetrievedGtidSet: cleanGTIDSet(r.str("Retrieved_Gtid_Set")),
		ExecutedGtidSet:  cleanGTIDSet(r.str("Executed_Gtid_Set")),
	}
	if n, ok := r.nullInt("Seconds_Behind_Master"); ok {
		st.SecondsBehind = sql.NullInt64{Int64: max(n, 0), Valid: true}
	}
	for _, c := range filterColumns {
		if r.str(c) != "" {
			st.HasFilters = true
		}
	}
	return st
}

// applyTo copies the replication fields into an Instance.
func (st *ReplicaStatus) applyTo(i *inst.Instance) {
	i.MasterKey = st.MasterKey
	i.MasterUUID = st.MasterUUID
	i.ReplicationUser = st.User
	i.HasReplicationCredentials = st.User != ""
	i.ReplicationIOThreadState, i.ReplicationSQLThreadState = st.IOThread, st.SQLThread
	i.ReadBinlogCoordinates = st.ReadCoordinates
	i.ExecBinlogCoordinates = st.ExecCoordinates
	i.RelaylogCoordinates = st.RelayCoordinates
	i.IsDetached = strings.HasPrefix(st.ExecCoordinates.LogFile, "//")
	i.IsDetachedMaster = st.MasterKey.IsDetached()
	i.LastIOError, i.LastSQLError = st.LastIOError, st.LastSQLError
	i.SecondsBehindMaster = st.SecondsBehind
	i.SQLDelay = st.SQLDelay
	i.HasReplicationFilters = st.HasFilters
	i.AllowTLS = st.SSLAllowed
	i.UsingOracleGTID = st.AutoPosition
	i.UsingMariaDBGTID = st.UsingMariaDBGTID()
	i.MariaDBUsingGtid = st.UsingGtid
	i.MariaDBGtidIOPos = st.GtidIOPos
}

// ReplicationStatus is a light read of a server's replication state for
// wait loops: one round trip (SHOW SLAVE STATUS, plus @@gtid_slave_pos on
// MariaDB). A server that is not a replica returns IsReplica false and
// both threads ThreadStateNoThread.
func (in *Inspector) ReplicationStatus(ctx context.Context, key inst.InstanceKey) (*ReplicaStatus, error) {
	st, err := in.replicationStatus(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("replication status of %s: %w", key, in.c.Redact(err))
	}
	return st, nil
}

func (in *Inspector) replicationStatus(ctx context.Context, key inst.InstanceKey) (*ReplicaStatus, error) {
	db, err := in.c.DB(key)
	if err != nil {
		return nil, err
	}
	s := &session{q: db}
	srv, err := in.server(ctx, key, s)
	if err != nil {
		return nil, err
	}
	st := &ReplicaStatus{IOThread: inst.ThreadStateNoThread, SQLThread: inst.ThreadStateNoThread}
	steps := []step{{name: srv.term.ShowReplicaStatus, query: srv.term.ShowReplicaStatus, read: func(rows *sql.Rows) error {
		r, err := readFirstRow(rows)
		if err == nil && r != nil {
			st = parseReplicaStatus(r)
		}
		return err
	}}}
	var slavePos string
	if srv.term.IsMariaDB() {
		steps = append(steps, step{name: "SELECT @@gtid_slave_pos", query: "SELECT @@global.gtid_slave_pos",
			read: readString(func(v string) { slavePos = v })})
	}
	if err := runSteps(ctx, s, srv, steps, func(error) {}); err != nil {
		return nil, err
	}
	st.GtidSlavePos = slavePos
	return st, nil
}

// BinaryLogs lists the server's binary logs, oldest first (SHOW BINARY LOGS).
func (in *Inspector) BinaryLogs(ctx context.Context, key inst.InstanceKey) ([]string, error) {
	logs, err := in.binaryLogs(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("binary logs of %s: %w", key, in.c.Redact(err))
	}
	return logs, nil
}

func (in *Inspector) binaryLogs(ctx context.Context, key inst.InstanceKey) ([]string, error) {
	db, err := in.c.DB(key)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	all, err := readRows(rows)
	if err != nil {
		return nil, err
	}
	logs := make([]string, 0, len(all))
	for _, r := range all {
		logs = append(logs, r.str("Log_name"))
	}
	return logs, nil
}

// ErrNotConfigured: the configuration key an operation needs is empty.
var ErrNotConfigured = errors.New("not configured")

// ReadReplicationCredentials runs ReplicationCredentialsQuery on key and
// returns its first row's user and password. The password never appears
// in an error.
func (in *Inspector) ReadReplicationCredentials(ctx context.Context, key inst.InstanceKey) (user, password string, err error) {
	query := trimQuery(in.cfg.ReplicationCredentialsQuery)
	if query == "" {
		return "", "", fmt.Errorf("replication credentials of %s: ReplicationCredentialsQuery %w", key, ErrNotConfigured)
	}
	db, err := in.c.DB(key)
	if err != nil {
		return "", "", fmt.Errorf("replication credentials of %s: %w", key, err)
	}
	var u, p sql.NullString
	if err := db.QueryRowContext(ctx, query).Scan(&u, &p); err != nil {
		return "", "", fmt.Errorf("replication credentials of %s: %w", key, in.c.Redact(err, p.String))
	}
	return u.String, p.String, nil
}

// BinlogEvent is one event of a binary log (SHOW BINLOG EVENTS).
type BinlogEvent struct {
	Type     string
	Pos, End int64
	Info     string
}

// BinlogEvents lists up to limit events of key's binary log file starting
// at offset from (which must be an event's start).
func (in *Inspector) BinlogEvents(ctx context.Context, key inst.InstanceKey, file string, from int64, limit int) ([]BinlogEvent, error) {
	events, err := in.binlogEvents(ctx, key, file, from, limit)
	if err != nil {
		return nil, fmt.Errorf("binlog events of %s at %s:%d: %w", key, file, from, in.c.Redact(err))
	}
	return events, nil
}

func (in *Inspector) binlogEvents(ctx context.Context, key inst.InstanceKey, file string, from int64, limit int) ([]BinlogEvent, error) {
	db, err := in.c.DB(key)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SHOW BINLOG EVENTS IN ? FROM ? LIMIT ?", file, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	all, err := readRows(rows)
	if err != nil {
		return nil, err
	}
	events := make([]BinlogEvent, 0, len(all))
	for _, r := range all {
		events = append(events, BinlogEvent{Type: r.str("Event_type"), Pos: r.int("Pos"), End: r.int("End_log_pos"), Info: r.str("Info")})
	}
	return events, nil
}

// BinlogStartGTIDs returns the GTID state a binary log file opens with:
// its Gtid_list event on MariaDB ("0-1-5,1-2-9"), its Previous_gtids event
// on MySQL (a GTID set); "" when the file has none (GTID never used).
func (in *Inspector) BinlogStartGTIDs(ctx context.Context, key inst.InstanceKey, file string) (string, error) {
	events, err := in.BinlogEvents(ctx, key, file, 4, 4)
	if err != nil {
		return "", err
	}
	for _, e := range events {
		if e.Type == "Gtid_list" || e.Type == "Previous_gtids" {
			return strings.Trim(strings.TrimSpace(e.Info), "[]"), nil
		}
	}
	return "", nil
}
