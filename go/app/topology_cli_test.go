package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/testutil/sandbox"
)

// One sandbox for the package; tests that use it reset it first.
func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }

type cliSandbox struct {
	conf, db                       string
	cfg                            *config.Config // what conf holds
	in                             *mysql.Inspector
	master, r1, r2, r3             string
	masterKey, r1Key, r2Key, r3Key inst.InstanceKey
}

// newCLISandbox resets the sandbox, writes a config on a fresh SQLite
// backend and discovers the topology with the CLI itself.
func newCLISandbox(t *testing.T) *cliSandbox {
	t.Helper()
	c := newCLISandboxWith(t)
	c.ok(t, "discover", "-i", c.master)
	return c
}

// newCLISandboxWith is newCLISandbox without the discover, with extra
// members ("Key":value) added to the config.
func newCLISandboxWith(t *testing.T, extra ...string) *cliSandbox {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb)
	require.NoError(t, sb.Reset(context.Background()))
	t.Cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })
	dir := t.TempDir()
	conf, db := filepath.Join(dir, "conf.json"), filepath.Join(dir, "o.db")
	members := append([]string{`"BackendDB":"sqlite3"`, fmt.Sprintf(`"SQLite3DataFile":%q`, db),
		fmt.Sprintf(`"MySQLTopologyUser":%q`, sb.User), fmt.Sprintf(`"MySQLTopologyPassword":%q`, sb.Password)}, extra...)
	require.NoError(t, os.WriteFile(conf, []byte("{"+strings.Join(members, ",")+"}"), 0o600))
	cfg, _, err := config.Load([]string{conf}, true)
	require.NoError(t, err)
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	key := func(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: sb.Host, Port: port} }
	c := &cliSandbox{conf: conf, db: db, cfg: cfg, in: mysql.NewInspector(conn, cfg),
		masterKey: key(sb.MasterPort), r1Key: key(sb.Replica1Port), r2Key: key(sb.Replica2Port), r3Key: key(sb.Replica3Port)}
	c.master, c.r1, c.r2, c.r3 = c.masterKey.String(), c.r1Key.String(), c.r2Key.String(), c.r3Key.String()
	return c
}

// ok runs a command that must succeed and returns its output lines.
func (c *cliSandbox) ok(t *testing.T, command string, args ...string) []string {
	t.Helper()
	code, out, errOut := run(t, append([]string{"--config", c.conf, "-c", command}, args...)...)
	require.Equal(t, 0, code, "%s %v: %s", command, args, errOut)
	return strings.Split(strings.TrimRight(out, "\n"), "\n")
}

// fails runs a command that must fail with a one-line reason containing want.
func (c *cliSandbox) fails(t *testing.T, want, command string, args ...string) {
	t.Helper()
	code, _, errOut := run(t, append([]string{"--config", c.conf, "-c", command}, args...)...)
	require.Equal(t, 1, code, "%s %v should fail", command, args)
	require.Contains(t, errOut, want)
	require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
}

// masterPort reads Master_Port from SHOW SLAVE STATUS on the server itself.
func (c *cliSandbox) masterPort(t *testing.T, k inst.InstanceKey) int {
	t.Helper()
	st, err := c.in.ReplicationStatus(context.Background(), k)
	require.NoError(t, err)
	return st.MasterKey.Port
}

func TestCLIMovesAndMaintenance(t *testing.T) {
	c := newCLISandbox(t)
	require.Equal(t, []string{c.r3 + "<" + c.master}, c.ok(t, "relocate", "-i", c.r3, "-d", c.master))
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r3Key))
	c.fails(t, "no grandparent", "move-up", "-i", c.r3)

	require.Equal(t, []string{c.r2}, c.ok(t, "begin-maintenance", "-i", c.r2, "--reason", "testing", "--owner", "carol"))
	require.Equal(t, []string{c.r2}, c.ok(t, "in-maintenance", "-i", c.r2))
	locks := c.ok(t, "maintenance")
	require.Len(t, locks, 1)
	require.Regexp(t, `^[0-9]+\t`+regexp.QuoteMeta(c.r2)+`\tcarol\ttesting\t`, locks[0])
	c.fails(t, "under maintenance by carol: testing", "move-below", "-i", c.r2, "-d", c.r1)
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r2Key), "nothing moved")
	c.ok(t, "end-maintenance", "-i", c.r2)
	c.fails(t, "not in maintenance", "end-maintenance", "-i", c.r2)
	require.Equal(t, []string{""}, c.ok(t, "maintenance"), "no lock left")

	lines := c.ok(t, "regroup-replicas", "-i", c.master)
	require.Equal(t, []string{c.r1, c.r1 + " lost: 0, moved: 2"}, lines)
	require.Equal(t, c.r1Key.Port, c.masterPort(t, c.r2Key))
	require.Equal(t, c.r1Key.Port, c.masterPort(t, c.r3Key))

	audit := strings.Join(c.ok(t, "audit", "-i", c.r2), "\n")
	require.Contains(t, audit, "begin-maintenance")
	require.Contains(t, audit, "move-below-gtid")
	require.Contains(t, strings.Join(c.ok(t, "audit"), "\n"), "regroup-replicas")
}

func TestCLIReplicationControl(t *testing.T) {
	c := newCLISandbox(t)
	require.Equal(t, []string{c.r2, c.r3}, c.ok(t, "stop-replica", "-i", c.r2+","+c.r3), "-i takes a list")
	st, err := c.in.ReplicationStatus(context.Background(), c.r3Key)
	require.NoError(t, err)
	require.Equal(t, inst.ThreadStateStopped, st.SQLThread)
	require.Len(t, c.ok(t, "restart-replica-statements", "-i", c.r2, "--statement", "SELECT 1"), 2, "stopped: nothing to start")
	require.Equal(t, []string{c.r2, c.r3}, c.ok(t, "start-slave", "-i", c.r2+" "+c.r3), "legacy name, space-separated list")
	require.Len(t, c.ok(t, "restart-replica-statements", "-i", c.r2, "--statement", "SELECT 1"), 3)
	require.Equal(t, []string{c.master}, c.ok(t, "can-replicate-from-gtid", "-i", c.r3, "-d", c.master))
	require.Equal(t, []string{""}, c.ok(t, "which-gtid-errant", "-i", c.r2))
	require.Equal(t, []string{c.r2}, c.ok(t, "delay-replication", "-i", c.r2, "--duration", "2s"))
	require.Equal(t, []string{c.r2}, c.ok(t, "detach-replica", "-i", c.r2))
	require.Equal(t, []string{c.r2}, c.ok(t, "reattach-replica", "-i", c.r2))
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r2Key))
}

func TestCLITopologyErrors(t *testing.T) {
	c := newCLISandbox(t)
	c.fails(t, "unknown", "relocate", "-i", "nowhere.invalid:3306", "-d", c.master)
	c.fails(t, "below itself", "relocate", "-i", c.r1, "-d", c.r1)
	c.fails(t, "cycle", "relocate", "-i", c.master, "-d", c.r3)
	c.fails(t, "invalid", "relocate", "-i", c.r3, "-d", "bad host:x")
	c.fails(t, "needs -d", "move-below", "-i", c.r3)
	c.fails(t, "needs --statement", "restart-replica-statements", "-i", c.r2)
	c.fails(t, "whole seconds", "delay-replication", "-i", c.r2, "--duration", "1500ms")
	c.fails(t, "invalid duration", "begin-downtime", "-i", c.r2, "--reason", "x", "--duration", "forever")
	c.fails(t, "needs --binlog", "purge-binary-logs", "-i", c.master)
	c.fails(t, "MariaDB does not log empty transactions", "gtid-errant-inject-empty", "-i", c.r2)
	c.fails(t, "not a replica", "stop-replica", "-i", c.master)
	require.Equal(t, c.r1Key.Port, c.masterPort(t, c.r3Key), "nothing changed")
}
