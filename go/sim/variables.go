package sim

import (
	"strconv"
	"time"
)

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

func oneZero(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// variables are the server's global system variables as SELECT @@x shows
// them; a name missing here is an unknown variable on this version.
func (s *Server) variables(now time.Time) map[string]string {
	v := map[string]string{
		"version":                s.Version,
		"version_comment":        s.VersionComment,
		"server_id":              strconv.FormatUint(uint64(s.ServerID), 10),
		"read_only":              oneZero(s.ReadOnly),
		"log_bin":                oneZero(s.LogBin),
		"binlog_format":          s.BinlogFormat,
		"hostname":               s.Host,
		"report_host":            s.Host,
		"report_port":            strconv.Itoa(s.Port),
		"port":                   strconv.Itoa(s.Port),
		"binlog_row_image":       "FULL",
		"slave_net_timeout":      "60",
		"max_connections":        "151",
		"sql_slave_skip_counter": "0",
		"log_slave_updates":      oneZero(s.LogReplicaUpdates),
		"autocommit":             "1",
		"tx_isolation":           "REPEATABLE-READ",
	}
	trx := s.trx(now)
	if s.IsMariaDB() {
		delete(v, "tx_isolation")
		v["gtid_binlog_pos"] = ""
		if s.LogBin {
			v["gtid_binlog_pos"] = s.mariadbGTID(trx)
		}
		v["gtid_current_pos"] = s.mariadbGTID(trx)
		v["gtid_slave_pos"] = ""
		if s.master != nil {
			v["gtid_slave_pos"] = s.mariadbGTID(trx)
		}
		v["gtid_strict_mode"] = "0"
		if s.versionAtLeast(10, 3, 3) {
			v["rpl_semi_sync_master_enabled"] = "OFF"
			v["rpl_semi_sync_slave_enabled"] = "OFF"
			v["rpl_semi_sync_master_timeout"] = "10000"
			v["rpl_semi_sync_master_wait_point"] = "AFTER_COMMIT"
		}
		return v
	}
	v["server_uuid"] = s.UUID
	v["gtid_mode"] = onOff(s.GTID)
	v["enforce_gtid_consistency"] = onOff(s.GTID)
	v["gtid_executed"] = ""
	if s.GTID {
		v["gtid_executed"] = s.oracleGTIDSet(trx)
	}
	v["gtid_purged"] = ""
	if s.versionAtLeast(5, 7, 8) {
		v["super_read_only"] = oneZero(s.ReadOnly)
	}
	if s.versionAtLeast(8, 0, 0) {
		delete(v, "tx_isolation")
		v["transaction_isolation"] = "REPEATABLE-READ"
	}
	if s.versionAtLeast(8, 0, 26) {
		v["log_replica_updates"] = v["log_slave_updates"]
		v["sql_replica_skip_counter"] = "0"
		v["replica_net_timeout"] = "60"
	}
	if s.oldTermsRemoved() {
		delete(v, "log_slave_updates")
		delete(v, "sql_slave_skip_counter")
		delete(v, "slave_net_timeout")
	}
	return v
}

// status are the global status variables.
func (s *Server) status(now time.Time) map[string]string {
	st := map[string]string{
		"Uptime":            strconv.FormatInt(int64(now.Sub(s.started).Seconds())+1, 10),
		"Threads_connected": "1",
		"Questions":         "0",
	}
	if s.IsMariaDB() {
		if s.versionAtLeast(10, 3, 3) {
			st["Rpl_semi_sync_master_status"] = "OFF"
			st["Rpl_semi_sync_master_clients"] = "0"
			st["Rpl_semi_sync_slave_status"] = "OFF"
		}
		if s.master != nil {
			st["Slave_heartbeat_period"] = "30.000"
			st["Slave_received_heartbeats"] = strconv.FormatInt(int64(now.Sub(s.started).Seconds()/30), 10)
		}
	}
	return st
}
