package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	os.Exit(Main(m, Options{WithBackend: true}))
}

// sb returns the shared sandbox, reset to the baseline.
func sb(t *testing.T) *Sandbox {
	t.Helper()
	s := Current()
	if s == nil {
		t.Fatal("no sandbox")
	}
	t0 := time.Now()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	t.Logf("Reset took %v", time.Since(t0).Round(time.Millisecond))
	return s
}

func openDB(t *testing.T, s *Sandbox, port int) *sql.DB {
	t.Helper()
	db, err := s.DB(port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func status(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	st, err := slaveStatus(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// assertBaseline checks the topology: r1, r2 under the master, r3 under r1,
// threads running, read_only on replicas only, master not replicating.
func assertBaseline(t *testing.T, s *Sandbox) {
	t.Helper()
	for _, p := range s.Ports() {
		db := openDB(t, s, p)
		var port, serverID, readOnly int
		if err := db.QueryRow("SELECT @@port, @@server_id, @@read_only").Scan(&port, &serverID, &readOnly); err != nil {
			t.Fatalf("%d: %v", p, err)
		}
		if port != p || serverID != p {
			t.Errorf("%d: @@port=%d @@server_id=%d", p, port, serverID)
		}
		st := status(t, db)
		if p == s.MasterPort {
			if st != nil {
				t.Errorf("master replicates from %s", st["Master_Port"])
			}
			if readOnly != 0 {
				t.Errorf("master read_only=%d", readOnly)
			}
			continue
		}
		if readOnly != 1 {
			t.Errorf("%s read_only=%d", s.Role(p), readOnly)
		}
		if st == nil {
			t.Errorf("%s (%d) is not replicating", s.Role(p), p)
			continue
		}
		if want := strconv.Itoa(s.SourceOf(p)); st["Master_Port"] != want {
			t.Errorf("%s replicates from %s, want %s", s.Role(p), st["Master_Port"], want)
		}
		if st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes" {
			t.Errorf("%s: IO=%s SQL=%s", s.Role(p), st["Slave_IO_Running"], st["Slave_SQL_Running"])
		}
		if st["Using_Gtid"] != "Slave_Pos" {
			t.Errorf("%s: Using_Gtid=%s", s.Role(p), st["Using_Gtid"])
		}
	}
}

// writeAndWait writes a row on the master and waits for it on all replicas.
func writeAndWait(t *testing.T, s *Sandbox) {
	t.Helper()
	token := randomToken()
	master := openDB(t, s, s.MasterPort)
	mustExec(t, master,
		"CREATE DATABASE IF NOT EXISTS sbtest",
		"CREATE TABLE IF NOT EXISTS sbtest.rows (token VARCHAR(64) PRIMARY KEY)",
		"INSERT INTO sbtest.rows VALUES ('"+token+"')")
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range s.Ports()[1:] {
		db := openDB(t, s, p)
		for {
			var n int
			err := db.QueryRow("SELECT COUNT(*) FROM sbtest.rows WHERE token = ?", token).Scan(&n)
			if err == nil && n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("row not replicated to %s (%d): err=%v n=%d", s.Role(p), p, err, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestAllRunning(t *testing.T) {
	s := sb(t)
	for _, p := range s.Ports() {
		if !s.Running(p) {
			t.Errorf("%d not running", p)
		}
		out, err := s.SQL(p, "SELECT @@port, @@report_port, @@log_slave_updates, @@gtid_strict_mode, @@binlog_format")
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d\t%d\t1\t1\tROW", p, p); out != want {
			t.Errorf("%d: got %q want %q", p, out, want)
		}
	}
	if len(s.Ports()) != 4 || s.Ports()[0] != s.MasterPort || s.Ports()[3] != s.Replica3Port {
		t.Errorf("Ports() = %v", s.Ports())
	}
}

func TestTopology(t *testing.T) {
	s := sb(t)
	assertBaseline(t, s)
	hosts, err := s.SQL(s.MasterPort, "SHOW SLAVE HOSTS")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{s.Replica1Port, s.Replica2Port} {
		if !strings.Contains(hosts, fmt.Sprintf("%d\t127.0.0.1\t%d\t%d", p, p, s.MasterPort)) {
			t.Errorf("SHOW SLAVE HOSTS on master lacks %d: %q", p, hosts)
		}
	}
}

func TestReplication(t *testing.T) {
	s := sb(t)
	writeAndWait(t, s)
}

func TestBackend(t *testing.T) {
	s := Current()
	if s.BackendPort != s.MasterPort+9 {
		t.Fatalf("BackendPort = %d", s.BackendPort)
	}
	db, err := sql.Open("mysql", s.BackendDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil || name != BackendDatabase {
		t.Fatalf("backend database: %q %v", name, err)
	}
	if st := status(t, db); st != nil {
		t.Errorf("backend replicates: %v", st)
	}
	mustExec(t, db, "CREATE TABLE IF NOT EXISTS t (i INT PRIMARY KEY)", "REPLACE INTO t VALUES (1)")
}

func TestKillStartOneReset(t *testing.T) {
	s := sb(t)
	if err := s.Kill(s.Replica1Port); err != nil {
		t.Fatal(err)
	}
	if s.Running(s.Replica1Port) {
		t.Fatal("replica1 still running after Kill")
	}
	db := openDB(t, s, s.Replica1Port)
	if err := db.Ping(); err == nil {
		t.Fatal("replica1 answers after Kill")
	}
	if err := s.StartOne(s.Replica1Port); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReplicating(ctxTimeout(t, 15*time.Second), s.Replica1Port); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertBaseline(t, s)
	writeAndWait(t, s)

	// Reset alone restarts dead servers, the master included.
	if err := s.Kill(s.MasterPort); err != nil {
		t.Fatal(err)
	}
	if err := s.StopOne(s.Replica3Port); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("Reset after killing the master: %v", time.Since(t0).Round(time.Millisecond))
	assertBaseline(t, s)
	writeAndWait(t, s)
}

func TestResetAfterMovingReplica3(t *testing.T) {
	s := sb(t)
	r3 := openDB(t, s, s.Replica3Port)
	mustExec(t, r3, "STOP SLAVE", fmt.Sprintf("CHANGE MASTER TO MASTER_PORT=%d", s.MasterPort), "START SLAVE")
	if err := s.WaitReplicating(ctxTimeout(t, 10*time.Second), s.Replica3Port); err != nil {
		t.Fatal(err)
	}
	if got := status(t, r3)["Master_Port"]; got != strconv.Itoa(s.MasterPort) {
		t.Fatalf("replica3 not moved: Master_Port=%s", got)
	}
	writeAndWait(t, s)
	before := s.Reseeds()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Reseeds() != before {
		t.Error("moving a replica needed a reseed")
	}
	assertBaseline(t, s)
	writeAndWait(t, s)
}

// A graceful switchover (replica1 promoted, the master demoted below it,
// writes on replica1) keeps the data consistent: Reset repairs in place.
func TestResetAfterSwitchover(t *testing.T) {
	s := sb(t)
	writeAndWait(t, s)
	master := openDB(t, s, s.MasterPort)
	r1 := openDB(t, s, s.Replica1Port)
	mustExec(t, master, "SET GLOBAL read_only = 1")
	var pos string
	if err := master.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		t.Fatal(err)
	}
	if err := r1.QueryRow("SELECT MASTER_GTID_WAIT(?, 5)", pos).Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	mustExec(t, r1, "STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 0")
	for _, p := range []int{s.MasterPort, s.Replica2Port} {
		db := openDB(t, s, p)
		mustExec(t, db, "STOP SLAVE", changeMasterSQL(s.Replica1Port), "START SLAVE")
	}
	mustExec(t, r1, "CREATE DATABASE IF NOT EXISTS sbtest",
		"CREATE TABLE IF NOT EXISTS sbtest.promoted (i INT PRIMARY KEY)", "INSERT INTO sbtest.promoted VALUES (1)")
	before := s.Reseeds()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Reseeds() != before {
		t.Error("a consistent switchover needed a reseed")
	}
	assertBaseline(t, s)
	for _, p := range s.Ports() {
		if out, err := s.SQL(p, "SELECT COUNT(*) FROM sbtest.promoted"); err != nil || out != "1" {
			t.Errorf("%s: promoted row: %q %v", s.Role(p), out, err)
		}
	}
	writeAndWait(t, s)
}

// An errant transaction on a single replica is adopted: the master catches
// up from that replica, nothing is reseeded.
func TestResetAfterErrantTransaction(t *testing.T) {
	s := sb(t)
	r2 := openDB(t, s, s.Replica2Port)
	mustExec(t, r2, "STOP SLAVE", "CREATE DATABASE IF NOT EXISTS errant")
	before := s.Reseeds()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Reseeds() != before {
		t.Error("an errant transaction on one replica needed a reseed")
	}
	assertBaseline(t, s)
	for _, p := range s.Ports() {
		if out, err := s.SQL(p, "SHOW DATABASES LIKE 'errant'"); err != nil || out != "errant" {
			t.Errorf("%s: errant database: %q %v", s.Role(p), out, err)
		}
	}
	writeAndWait(t, s)
}

// Failover: the master is killed, replica1 promoted and written to; Reset
// brings the old master back, lets it catch up from replica1 and restores
// the baseline without a reseed.
func TestResetAfterFailover(t *testing.T) {
	s := sb(t)
	writeAndWait(t, s)
	if err := s.Kill(s.MasterPort); err != nil {
		t.Fatal(err)
	}
	r1 := openDB(t, s, s.Replica1Port)
	mustExec(t, r1, "STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 0",
		"CREATE DATABASE IF NOT EXISTS sbtest", "CREATE TABLE IF NOT EXISTS sbtest.failover (i INT PRIMARY KEY)",
		"INSERT INTO sbtest.failover VALUES (1)")
	r2 := openDB(t, s, s.Replica2Port)
	mustExec(t, r2, "STOP SLAVE", changeMasterSQL(s.Replica1Port), "START SLAVE")
	before := s.Reseeds()
	t0 := time.Now()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("Reset after failover: %v", time.Since(t0).Round(time.Millisecond))
	if s.Reseeds() != before {
		t.Error("a failover with writes on the new master needed a reseed")
	}
	assertBaseline(t, s)
	for _, p := range s.Ports() {
		if out, err := s.SQL(p, "SELECT COUNT(*) FROM sbtest.failover"); err != nil || out != "1" {
			t.Errorf("%s: failover row: %q %v", s.Role(p), out, err)
		}
	}
	writeAndWait(t, s)
}

// Split brain: writes on the master and on a detached replica1. No server
// holds both histories: Reset reseeds and the topology works again.
func TestResetAfterSplitBrain(t *testing.T) {
	s := sb(t)
	r1 := openDB(t, s, s.Replica1Port)
	master := openDB(t, s, s.MasterPort)
	mustExec(t, r1, "STOP SLAVE", "CREATE DATABASE IF NOT EXISTS brain_r1")
	mustExec(t, master, "CREATE DATABASE IF NOT EXISTS brain_master")
	before := s.Reseeds()
	t0 := time.Now()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("Reset with a reseed: %v (%s)", time.Since(t0).Round(time.Millisecond), s.LastReseedReason())
	if s.Reseeds() != before+1 {
		t.Errorf("reseeds %d -> %d, want one reseed", before, s.Reseeds())
	}
	assertBaseline(t, s)
	for _, p := range s.Ports() {
		if out, err := s.SQL(p, "SHOW DATABASES LIKE 'brain%'"); err != nil || out != "" {
			t.Errorf("%s: after a reseed: %q %v", s.Role(p), out, err)
		}
	}
	writeAndWait(t, s)
}

// GTID disabled on a replica (file/position replication), an extra named
// connection, and a paused server: Reset restores MASTER_USE_GTID=slave_pos,
// drops the extra connection and resumes the paused server.
func TestResetAfterGTIDDisabledAndPause(t *testing.T) {
	s := sb(t)
	writeAndWait(t, s)
	master := openDB(t, s, s.MasterPort)
	var file string
	var pos int64
	rows, err := master.Query("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	m, err := firstRowMap(rows)
	rows.Close()
	if err != nil || m == nil {
		t.Fatalf("SHOW MASTER STATUS: %v %v", m, err)
	}
	file = m["File"]
	pos, _ = strconv.ParseInt(m["Position"], 10, 64)
	r2 := openDB(t, s, s.Replica2Port)
	mustExec(t, r2, "STOP SLAVE",
		fmt.Sprintf("CHANGE MASTER TO MASTER_USE_GTID=no, MASTER_LOG_FILE='%s', MASTER_LOG_POS=%d", file, pos), "START SLAVE")
	if got := status(t, r2)["Using_Gtid"]; got != "No" {
		t.Fatalf("Using_Gtid=%s", got)
	}
	writeAndWait(t, s)
	// A named (multi-source) connection, not started.
	mustExec(t, r2, fmt.Sprintf("CHANGE MASTER 'extra' TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, "+
		"MASTER_USER='repl', MASTER_PASSWORD='repl_pass'", s.Replica3Port))
	if err := s.Pause(s.Replica3Port); err != nil {
		t.Fatal(err)
	}
	before := s.Reseeds()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Reseeds() != before {
		t.Error("needed a reseed")
	}
	assertBaseline(t, s)
	if names, err := connectionNames(context.Background(), r2); err != nil || len(names) != 1 || names[0] != "" {
		t.Errorf("replica2 connections after Reset: %q %v", names, err)
	}
	writeAndWait(t, s)
}

func TestParseGTIDList(t *testing.T) {
	l, err := ParseGTIDList("0-1-5, 1-2-7\n")
	if err != nil || l.String() != "0-1-5,1-2-7" {
		t.Fatalf("%v %v", l, err)
	}
	if _, err := ParseGTIDList("0-1"); err == nil {
		t.Error("accepted 0-1")
	}
	m := MergeGTIDLists(GTIDList{{0, 1, 5}}, GTIDList{{0, 2, 3}, {1, 1, 1}})
	if m.String() != "0-1-5,1-1-1" {
		t.Errorf("merge: %s", m)
	}
	state := GTIDList{{0, 1, 9}, {0, 2, 4}}
	pos := GTIDList{{0, 1, 9}}
	for _, c := range []struct {
		replica string
		ok      bool
	}{
		{"", true},
		{"0-1-9", true},
		{"0-1-3", true},
		{"0-2-4", true},
		{"0-2-5", false}, // server 2 never got that far on the master
		{"0-3-2", false}, // errant
		{"0-1-10", false},
		{"1-1-1", false}, // unknown domain
	} {
		r, _ := ParseGTIDList(c.replica)
		if got := divergence(r, pos, state) == ""; got != c.ok {
			t.Errorf("%q: consistent=%v want %v", c.replica, got, c.ok)
		}
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
