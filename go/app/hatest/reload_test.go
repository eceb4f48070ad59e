package hatest

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// TestReloadConfiguration runs a real service on SQLite and changes its
// configuration file under it: /api/reload-configuration applies the
// recovery filters, a new HTTP password and Debug at once and reports the
// key that needs a restart; SIGHUP applies ReadOnly (which then refuses
// the reload route itself), a malformed file is reported and changes
// nothing, and a later SIGHUP lifts ReadOnly again. The service keeps
// running throughout.
func TestReloadConfiguration(t *testing.T) {
	dir := t.TempDir()
	c := service.Bare(t, binary)
	nd := service.NewNode(t, dir, "reload")
	c.Nodes = append(c.Nodes, nd)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	seed := l.Addr().String() // nothing listens there: its polls fail and log at debug level
	require.NoError(t, l.Close())
	cfg := map[string]any{
		"ListenAddress":        "127.0.0.1:" + strconv.Itoa(nd.Port),
		"BackendDB":            "sqlite3",
		"SQLite3DataFile":      filepath.Join(dir, "orchestrator.sqlite3"),
		"AuthenticationMethod": "multi", "HTTPAuthUser": "dba", "HTTPAuthPassword": "pw1",
		"InstancePollSeconds": 1, "DiscoverySeeds": []string{seed},
	}
	service.WriteJSON(t, nd.Config, cfg)
	c.Start(nd)
	c.WaitUp(nd)
	get := func(path, pass string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, nd.URL()+path, nil)
		require.NoError(t, err)
		req.SetBasicAuth("dba", pass)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var env map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return resp.StatusCode, env
	}
	require.NotContains(t, nd.LogText(), " DEBUG ")

	t.Run("through the API", func(t *testing.T) {
		cfg["RecoverMasterClusterFilters"] = []string{"prod"}
		cfg["HTTPAuthPassword"] = "pw2"
		cfg["Debug"] = true
		cfg["MySQLConnectTimeoutSeconds"] = 3
		service.WriteJSON(t, nd.Config, cfg)
		code, env := get("/api/reload-configuration", "pw1")
		require.Equal(t, http.StatusOK, code, "%v", env)
		details := env["Details"].(map[string]any)
		require.ElementsMatch(t, []any{"Debug", "HTTPAuthPassword", "RecoverMasterClusterFilters"}, details["Applied"])
		require.Equal(t, []any{"MySQLConnectTimeoutSeconds"}, details["NeedRestart"])
		require.Equal(t, []any{nd.Config}, details["Files"])
		code, _ = get("/api/automated-recovery-filters", "pw1")
		require.Equal(t, http.StatusUnauthorized, code, "the old password no longer works")
		code, env = get("/api/automated-recovery-filters", "pw2")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, []any{"prod"}, env["Details"].(map[string]any)["RecoverMasterClusterFilters"])
		c.Eventually(30*time.Second, "debug lines in the log", func() bool { return strings.Contains(nd.LogText(), " DEBUG ") })
		require.Contains(t, nd.LogText(), "reload-configuration: configuration reloaded from "+nd.Config)
	})

	hup := func(want string) {
		t.Helper()
		before := len(nd.LogText())
		nd.Signal(t, syscall.SIGHUP)
		c.Eventually(10*time.Second, "the SIGHUP's answer in the log", func() bool {
			return strings.Contains(nd.LogText()[before:], "orchestrator: SIGHUP: ")
		})
		require.Contains(t, nd.LogText()[before:], want)
		require.True(t, nd.Alive())
	}

	t.Run("by SIGHUP", func(t *testing.T) {
		cfg["ReadOnly"] = true
		service.WriteJSON(t, nd.Config, cfg)
		hup("applied: ReadOnly; changed but applied only at the next start: MySQLConnectTimeoutSeconds")
		code, env := get("/api/forget/127.0.0.1/1", "pw2")
		require.Equal(t, http.StatusForbidden, code, "%v", env)
		code, _ = get("/api/reload-configuration", "pw2")
		require.Equal(t, http.StatusForbidden, code, "a read-only node is reloaded by SIGHUP only")

		require.NoError(t, os.WriteFile(nd.Config, []byte(`{"ReadOnly": `), 0o600))
		hup("configuration not reloaded")
		code, _ = get("/api/forget/127.0.0.1/1", "pw2")
		require.Equal(t, http.StatusForbidden, code, "a malformed file changes nothing")

		cfg["ReadOnly"] = false
		service.WriteJSON(t, nd.Config, cfg)
		hup("applied: ReadOnly")
		code, env = get("/api/forget/127.0.0.1/1", "pw2")
		require.NotEqual(t, http.StatusForbidden, code, "%v", env)
		code, _ = get("/api/health", "")
		require.Equal(t, http.StatusOK, code)
	})
}
