package http

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/recovery"
	"orchestrator/go/testutil/sandbox"
	"orchestrator/go/topology"
)

// One sandbox for the package; tests that use it reset it first.
func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }

type liveServer struct {
	*Server
	sb                 *sandbox.Sandbox
	ops                *topology.Operator
	in                 *mysql.Inspector
	master, r1, r2, r3 inst.InstanceKey
}

// newLiveServer builds the Server with real Deps on the sandbox,
// discovered into a fresh SQLite store.
func newLiveServer(t *testing.T) *liveServer {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb)
	require.NoError(t, sb.Reset(context.Background()))
	t.Cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.db")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	ld := newLiveDeps(t, sb, cfg)
	return &liveServer{Server: New(cfg, ld.Deps), sb: sb, ops: ld.Operator, in: ld.in,
		master: ld.master, r1: ld.r1, r2: ld.r2, r3: ld.r3}
}

// liveDeps are real components on the sandbox, its topology discovered
// into a fresh store.
type liveDeps struct {
	Deps
	in                 *mysql.Inspector
	master, r1, r2, r3 inst.InstanceKey
}

func newLiveDeps(t *testing.T, sb *sandbox.Sandbox, cfg *config.Config) liveDeps {
	t.Helper()
	ctx := context.Background()
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.Migrate(ctx))
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	in := mysql.NewInspector(conn, cfg)
	d := discovery.New(store, in, cfg)
	reader := topology.NewReader(store, cfg)
	ap := mysql.NewApplier(conn, cfg, in)
	holder := backend.LockHolder{Hostname: "test", Token: "t"}
	op := topology.NewOperator(store, reader, in, ap, d.Probe, cfg, holder)
	rc := recovery.New(recovery.Deps{Store: store, Reader: reader, Inspector: in, Applier: ap, Probe: d.Probe, Config: cfg, Holder: holder})
	key := func(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: sb.Host, Port: port} }
	ld := liveDeps{Deps: Deps{Store: store, Reader: reader, Discoverer: d, Operator: op, Recoverer: rc, Node: fakeNode{}}, in: in,
		master: key(sb.MasterPort), r1: key(sb.Replica1Port), r2: key(sb.Replica2Port), r3: key(sb.Replica3Port)}
	_, err = d.DiscoverTopology(ctx, ld.master)
	require.NoError(t, err)
	for _, k := range []inst.InstanceKey{ld.r1, ld.r2, ld.r3} {
		_, err := reader.Instance(ctx, k)
		require.NoError(t, err, "discovered %s", k)
	}
	return ld
}

func hp(k inst.InstanceKey) string { return fmt.Sprintf("%s/%d", k.Hostname, k.Port) }

// call GETs path and returns the status and the decoded envelope.
func (l *liveServer) call(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	code, env, _ := get(t, l.Server, path, "", "")
	return code, env
}

// masterPortOf reads Master_Port from SHOW SLAVE STATUS on the server itself.
func (l *liveServer) masterPortOf(t *testing.T, k inst.InstanceKey) int {
	t.Helper()
	st, err := l.in.ReplicationStatus(context.Background(), k)
	require.NoError(t, err)
	return st.MasterKey.Port
}

func detailsKey(t *testing.T, env map[string]any) string {
	t.Helper()
	d, ok := env["Details"].(map[string]any)
	require.True(t, ok, "Details: %v", env)
	if k, ok := d["Key"].(map[string]any); ok {
		d = k
	}
	return fmt.Sprintf("%v:%v", d["Hostname"], d["Port"])
}

func TestAPIMovesAndAudit(t *testing.T) {
	l := newLiveServer(t)
	code, env := l.call(t, "/api/relocate/"+hp(l.r3)+"/"+hp(l.master))
	require.Equal(t, 200, code, env)
	require.Equal(t, "OK", env["Code"])
	require.Equal(t, l.r3.String(), detailsKey(t, env))
	require.Equal(t, l.master.Port, l.masterPortOf(t, l.r3))

	code, env = l.call(t, "/api/move-below/"+hp(l.r3)+"/"+hp(l.r2))
	require.Equal(t, 200, code, env)
	require.Equal(t, l.r2.Port, l.masterPortOf(t, l.r3))

	code, _, body := get(t, l.Server, "/api/audit/instance/"+hp(l.r3), "", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"AuditType":"move-below"`)
	require.Contains(t, body, `"AuditType":"move-below-gtid"`)
	code, _, body = get(t, l.Server, "/api/audit", "", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, l.r3.Hostname)
	code, _, body = get(t, l.Server, "/api/audit/7", "", "")
	require.Equal(t, 200, code)
	require.JSONEq(t, "[]", body, "a page past the end is empty")
}

func TestAPIRegroupReplicas(t *testing.T) {
	l := newLiveServer(t)
	code, env := l.call(t, "/api/regroup-slaves/"+hp(l.master))
	require.Equal(t, 200, code, env)
	require.Equal(t, l.r1.String(), detailsKey(t, env))
	require.Contains(t, env["Message"], "lost: 0, moved: 1")
	require.Equal(t, l.r1.Port, l.masterPortOf(t, l.r2))
}

func TestAPIReplicationControl(t *testing.T) {
	l := newLiveServer(t)
	code, env := l.call(t, "/api/stop-slave/"+hp(l.r2))
	require.Equal(t, 200, code, env)
	require.Equal(t, l.r2.String(), detailsKey(t, env))
	st, err := l.in.ReplicationStatus(context.Background(), l.r2)
	require.NoError(t, err)
	require.Equal(t, inst.ThreadStateStopped, st.SQLThread)
	code, env = l.call(t, "/api/restart-replica-statements/"+hp(l.r2)+"?q=SELECT+1")
	require.Equal(t, 200, code, env)
	require.Len(t, env["Details"], 2, "nothing ran: nothing to start again")
	code, env = l.call(t, "/api/start-replica/"+hp(l.r2))
	require.Equal(t, 200, code, env)
	code, env = l.call(t, "/api/set-writeable/"+hp(l.r2))
	require.Equal(t, 200, code, env)
	require.Equal(t, false, env["Details"].(map[string]any)["ReadOnly"])
	code, env = l.call(t, "/api/set-read-only/"+hp(l.r2))
	require.Equal(t, 200, code, env)
	require.Equal(t, true, env["Details"].(map[string]any)["ReadOnly"])
	code, env = l.call(t, "/api/delay-replication/"+hp(l.r2)+"/3")
	require.Equal(t, 200, code, env)
	require.EqualValues(t, 3, env["Details"])

	code, env = l.call(t, "/api/can-replicate-from/"+hp(l.r3)+"/"+hp(l.master))
	require.Equal(t, 200, code, env)
	require.Equal(t, "true", env["Message"])
	code, env = l.call(t, "/api/can-replicate-from-gtid/"+hp(l.master)+"/"+hp(l.r1))
	require.Equal(t, 200, code, env)
	require.Equal(t, "false", env["Message"], "a cycle")
}

func TestAPIMaintenanceAndDowntime(t *testing.T) {
	l := newLiveServer(t)
	code, env := l.call(t, "/api/begin-maintenance/"+hp(l.r3)+"/alice/upgrading")
	require.Equal(t, 200, code, env)
	code, env = l.call(t, "/api/in-maintenance/"+hp(l.r3))
	require.Equal(t, 200, code)
	require.Equal(t, "true", env["Message"])
	code, env = l.call(t, "/api/move-up/"+hp(l.r3))
	require.Equal(t, 409, code, env)
	require.Equal(t, "ERROR", env["Code"])
	require.Contains(t, env["Message"], "under maintenance by alice: upgrading")
	require.Equal(t, l.r1.Port, l.masterPortOf(t, l.r3), "nothing moved")
	_, _, body := get(t, l.Server, "/api/maintenance", "", "")
	require.Contains(t, body, `"Owner":"alice"`)
	code, _ = l.call(t, "/api/end-maintenance/"+hp(l.r3))
	require.Equal(t, 200, code)

	code, env = l.call(t, "/api/begin-downtime/"+hp(l.r2)+"/bob/disk/1h")
	require.Equal(t, 200, code, env)
	_, _, body = get(t, l.Server, "/api/downtimed", "", "")
	require.Contains(t, body, fmt.Sprintf(`"Port":%d`, l.r2.Port))
	_, _, body = get(t, l.Server, "/api/downtimed/"+l.master.String(), "", "")
	require.Contains(t, body, `"DowntimeOwner":"bob"`)
	code, _ = l.call(t, "/api/end-downtime/"+hp(l.r2))
	require.Equal(t, 200, code)
	_, _, body = get(t, l.Server, "/api/downtimed", "", "")
	require.JSONEq(t, "[]", body)
}

func TestAPIOperationErrors(t *testing.T) {
	l := newLiveServer(t)
	cases := []struct {
		name, path string
		status     int
		message    string
	}{
		{"unknown instance", "/api/move-up/nowhere.invalid/3306", 404, "unknown"},
		{"bad port", "/api/start-replica/" + l.r2.Hostname + "/-1", 400, "invalid port"},
		{"bad destination", "/api/relocate/" + hp(l.r3) + "/" + l.master.Hostname + "/x", 400, "invalid port"},
		{"below itself", "/api/relocate/" + hp(l.r1) + "/" + hp(l.r1), 400, "below itself"},
		{"master below its replica", "/api/relocate/" + hp(l.master) + "/" + hp(l.r3), 409, "cycle"},
		{"take-master of a top master's replica", "/api/take-master/" + hp(l.r1), 409, "graceful-master-takeover"},
		{"not a replica", "/api/stop-replica/" + hp(l.master), 409, "not a replica"},
		{"bad seconds", "/api/delay-replication/" + hp(l.r2) + "/soon", 400, "invalid seconds"},
		{"bad duration", "/api/begin-downtime/" + hp(l.r2) + "/bob/x/forever", 400, "invalid duration"},
		{"bad binlog name", "/api/purge-binary-logs/" + hp(l.master) + "/bad%3Bname", 400, "invalid binary log name"},
		{"bad audit page", "/api/audit/last", 400, "invalid page"},
		{"end maintenance not held", "/api/end-maintenance/" + hp(l.r2), 404, "not in maintenance"},
		{"pseudo-GTID", "/api/match/" + hp(l.r3) + "/" + hp(l.r2), 400, "not supported"},
		{"errant inject on MariaDB", "/api/gtid-errant-inject-empty/" + hp(l.r2), 409, "MariaDB"},
		{"statements without q", "/api/restart-replica-statements/" + hp(l.r2), 400, "statement is required"},
	}
	for _, tc := range cases {
		code, env := l.call(t, tc.path)
		require.Equal(t, tc.status, code, "%s: %v", tc.name, env)
		require.Equal(t, "ERROR", env["Code"], tc.name)
		require.Contains(t, env["Message"], tc.message, tc.name)
	}
	for _, k := range []inst.InstanceKey{l.r1, l.r2} {
		require.Equal(t, l.master.Port, l.masterPortOf(t, k), "nothing changed")
	}
	require.Equal(t, l.r1.Port, l.masterPortOf(t, l.r3), "nothing changed")
}
