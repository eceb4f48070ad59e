package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/testutil/sandbox"
)

// The integration tests run against the loopback MariaDB sandbox:
// master ─┬─ r1 ── r3, └─ r2. Each test restores it with Reset when done.
func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }

type fixture struct {
	sb                 *sandbox.Sandbox
	cfg                *config.Config
	c                  *Connector
	in                 *Inspector
	ap                 *Applier
	master, r1, r2, r3 inst.InstanceKey
}

// setup builds a Connector, Inspector and Applier over the sandbox; edit
// changes the configuration first. The sandbox is reset after the test.
func setup(t *testing.T, edit ...func(*config.Config)) *fixture {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb, "no sandbox")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		require.NoError(t, sb.Reset(ctx))
	})
	cfg := config.Defaults()
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	for _, e := range edit {
		e(cfg)
	}
	c := NewConnector(cfg)
	t.Cleanup(func() { _ = c.Close() })
	in := NewInspector(c, cfg)
	key := func(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: sb.Host, Port: port} }
	return &fixture{sb: sb, cfg: cfg, c: c, in: in, ap: NewApplier(c, cfg, in),
		master: key(sb.MasterPort), r1: key(sb.Replica1Port), r2: key(sb.Replica2Port), r3: key(sb.Replica3Port)}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (f *fixture) probe(t *testing.T, key inst.InstanceKey) *inst.Instance {
	t.Helper()
	i, err := f.in.Probe(testContext(t), key)
	require.NoError(t, err)
	return i
}

// db is a plain pool for test-side reads and writes (not the code under test).
func (f *fixture) db(t *testing.T, key inst.InstanceKey) *sql.DB {
	t.Helper()
	db, err := f.sb.DB(key.Port)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// write inserts a row on the master and returns the row's value and the
// master's GTID position after it.
func (f *fixture) write(t *testing.T) (value, pos string) {
	t.Helper()
	db := f.db(t, f.master)
	value = fmt.Sprintf("v%d", time.Now().UnixNano())
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS mysqlpkg_test",
		"CREATE TABLE IF NOT EXISTS mysqlpkg_test.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL)",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	_, err := db.Exec("INSERT INTO mysqlpkg_test.t (v) VALUES (?)", value)
	require.NoError(t, err)
	require.NoError(t, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
	return value, pos
}

// hasRow reports whether key has the row written by write.
func (f *fixture) hasRow(t *testing.T, key inst.InstanceKey, value string) bool {
	t.Helper()
	var n int
	err := f.db(t, key).QueryRow("SELECT COUNT(*) FROM mysqlpkg_test.t WHERE v = ?", value).Scan(&n)
	return err == nil && n == 1
}

func (f *fixture) waitGTID(t *testing.T, pos string, keys ...inst.InstanceKey) {
	t.Helper()
	for _, k := range keys {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := f.ap.WaitForGTID(ctx, k, pos)
		cancel()
		require.NoError(t, err, "replica %s", k)
	}
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 50*time.Millisecond, msg)
}

func (f *fixture) threads(t *testing.T, key inst.InstanceKey) (io, sqlThread inst.ReplicationThreadState) {
	t.Helper()
	st, err := f.in.ReplicationStatus(testContext(t), key)
	require.NoError(t, err)
	return st.IOThread, st.SQLThread
}

func (f *fixture) replicating(t *testing.T, key inst.InstanceKey) func() bool {
	return func() bool {
		io, sqlThread := f.threads(t, key)
		return io == inst.ThreadStateRunning && sqlThread == inst.ThreadStateRunning
	}
}
