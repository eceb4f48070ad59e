package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

func TestWebShellAndAssets(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) { c.URLPrefix = "/orc" })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/orc/", nil))
	require.Equal(t, http.StatusFound, rec.Code)
	require.Equal(t, "/orc/web/clusters", rec.Header().Get("Location"))

	code, _, body := get(t, s, "/orc/web/cluster/alias/main", "", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, `src="/orc/js/app.js"`, "the prefix is filled in")
	require.NotContains(t, body, "{{URLPrefix}}")
	for _, asset := range []string{"/orc/js/core.js", "/orc/js/topology.js", "/orc/css/orchestrator.css"} {
		code, _, body := get(t, s, asset, "", "")
		require.Equal(t, 200, code, asset)
		require.NotEmpty(t, body, asset)
	}
	code, _, _ = get(t, s, "/orc/js/missing.js", "", "")
	require.Equal(t, 404, code)
}

func TestWebRequiresBasicAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) {
		c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", "pw"
	})
	req := httptest.NewRequest(http.MethodGet, "/web/clusters", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Basic")

	for user, canMutate := range map[string]bool{"dba": true, "readonly": false} {
		code, env, body := get(t, s, "/api/ui/session", user, "pw")
		require.Equal(t, 200, code, body)
		require.Equal(t, canMutate, env["CanMutate"], user)
		require.Equal(t, user, env["User"])
	}
}

func TestUISessionReadOnlyMode(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) { c.ReadOnly, c.WebMessage = true, "maintenance window" })
	code, env, _ := get(t, s, "/api/ui/session", "", "")
	require.Equal(t, 200, code)
	require.Equal(t, false, env["CanMutate"])
	require.Equal(t, true, env["ReadOnly"])
	require.Equal(t, "maintenance window", env["WebMessage"])
}

func TestCanMoveBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	cases := map[string]int{
		"/api/ui/can-move/db1/-1/db2/3306":   400,
		"/api/ui/can-move/db1/3306/db2/x":    400,
		"/api/ui/can-move/db1/3306/db2/3306": 404,
		"/api/ui/move-plans/db1/3306":        404,
		"/api/ui/move-plans/db_%21/3306":     400,
	}
	for path, want := range cases {
		code, env, body := get(t, s, path, "", "")
		require.Equal(t, want, code, "%s: %s", path, body)
		require.Equal(t, "ERROR", env["Code"], path)
		require.NotEmpty(t, env["Message"], path)
	}
	code, _, body := get(t, s, "/api/ui/clusters", "", "")
	require.Equal(t, 200, code)
	require.Equal(t, "[]", body)
}

// TestCanMoveOnSandbox asks the planner about the real sandbox topology.
func TestCanMoveOnSandbox(t *testing.T) {
	f := newUIFixture(t, startSandbox(t))
	plan := func(path string) topology.MovePlan {
		t.Helper()
		var p topology.MovePlan
		require.Equal(t, 200, getJSON(t, f.url+path, &p), path)
		return p
	}
	kp := func(k inst.InstanceKey) string { return fmt.Sprintf("%s/%d", k.Hostname, k.Port) }

	for _, live := range []string{"", "?live=true"} {
		p := plan("/api/ui/can-move/" + kp(f.r3) + "/" + kp(f.master) + live)
		require.True(t, p.Allowed, "%+v", p)
		require.Equal(t, "move-up", p.Operation)
		require.Equal(t, topology.MethodGTID, p.Method)
		require.Equal(t, "/api/move-up/"+kp(f.r3), p.API)
		require.Contains(t, p.Description, "grandparent")
	}

	p := plan("/api/ui/can-move/" + kp(f.r3) + "/" + kp(f.r2))
	require.True(t, p.Allowed)
	require.Equal(t, "relocate", p.Operation)
	require.Equal(t, "/api/relocate/"+kp(f.r3)+"/"+kp(f.r2), p.API)

	p = plan("/api/ui/can-move/" + kp(f.r1) + "/" + kp(f.r3) + "?live=true")
	require.False(t, p.Allowed)
	require.Contains(t, p.Reason, "cycle")
	require.Empty(t, p.API)

	p = plan("/api/ui/can-move/" + kp(f.r1) + "/" + kp(f.master) + "?replicas=true")
	require.True(t, p.Allowed, "%+v", p)
	require.Equal(t, "move-up-replicas", p.Operation)

	var plans []topology.MovePlan
	require.Equal(t, 200, getJSON(t, f.url+"/api/ui/move-plans/"+kp(f.r3), &plans))
	require.Len(t, plans, 3)

	var clusters []UICluster
	require.Equal(t, 200, getJSON(t, f.url+"/api/ui/clusters", &clusters))
	require.Len(t, clusters, 1)
	require.EqualValues(t, 4, clusters[0].CountInstances)
	require.Equal(t, f.master, *clusters[0].Master)

	// The planner changes nothing: replica3 still replicates from replica1.
	require.Equal(t, f.sb.Replica1Port, masterPortOnServer(t, f, f.r3))
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // test against loopback
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode == 200 {
		require.NoError(t, json.Unmarshal(body, v), string(body))
	}
	return resp.StatusCode
}

// masterPortOnServer reads the master port from the server itself.
func masterPortOnServer(t *testing.T, f *uiFixture, k inst.InstanceKey) int {
	t.Helper()
	st, err := f.in.ReplicationStatus(context.Background(), k)
	require.NoError(t, err)
	return st.MasterKey.Port
}
