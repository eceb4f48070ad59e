package mysql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

var (
	mariadb1011 = TerminologyFor("10.11.6-MariaDB-log", "MariaDB Server")
	mysql80     = TerminologyFor("8.0.36", "MySQL Community Server - GPL")
	mysql57     = TerminologyFor("5.7.44-log", "MySQL Community Server (GPL)")
	mysql55     = TerminologyFor("5.5.62-log", "MySQL Community Server (GPL)")
)

func TestBuildChangeMaster(t *testing.T) {
	master := inst.InstanceKey{Hostname: "db1.example.com", Port: 3306}
	coords := &inst.BinlogCoordinates{LogFile: "mysql-bin.000012", LogPos: 4567}
	cases := []struct {
		name string
		term Terminology
		spec ChangeMasterSpec
		text string
		args []any
		show string
	}{
		{
			name: "MariaDB slave_pos with credentials",
			term: mariadb1011,
			spec: ChangeMasterSpec{Master: master, GTID: GTIDSlavePos, User: "repl", Password: "pw'd\\x",
				HeartbeatPeriod: 1500 * time.Millisecond, ConnectRetry: time.Second},
			text: "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = 3306, MASTER_USER = ?, MASTER_PASSWORD = ?, " +
				"MASTER_USE_GTID = slave_pos, MASTER_HEARTBEAT_PERIOD = 1.500, MASTER_CONNECT_RETRY = 1",
			args: []any{"db1.example.com", "repl", "pw'd\\x"},
			show: "CHANGE MASTER TO MASTER_HOST = 'db1.example.com', MASTER_PORT = 3306, MASTER_USER = 'repl', " +
				"MASTER_PASSWORD = '********', MASTER_USE_GTID = slave_pos, MASTER_HEARTBEAT_PERIOD = 1.500, MASTER_CONNECT_RETRY = 1",
		},
		{
			name: "MariaDB current_pos",
			term: mariadb1011,
			spec: ChangeMasterSpec{Master: master, GTID: GTIDCurrentPos},
			text: "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = 3306, MASTER_USE_GTID = current_pos",
			args: []any{"db1.example.com"},
		},
		{
			name: "MariaDB coordinates turn GTID off",
			term: mariadb1011,
			spec: ChangeMasterSpec{Master: master, Coordinates: coords},
			text: "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = 3306, MASTER_LOG_FILE = ?, MASTER_LOG_POS = 4567, MASTER_USE_GTID = no",
			args: []any{"db1.example.com", "mysql-bin.000012"},
			show: "CHANGE MASTER TO MASTER_HOST = 'db1.example.com', MASTER_PORT = 3306, MASTER_LOG_FILE = 'mysql-bin.000012', " +
				"MASTER_LOG_POS = 4567, MASTER_USE_GTID = no",
		},
		{
			name: "MySQL 8.0 auto-position",
			term: mysql80,
			spec: ChangeMasterSpec{Master: master, GTID: GTIDAutoPosition},
			text: "CHANGE REPLICATION SOURCE TO SOURCE_HOST = ?, SOURCE_PORT = 3306, SOURCE_AUTO_POSITION = 1",
			args: []any{"db1.example.com"},
		},
		{
			name: "MySQL 5.7 coordinates",
			term: mysql57,
			spec: ChangeMasterSpec{Master: master, Coordinates: coords},
			text: "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = 3306, MASTER_LOG_FILE = ?, MASTER_LOG_POS = 4567, MASTER_AUTO_POSITION = 0",
			args: []any{"db1.example.com", "mysql-bin.000012"},
		},
		{
			name: "MySQL 5.5 has no auto-position to turn off",
			term: mysql55,
			spec: ChangeMasterSpec{Master: master, Coordinates: coords},
			text: "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = 3306, MASTER_LOG_FILE = ?, MASTER_LOG_POS = 4567",
			args: []any{"db1.example.com", "mysql-bin.000012"},
		},
		{
			name: "detached host",
			term: mariadb1011,
			spec: ChangeMasterSpec{Master: master.Detached()},
			text: "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = 3306",
			args: []any{"//db1.example.com"},
		},
		{
			name: "credentials only",
			term: mysql80,
			spec: ChangeMasterSpec{User: "r", Password: "p"},
			text: "CHANGE REPLICATION SOURCE TO SOURCE_USER = ?, SOURCE_PASSWORD = ?",
			args: []any{"r", "p"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := buildChangeMaster(c.term, c.spec)
			require.NoError(t, err)
			require.Equal(t, c.text, st.text)
			require.Equal(t, c.args, st.args)
			if c.show != "" {
				require.Equal(t, c.show, st.String())
			}
		})
	}
}

func TestBuildChangeMasterRejects(t *testing.T) {
	master := inst.InstanceKey{Hostname: "db1", Port: 3306}
	coords := &inst.BinlogCoordinates{LogFile: "mysql-bin.000001", LogPos: 4}
	cases := []struct {
		name string
		term Terminology
		spec ChangeMasterSpec
		want error
	}{
		{"nothing to change", mariadb1011, ChangeMasterSpec{}, inst.ErrBadRequest},
		{"injection in host", mariadb1011, ChangeMasterSpec{Master: inst.InstanceKey{Hostname: "db1', MASTER_USER='x", Port: 3306}}, inst.ErrBadRequest},
		{"bad port", mariadb1011, ChangeMasterSpec{Master: inst.InstanceKey{Hostname: "db1", Port: 70000}}, inst.ErrBadRequest},
		{"coordinates with GTID", mariadb1011, ChangeMasterSpec{Master: master, Coordinates: coords, GTID: GTIDSlavePos}, inst.ErrBadRequest},
		{"empty log file", mariadb1011, ChangeMasterSpec{Master: master, Coordinates: &inst.BinlogCoordinates{LogPos: 4}}, inst.ErrBadRequest},
		{"auto-position on MariaDB", mariadb1011, ChangeMasterSpec{Master: master, GTID: GTIDAutoPosition}, ErrUnsupported},
		{"slave_pos on MySQL", mysql80, ChangeMasterSpec{Master: master, GTID: GTIDSlavePos}, ErrUnsupported},
		{"auto-position on MySQL 5.5", mysql55, ChangeMasterSpec{Master: master, GTID: GTIDAutoPosition}, ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := buildChangeMaster(c.term, c.spec)
			require.ErrorIs(t, err, c.want)
		})
	}
}

func TestQuoteString(t *testing.T) {
	cases := map[string]string{
		"plain":           `'plain'`,
		"it's":            `'it\'s'`,
		`back\slash`:      `'back\\slash'`,
		"nl\nzero\x00":    `'nl\nzero\0'`,
		`"dq"` + "\x1a\r": `'\"dq\"\Z\r'`,
		"ünï":             `'ünï'`,
	}
	for in, want := range cases {
		require.Equal(t, want, QuoteString(in), in)
	}
}

func TestStatementString(t *testing.T) {
	st := statement{text: "SELECT MASTER_GTID_WAIT(?, ?), ?", args: []any{"0-1-5", 1.5, int64(3)}}
	require.Equal(t, "SELECT MASTER_GTID_WAIT('0-1-5', 1.5), 3", st.String())
}

func TestNextGTID(t *testing.T) {
	uuid := "3E11FA47-71CA-11E1-9E33-C80AA9429562"
	next, err := nextGTID("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-100", uuid)
	require.NoError(t, err)
	require.Equal(t, uuid+":10", next)
	next, err = nextGTID("", uuid)
	require.NoError(t, err)
	require.Equal(t, uuid+":1", next)
	_, err = nextGTID("garbage", uuid)
	require.Error(t, err)
	_, err = nextGTID("", "")
	require.ErrorIs(t, err, inst.ErrBadRequest)
}

func TestGTIDModeString(t *testing.T) {
	require.Equal(t, "slave_pos", GTIDSlavePos.String())
	require.Equal(t, "keep", GTIDKeep.String())
}
