package http

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/mysql"
	"orchestrator/go/topology"
)

type fakeNode struct {
	leader  bool
	started time.Time
}

func (f fakeNode) IsLeader() bool     { return f.leader }
func (f fakeNode) Hostname() string   { return "h" }
func (f fakeNode) Token() string      { return "t" }
func (f fakeNode) AppVersion() string { return "test" }
func (f fakeNode) Started() string    { return "" }

func (f fakeNode) Uptime() time.Duration {
	if f.started.IsZero() {
		return 0
	}
	return time.Since(f.started)
}

func newServer(t testing.TB, tweak func(*config.Config)) *Server {
	t.Helper()
	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(t.TempDir(), "o.db")
	if tweak != nil {
		tweak(cfg)
	}
	store, err := backend.Open(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, store.Migrate(context.Background()))
	t.Cleanup(func() { _ = store.Close() })
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	disc := discovery.New(store, mysql.NewInspector(conn, cfg), cfg)
	return New(cfg, Deps{Store: store, Reader: topology.NewReader(store, cfg), Discoverer: disc, Node: fakeNode{}})
}

func get(t *testing.T, s *Server, path string, user, pass string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var env map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return rec.Code, env, rec.Body.String()
}

func TestStatusAndErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	code, env, _ := get(t, s, "/api/health", "", "")
	require.Equal(t, 200, code)
	require.Equal(t, "OK", env["Code"])
	code, _, body := get(t, s, "/api/clusters", "", "")
	require.Equal(t, 200, code)
	require.Equal(t, "[]", body)
	code, env, _ = get(t, s, "/api/instance/db9/3306", "", "")
	require.Equal(t, 404, code)
	require.Equal(t, "ERROR", env["Code"])
	code, env, _ = get(t, s, "/api/instance/db9/-1", "", "")
	require.Equal(t, 400, code)
	require.Contains(t, env["Message"], "invalid port")
	code, _, _ = get(t, s, "/api/instance/db9/3306/", "", "")
	require.Equal(t, 404, code, "a trailing slash is tolerated")
	code, _, _ = get(t, s, "/api/leader-check", "", "")
	require.Equal(t, 404, code, "followers answer 404")
	code, _, _ = get(t, s, "/api/leader-check/503", "", "")
	require.Equal(t, 503, code)
	code, _, _ = get(t, s, "/api/lb-check", "", "")
	require.Equal(t, 200, code)
}

// TestReadOnlyRefusesEveryMutatingRoute enumerates the route table: in
// read-only mode, and for the multi method's readonly user, every route
// that changes state (a read that probes servers, with its parameter set,
// included) is refused with 403 and the envelope before its handler runs,
// and nothing in the backend changes; the same reads without the
// parameter are served.
func TestReadOnlyRefusesEveryMutatingRoute(t *testing.T) {
	t.Parallel()
	for name, tweak := range map[string]func(*config.Config){
		"ReadOnly": func(c *config.Config) { c.ReadOnly = true },
		"multi readonly user": func(c *config.Config) {
			c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", "pw"
		},
	} {
		s := newServer(t, tweak)
		m, _, _ := seedTopology(t, s)
		user := ""
		if name != "ReadOnly" {
			user = "readonly"
		}
		mutating := 0
		for _, rt := range s.Routes() {
			path := samplePath(rt.Path)
			switch {
			case rt.MutatesWhen != "":
				code, _, body := get(t, s, path, user, "x")
				require.NotEqual(t, 403, code, "%s (%s) without ?%s=true is a read: %s", rt.Path, name, rt.MutatesWhen, body)
				path += "?" + rt.MutatesWhen + "=true"
			case !rt.Mutates:
				continue
			}
			mutating++
			code, env, body := get(t, s, path, user, "x")
			require.Equal(t, 403, code, "%s (%s): %s", path, name, body)
			require.Equal(t, "ERROR", env["Code"], path)
			if user == "" {
				require.Contains(t, env["Message"], "read-only mode", path)
			}
		}
		require.Greater(t, mutating, 100)
		i, err := s.deps.Store.ReadInstance(t.Context(), m)
		require.NoError(t, err, "nothing forgotten")
		require.Equal(t, "m:3306", i.ClusterName)
		keys, err := s.deps.Store.InstanceKeys(t.Context())
		require.NoError(t, err)
		require.Len(t, keys, 3, "%s: nothing added or removed", name)
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) {
		c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", "pw"
	})
	code, _, _ := get(t, s, "/api/clusters", "", "")
	require.Equal(t, 401, code)
	code, _, _ = get(t, s, "/api/clusters", "dba", "wrong")
	require.Equal(t, 401, code)
	code, _, _ = get(t, s, "/api/clusters", "dba", "pw")
	require.Equal(t, 200, code)
	code, _, _ = get(t, s, "/api/clusters", "readonly", "anything")
	require.Equal(t, 200, code, "multi: readonly user reads")
	code, _, body := get(t, s, "/api/forget/db1/3306", "readonly", "anything")
	require.Equal(t, 403, code, body)
	require.NotContains(t, body, "pw")
}

func TestRoutesDocumented(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for _, rt := range s.Routes() {
		require.NotEmpty(t, rt.Doc, rt.Path)
	}
}
