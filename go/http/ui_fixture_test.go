package http

import (
	"context"
	"net/http/httptest"
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

// uiFixture is a real HTTP server with real components (SQLite store,
// discovery, operator) on a MariaDB sandbox whose topology is discovered.
type uiFixture struct {
	sb                 *sandbox.Sandbox
	store              *backend.Store
	deps               Deps
	in                 *mysql.Inspector
	url                string // of a read-write server
	master, r1, r2, r3 inst.InstanceKey
}

// startSandbox returns the package's sandbox (reset to the baseline
// after the test) when a TestMain started one, else starts one for this
// test.
func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	if sb := sandbox.Current(); sb != nil {
		t.Cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })
		return sb
	}
	sb, err := sandbox.Start(sandbox.Options{})
	require.NoError(t, err, "start the MariaDB sandbox")
	t.Cleanup(func() { require.NoError(t, sb.Stop()) })
	return sb
}

func newUIFixture(t *testing.T, sb *sandbox.Sandbox) *uiFixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, sb.Reset(ctx))
	cfg := uiConfig(t, sb, nil)
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.EnsureSchema(ctx))
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	in := mysql.NewInspector(conn, cfg)
	d := discovery.New(store, in, cfg)
	reader := topology.NewReader(store, cfg)
	ap, holder := mysql.NewApplier(conn, cfg, in), backend.LockHolder{Hostname: "uitest", Token: "t"}
	op := topology.NewOperator(store, reader, in, ap, d.Probe, cfg, holder)
	rc := recovery.New(recovery.Deps{Store: store, Reader: reader, Inspector: in, Applier: ap, Probe: d.Probe, Config: cfg, Holder: holder})
	key := func(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: sb.Host, Port: port} }
	f := &uiFixture{sb: sb, store: store, master: key(sb.MasterPort), r1: key(sb.Replica1Port), r2: key(sb.Replica2Port), r3: key(sb.Replica3Port),
		in: in, deps: Deps{Store: store, Reader: reader, Discoverer: d, Operator: op, Recoverer: rc, Node: fakeNode{leader: true}}}
	_, err = d.DiscoverTopology(ctx, f.master)
	require.NoError(t, err)
	for _, k := range []inst.InstanceKey{f.r1, f.r2, f.r3} {
		_, err := reader.Instance(ctx, k)
		require.NoError(t, err, "discovered %s", k)
	}
	f.url = f.serve(t, cfg)
	return f
}

func uiConfig(t *testing.T, sb *sandbox.Sandbox, tweak func(*config.Config)) *config.Config {
	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(t.TempDir(), "orchestrator.sqlite3")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	if tweak != nil {
		tweak(cfg)
	}
	return cfg
}

// serve starts an HTTP server with the fixture's components and cfg.
func (f *uiFixture) serve(t *testing.T, cfg *config.Config) string {
	t.Helper()
	srv := httptest.NewServer(New(cfg, f.deps))
	t.Cleanup(srv.Close)
	return srv.URL
}
