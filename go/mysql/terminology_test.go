package mysql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func TestTerminologyFor(t *testing.T) {
	legacy := Terminology{
		ShowReplicaStatus: "SHOW SLAVE STATUS", ShowMasterStatus: "SHOW MASTER STATUS", ShowReplicas: "SHOW SLAVE HOSTS",
		StartReplica: "START SLAVE", StopReplica: "STOP SLAVE",
		StartIOThread: "START SLAVE IO_THREAD", StopIOThread: "STOP SLAVE IO_THREAD",
		StartSQLThread: "START SLAVE SQL_THREAD", StopSQLThread: "STOP SLAVE SQL_THREAD",
		ResetReplicaAll: "RESET SLAVE ALL", ResetMaster: "RESET MASTER", ChangeMaster: "CHANGE MASTER TO",
		OptionPrefix: "MASTER", PosWaitFunction: "MASTER_POS_WAIT", SkipCounterVar: "sql_slave_skip_counter",
		LogReplicaUpdates: "log_slave_updates",
	}
	with := func(flavor string, v inst.Version, edit func(*Terminology)) Terminology {
		t := legacy
		t.Flavor, t.Version = flavor, v
		if edit != nil {
			edit(&t)
		}
		return t
	}
	replicaWords := func(t *Terminology) {
		t.ShowReplicaStatus, t.ShowReplicas = "SHOW REPLICA STATUS", "SHOW REPLICAS"
		t.StartReplica, t.StopReplica = "START REPLICA", "STOP REPLICA"
		t.StartIOThread, t.StopIOThread = "START REPLICA IO_THREAD", "STOP REPLICA IO_THREAD"
		t.StartSQLThread, t.StopSQLThread = "START REPLICA SQL_THREAD", "STOP REPLICA SQL_THREAD"
		t.ResetReplicaAll, t.SourceColumns = "RESET REPLICA ALL", true
	}
	sourceWords := func(t *Terminology) {
		replicaWords(t)
		t.ChangeMaster, t.OptionPrefix = "CHANGE REPLICATION SOURCE TO", "SOURCE"
	}
	renamedFunctions := func(t *Terminology) {
		sourceWords(t)
		t.PosWaitFunction, t.SkipCounterVar, t.LogReplicaUpdates = "SOURCE_POS_WAIT", "sql_replica_skip_counter", "log_replica_updates"
	}
	mysql84 := func(t *Terminology) {
		renamedFunctions(t)
		t.ShowMasterStatus, t.ResetMaster = "SHOW BINARY LOG STATUS", "RESET BINARY LOGS AND GTIDS"
	}
	cases := []struct {
		name, version, comment string
		want                   Terminology
	}{
		{"MySQL 5.7", "5.7.44-log", "MySQL Community Server (GPL)", with(inst.FlavorMySQL, inst.Version{Major: 5, Minor: 7, Patch: 44}, nil)},
		{"MySQL 8.0.21", "8.0.21", "MySQL Community Server - GPL", with(inst.FlavorMySQL, inst.Version{Major: 8, Patch: 21}, nil)},
		{"MySQL 8.0.22", "8.0.22", "MySQL Community Server - GPL", with(inst.FlavorMySQL, inst.Version{Major: 8, Patch: 22}, replicaWords)},
		{"MySQL 8.0.23", "8.0.23", "MySQL Community Server - GPL", with(inst.FlavorMySQL, inst.Version{Major: 8, Patch: 23}, sourceWords)},
		{"Percona 8.0.36", "8.0.36-28", "Percona Server (GPL), Release 28", with(inst.FlavorPercona, inst.Version{Major: 8, Patch: 36}, renamedFunctions)},
		{"MySQL 8.4.0", "8.4.0", "MySQL Community Server - GPL", with(inst.FlavorMySQL, inst.Version{Major: 8, Minor: 4}, mysql84)},
		{"MariaDB 10.11", "10.11.6-MariaDB-log", "MariaDB Server", with(inst.FlavorMariaDB, inst.Version{Major: 10, Minor: 11, Patch: 6, MariaDB: true}, nil)},
		{"MariaDB 11.4", "11.4.2-MariaDB", "MariaDB Server", with(inst.FlavorMariaDB, inst.Version{Major: 11, Minor: 4, Patch: 2, MariaDB: true}, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, TerminologyFor(c.version, c.comment))
		})
	}
}

func TestTerminologyOptionsAndCapabilities(t *testing.T) {
	maria := TerminologyFor("10.11.6-MariaDB-log", "")
	require.Equal(t, "MASTER_HOST", maria.Option("HOST"))
	require.True(t, maria.builtinSemiSync())
	require.False(t, maria.hasSuperReadOnly())
	require.False(t, maria.hasOracleGTID())

	mysql := TerminologyFor("8.0.36", "MySQL Community Server - GPL")
	require.Equal(t, "SOURCE_AUTO_POSITION", mysql.Option("AUTO_POSITION"))
	require.True(t, mysql.hasSuperReadOnly())
	require.True(t, mysql.hasOracleGTID())
	require.True(t, mysql.perfSchemaVariables())
	require.False(t, mysql.builtinSemiSync())

	old := TerminologyFor("5.7.7", "")
	require.False(t, old.hasSuperReadOnly())
	require.False(t, TerminologyFor("5.5.62", "").hasOracleGTID())
	require.True(t, TerminologyFor("5.6.30-76.3", "Percona Server (GPL)").hasSuperReadOnly())
}

func TestRowLookupBothSpellings(t *testing.T) {
	source := row{
		"source_host": {s: "db1", valid: true}, "replica_io_running": {s: "Yes", valid: true},
		"seconds_behind_source": {}, "read_source_log_pos": {s: "1234", valid: true},
	}
	require.Equal(t, "db1", source.str("Master_Host"))
	require.Equal(t, "Yes", source.str("Slave_IO_Running"))
	require.Equal(t, int64(1234), source.int("Read_Master_Log_Pos"))
	_, valid := source.nullInt("Seconds_Behind_Master")
	require.False(t, valid)
	require.True(t, source.has("seconds_behind_master"))
	require.False(t, source.has("Using_Gtid"))

	legacy := row{"master_host": {s: "db2", valid: true}}
	require.Equal(t, "db2", legacy.str("Master_Host"))
	require.Equal(t, "", legacy.str("Master_UUID"))
}

func TestParseReplicaStatusOracleColumns(t *testing.T) {
	r := row{}
	for k, v := range map[string]string{
		"Source_Host": "DB1.example.com", "Source_Port": "3306", "Source_User": "repl", "Source_UUID": "3e11fa47-71ca-11e1-9e33-c80aa9429562",
		"Replica_IO_Running": "Connecting", "Replica_SQL_Running": "Yes",
		"Source_Log_File": "binlog.000012", "Read_Source_Log_Pos": "900",
		"Relay_Source_Log_File": "binlog.000011", "Exec_Source_Log_Pos": "400",
		"Relay_Log_File": "relay.000003", "Relay_Log_Pos": "77",
		"Seconds_Behind_Source": "-3", "SQL_Delay": "60", "Auto_Position": "1",
		"Replicate_Wild_Ignore_Table": "x.%", "Executed_Gtid_Set": "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1",
		"Last_IO_Error": "error connecting to source", "Source_SSL_Allowed": "Yes",
	} {
		r[strings.ToLower(k)] = nullString{s: v, valid: true}
	}
	st := parseReplicaStatus(r)
	require.Equal(t, inst.InstanceKey{Hostname: "db1.example.com", Port: 3306}, st.MasterKey)
	require.Equal(t, inst.ThreadStateOther, st.IOThread)
	require.Equal(t, inst.ThreadStateRunning, st.SQLThread)
	require.Equal(t, inst.BinlogCoordinates{LogFile: "binlog.000012", LogPos: 900}, st.ReadCoordinates)
	require.Equal(t, inst.BinlogCoordinates{LogFile: "binlog.000011", LogPos: 400}, st.ExecCoordinates)
	require.Equal(t, inst.BinlogCoordinates{LogFile: "relay.000003", LogPos: 77, Type: inst.RelayLog}, st.RelayCoordinates)
	require.Equal(t, int64(0), st.SecondsBehind.Int64) // negative lag counts as none
	require.True(t, st.SecondsBehind.Valid)
	require.True(t, st.AutoPosition)
	require.True(t, st.UsingGTID())
	require.True(t, st.HasFilters)
	require.True(t, st.SSLAllowed)
	require.False(t, st.ThreadsStopped())
	require.Equal(t, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1", st.ExecutedGtidSet)

	var i inst.Instance
	st.applyTo(&i)
	require.Equal(t, "3e11fa47-71ca-11e1-9e33-c80aa9429562", i.MasterUUID)
	require.True(t, i.UsingOracleGTID)
	require.False(t, i.UsingMariaDBGTID)
	require.Equal(t, uint(60), i.SQLDelay)
	require.True(t, inst.IsConnectError(i.LastIOError))
}

func TestParseHelpers(t *testing.T) {
	for s, want := range map[string]bool{"ON": true, "1": true, "Yes": true, "NO_LOCK": true, "OFF": false, "0": false, "": false, "no": false} {
		require.Equal(t, want, parseBool(s), s)
	}
	require.Equal(t, "a:1-5,b:1", cleanGTIDSet("a:1-5,\nb:1"))
	require.Equal(t, "SELECT 1", trimQuery("  SELECT 1 ;; \n"))
	n, ok := parseInt("1.500")
	require.True(t, ok)
	require.Equal(t, int64(1), n)
}
