package sim

import (
	"strconv"
	"strings"
	"time"
)

// Column lists of SHOW SLAVE STATUS in the old (MASTER/SLAVE) spelling;
// SHOW REPLICA STATUS on MySQL 8.0.22+ renames every Master to Source and
// Slave to Replica.
var (
	oracleReplicaColumns = []string{
		"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Connect_Retry", "Master_Log_File",
		"Read_Master_Log_Pos", "Relay_Log_File", "Relay_Log_Pos", "Relay_Master_Log_File", "Slave_IO_Running",
		"Slave_SQL_Running", "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
		"Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Last_Errno", "Last_Error", "Skip_Counter",
		"Exec_Master_Log_Pos", "Relay_Log_Space", "Until_Condition", "Until_Log_File", "Until_Log_Pos",
		"Master_SSL_Allowed", "Master_SSL_CA_File", "Master_SSL_CA_Path", "Master_SSL_Cert", "Master_SSL_Cipher",
		"Master_SSL_Key", "Seconds_Behind_Master", "Master_SSL_Verify_Server_Cert", "Last_IO_Errno", "Last_IO_Error",
		"Last_SQL_Errno", "Last_SQL_Error", "Replicate_Ignore_Server_Ids", "Master_Server_Id", "Master_UUID",
		"Master_Info_File", "SQL_Delay", "SQL_Remaining_Delay", "Slave_SQL_Running_State", "Master_Retry_Count",
		"Master_Bind", "Last_IO_Error_Timestamp", "Last_SQL_Error_Timestamp", "Master_SSL_Crl", "Master_SSL_Crlpath",
		"Retrieved_Gtid_Set", "Executed_Gtid_Set", "Auto_Position", "Replicate_Rewrite_DB", "Channel_Name",
		"Master_TLS_Version",
	}
	mariadbReplicaColumns = []string{
		"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Connect_Retry", "Master_Log_File",
		"Read_Master_Log_Pos", "Relay_Log_File", "Relay_Log_Pos", "Relay_Master_Log_File", "Slave_IO_Running",
		"Slave_SQL_Running", "Replicate_Rewrite_DB", "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table",
		"Replicate_Ignore_Table", "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Last_Errno", "Last_Error",
		"Skip_Counter", "Exec_Master_Log_Pos", "Relay_Log_Space", "Until_Condition", "Until_Log_File", "Until_Log_Pos",
		"Master_SSL_Allowed", "Master_SSL_CA_File", "Master_SSL_CA_Path", "Master_SSL_Cert", "Master_SSL_Cipher",
		"Master_SSL_Key", "Seconds_Behind_Master", "Master_SSL_Verify_Server_Cert", "Last_IO_Errno", "Last_IO_Error",
		"Last_SQL_Errno", "Last_SQL_Error", "Replicate_Ignore_Server_Ids", "Master_Server_Id", "Master_SSL_Crl",
		"Master_SSL_Crlpath", "Using_Gtid", "Gtid_IO_Pos", "Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids",
		"Parallel_Mode", "SQL_Delay", "SQL_Remaining_Delay", "Slave_SQL_Running_State", "Slave_DDL_Groups",
		"Slave_Non_Transactional_Groups", "Slave_Transactional_Groups",
	}
	newSpellingColumn = strings.NewReplacer("Master", "Source", "Slave", "Replica")
)

// replicaStatus answers SHOW SLAVE STATUS / SHOW REPLICA STATUS: no row on
// a master, else one row in the server's spelling.
func (s *Server) replicaStatus(now time.Time, sourceColumns bool) *resultSet {
	cols := oracleReplicaColumns
	if s.IsMariaDB() {
		cols = mariadbReplicaColumns
	}
	rs := &resultSet{columns: make([]string, len(cols))}
	for i, c := range cols {
		rs.columns[i] = c
		if sourceColumns {
			rs.columns[i] = newSpellingColumn.Replace(c)
		}
	}
	if s.master == nil {
		return rs
	}
	values := s.replicaValues(now)
	row := make([]*string, len(cols))
	for i, c := range cols {
		if v, ok := values[c]; ok {
			row[i] = v
		} else {
			row[i] = str("")
		}
	}
	rs.rows = [][]*string{row}
	return rs
}

func itoa(n int64) *string { return str(strconv.FormatInt(n, 10)) }

// replicaValues are the replica's status columns by their old names.
func (s *Server) replicaValues(now time.Time) map[string]*string {
	m := s.master
	received, applied := s.receivedTrx(now), s.trx(now)
	ioErrno, ioErr := s.ioError()
	sqlState := "Slave has read all relay log; waiting for more updates"
	if s.SQLStopped {
		sqlState = ""
	}
	ioState := "Waiting for master to send event"
	switch s.ioState() {
	case "No":
		ioState = ""
	case "Connecting":
		ioState = "Reconnecting after a failed master event read"
	}
	v := map[string]*string{
		"Slave_IO_State": str(ioState), "Master_Host": str(m.Host), "Master_User": str("repl"),
		"Master_Port": itoa(int64(m.Port)), "Connect_Retry": str("60"),
		"Master_Log_File": str(m.binlogFile()), "Read_Master_Log_Pos": itoa(binlogPos(received)),
		"Relay_Log_File": str(strings.ReplaceAll(s.Host, ".", "-") + "-relay-bin.000002"),
		"Relay_Log_Pos":  itoa(binlogPos(applied) + 300), "Relay_Master_Log_File": str(m.binlogFile()),
		"Slave_IO_Running": str(s.ioState()), "Slave_SQL_Running": str(yesNo(!s.SQLStopped)),
		"Last_Errno": str("0"), "Skip_Counter": str("0"), "Exec_Master_Log_Pos": itoa(binlogPos(applied)),
		"Relay_Log_Space": itoa(binlogPos(received-applied) + 500), "Until_Condition": str("None"),
		"Until_Log_Pos": str("0"), "Master_SSL_Allowed": str("No"), "Master_SSL_Verify_Server_Cert": str("No"),
		"Last_IO_Errno": itoa(int64(ioErrno)), "Last_IO_Error": str(ioErr), "Last_SQL_Errno": str("0"),
		"Master_Server_Id": itoa(int64(m.ServerID)), "SQL_Delay": str("0"), "SQL_Remaining_Delay": nil,
		"Slave_SQL_Running_State": str(sqlState), "Master_Retry_Count": str("86400"),
		"Seconds_Behind_Master": nil,
	}
	if s.ioRunning() && !s.SQLStopped {
		v["Seconds_Behind_Master"] = itoa(s.LagSeconds)
	}
	if s.IsMariaDB() {
		using := "No"
		if s.GTID {
			using = "Slave_Pos"
		}
		v["Using_Gtid"] = str(using)
		v["Gtid_IO_Pos"] = str(s.mariadbGTID(received))
		v["Parallel_Mode"] = str("optimistic")
		for _, c := range []string{"Slave_DDL_Groups", "Slave_Non_Transactional_Groups", "Slave_Transactional_Groups"} {
			v[c] = str("0")
		}
		v["Slave_Transactional_Groups"] = itoa(applied)
		return v
	}
	v["Master_UUID"] = str(m.UUID)
	v["Master_Info_File"] = str("mysql.slave_master_info")
	v["Auto_Position"] = str(oneZero(s.GTID))
	if s.GTID {
		v["Retrieved_Gtid_Set"] = str(s.oracleGTIDSet(received))
		v["Executed_Gtid_Set"] = str(s.oracleGTIDSet(applied))
	}
	return v
}
