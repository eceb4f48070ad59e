package http

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/testutil/sandbox"
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
	require.NoError(t, sb.Reset(context.Background()))
	cfg := uiConfig(t, sb, nil)
	ld := newLiveDeps(t, sb, cfg)
	ld.Node = fakeNode{leader: true}
	f := &uiFixture{sb: sb, store: ld.Store, deps: ld.Deps, in: ld.in, master: ld.master, r1: ld.r1, r2: ld.r2, r3: ld.r3}
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
