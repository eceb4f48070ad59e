package discovery

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// TestApplyConfig: reloaded ignore filters and poll interval apply at
// once; a filter that does not compile is refused and the running
// configuration kept.
func TestApplyConfig(t *testing.T) {
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.db")
	store, err := backend.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	d := New(store, mysql.NewInspector(conn, cfg), cfg)
	key := inst.InstanceKey{Hostname: "db-skip-1", Port: 3306}
	require.False(t, d.Ignored(key))

	next := *cfg
	next.DiscoveryIgnoreHostnameFilters = []string{"skip"}
	next.InstancePollSeconds = 1
	require.NoError(t, d.ApplyConfig(&next))
	require.True(t, d.Ignored(key))
	require.EqualValues(t, 1, d.conf().InstancePollSeconds)

	bad := next
	bad.DiscoveryIgnoreHostnameFilters = []string{"("}
	bad.InstancePollSeconds = 7
	require.Error(t, d.ApplyConfig(&bad))
	require.True(t, d.Ignored(key), "the running filters stay")
	require.EqualValues(t, 1, d.conf().InstancePollSeconds)
}
