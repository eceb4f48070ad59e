package http

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/topology"
)

// statusServer is a Server on a fresh SQLite backend for node; migrated
// says whether its schema is deployed.
func statusServer(t *testing.T, node NodeInfo, migrated bool) (*Server, *backend.Store) {
	t.Helper()
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.db")
	store, err := backend.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	if migrated {
		require.NoError(t, store.Migrate(context.Background()))
	}
	return New(cfg, Deps{Store: store, Reader: topology.NewReader(store, cfg), Node: node}), store
}

// TestHealthProbes: the container-style probes answer by their one
// condition each.
func TestHealthProbes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		node     fakeNode
		migrated bool
		breakIt  func(t *testing.T, s *backend.Store)
		path     string
		code     int
		body     string
	}{
		{"leader: /health/leader", fakeNode{leader: true}, true, nil, "/health/leader", 200, `"OK"`},
		{"follower: /health/leader", fakeNode{}, true, nil, "/health/leader", 404, `"Not leader"`},
		{"follower: /health/live", fakeNode{}, true, nil, "/health/live", 200, `"OK"`},
		{"ready", fakeNode{}, true, nil, "/health/ready", 200, `"OK"`},
		{"backend down", fakeNode{}, true, func(t *testing.T, s *backend.Store) { require.NoError(t, s.Close()) },
			"/health/ready", 503, `"backend unreachable"`},
		{"backend down: still live", fakeNode{}, true, func(t *testing.T, s *backend.Store) { require.NoError(t, s.Close()) },
			"/health/live", 200, `"OK"`},
		{"schema never deployed", fakeNode{}, false, nil, "/health/ready", 503, `"schema not current"`},
		{"schema behind", fakeNode{}, true, func(t *testing.T, s *backend.Store) {
			_, err := s.DB().Exec(`DELETE FROM orchestrator_db_deployments WHERE deployed_version=?`, backend.SchemaVersion())
			require.NoError(t, err)
		}, "/health/ready", 503, `"schema not current"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, store := statusServer(t, tc.node, tc.migrated)
			if tc.breakIt != nil {
				tc.breakIt(t, store)
			}
			code, _, body := get(t, s, tc.path, "", "")
			require.Equal(t, tc.code, code, body)
			require.JSONEq(t, tc.body, body)
		})
	}
}

// TestStatusUptime: /api/status keeps upstream's fields and adds this
// node's uptime; unhealthy (backend down) it answers 500 with the error.
func TestStatusUptime(t *testing.T) {
	t.Parallel()
	s, store := statusServer(t, fakeNode{leader: true, started: time.Now().Add(-90 * time.Second)}, true)
	code, env, body := get(t, s, "/api/status", "", "")
	require.Equal(t, 200, code, body)
	var h struct{ Details map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	for _, field := range []string{"Healthy", "Hostname", "Token", "IsActiveNode", "ActiveNode", "Error", "AvailableNodes", "AppVersion", "Started", "DBBackend", "UptimeSeconds"} {
		require.Contains(t, h.Details, field)
	}
	var up int64
	require.NoError(t, json.Unmarshal(h.Details["UptimeSeconds"], &up))
	require.GreaterOrEqual(t, up, int64(90))
	require.Less(t, up, int64(90+60))
	require.Equal(t, "OK", env["Code"])

	require.NoError(t, store.Close())
	code, env, body = get(t, s, "/api/status", "", "")
	require.Equal(t, 500, code, body)
	require.Equal(t, "ERROR", env["Code"])
}
