package http

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// seedTopology writes a master m:3306 with replicas r1 and r2 (r2 lagging
// 7 s) into the server's store: backend rows, no live servers.
func seedTopology(t *testing.T, s *Server) (m, r1, r2 inst.InstanceKey) {
	t.Helper()
	m, r1, r2 = inst.InstanceKey{Hostname: "m", Port: 3306}, inst.InstanceKey{Hostname: "r1", Port: 3306}, inst.InstanceKey{Hostname: "r2", Port: 3306}
	now := time.Now()
	mk := func(k, master inst.InstanceKey, depth uint, lag int64) *inst.Instance {
		return &inst.Instance{Key: k, MasterKey: master, ClusterName: "m:3306", ReplicationDepth: depth, Version: "10.11.6-MariaDB",
			LogBinEnabled: true, IsLastCheckValid: true, LastSeen: now, LastChecked: now,
			ReplicationLagSeconds: sql.NullInt64{Int64: lag, Valid: depth > 0}}
	}
	require.NoError(t, s.deps.Store.WriteInstances(context.Background(), []*inst.Instance{
		mk(m, inst.InstanceKey{}, 0, 0), mk(r1, m, 1, 0), mk(r2, m, 1, 7)}))
	return m, r1, r2
}

func TestClusterInfo(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) { c.RecoverMasterClusterFilters = []string{"alias=prod"} })
	seedTopology(t, s)
	code, _, body := get(t, s, "/api/set-cluster-alias/m:3306?alias=prod", "", "")
	require.Equal(t, 200, code, body)
	for _, path := range []string{"/api/cluster-info/m:3306", "/api/cluster-info/alias/prod", "/api/cluster-info/r2:3306"} {
		code, info, body := get(t, s, path, "", "")
		require.Equal(t, 200, code, body)
		require.Equal(t, "m:3306", info["ClusterName"], path)
		require.Equal(t, "prod", info["ClusterAlias"])
		require.EqualValues(t, 3, info["CountInstances"])
		require.EqualValues(t, 7, info["HeuristicLag"])
		require.Equal(t, true, info["HasAutomatedMasterRecovery"])
		require.Equal(t, false, info["HasAutomatedIntermediateMasterRecovery"])
		require.Contains(t, info, "ClusterDomain")
	}
	code, _, body = get(t, s, "/api/clusters-info", "", "")
	require.Equal(t, 200, code)
	require.True(t, strings.HasPrefix(body, `[{"ClusterName":"m:3306","ClusterAlias":"prod"`), body)
	code, env, _ := get(t, s, "/api/cluster-info/nosuch", "", "")
	require.Equal(t, 404, code)
	require.Equal(t, "ERROR", env["Code"])
	code, _, body = get(t, s, "/api/cluster-osc-slaves/prod", "", "")
	require.Equal(t, 200, code)
	require.True(t, strings.HasPrefix(body, "["), body)
}

func TestTagEndpoints(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	seedTopology(t, s)
	code, env, body := get(t, s, "/api/tag/r1/3306?tag=role=backup", "", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, map[string]any{"Hostname": "r1", "Port": float64(3306)}, env["Details"])
	code, _, _ = get(t, s, "/api/tag/r2/3306/ssd/yes", "", "")
	require.Equal(t, 200, code)
	code, _, _ = get(t, s, "/api/tag/r2/3306?tag=role=backup", "", "")
	require.Equal(t, 200, code)
	_, _, body = get(t, s, "/api/tags/r2/3306", "", "")
	require.JSONEq(t, `["role=backup","ssd=yes"]`, body)
	_, _, body = get(t, s, "/api/tag-value/r2/3306/ssd", "", "")
	require.JSONEq(t, `"yes"`, body)
	_, _, body = get(t, s, "/api/tag-value/r2/3306?tag=role", "", "")
	require.JSONEq(t, `"backup"`, body)
	_, _, body = get(t, s, "/api/tagged?tag=role=backup,~ssd", "", "")
	require.JSONEq(t, `[{"Hostname":"r1","Port":3306}]`, body)
	_, _, body = get(t, s, "/api/topology-tags/m:3306", "", "")
	require.Contains(t, body, `r2:3306`)
	require.Contains(t, body, `[role=backup,ssd=yes]`)
	code, env, _ = get(t, s, "/api/untag-all?tag=role", "", "")
	require.Equal(t, 200, code)
	require.Len(t, env["Details"], 2)
	_, _, body = get(t, s, "/api/tags/r1/3306", "", "")
	require.JSONEq(t, `[]`, body)

	for path, want := range map[string]int{
		"/api/tag/nosuch/3306?tag=a":                       404,
		"/api/tag/r1/3306":                                 400,
		"/api/tag/r1/3306?tag==x":                          400,
		"/api/tag-value/r1/3306/nosuch":                    404,
		"/api/tagged?tag=a,,b":                             400,
		"/api/tags/r1/-5":                                  400,
		"/api/tag/r1/3306?tag=" + strings.Repeat("x", 200): 400,
	} {
		code, env, body := get(t, s, path, "", "")
		require.Equal(t, want, code, "%s: %s", path, body)
		require.Equal(t, "ERROR", env["Code"], path)
	}
}

func TestPoolEndpoints(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	seedTopology(t, s)
	code, env, body := get(t, s, "/api/submit-pool-instances/web?instances=r1:3306,r2:3306", "", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, "web", env["Details"])
	_, env, _ = get(t, s, "/api/cluster-pool-instances/m:3306", "", "")
	require.Equal(t, map[string]any{"web": []any{map[string]any{"Hostname": "r1", "Port": float64(3306)}, map[string]any{"Hostname": "r2", "Port": float64(3306)}}}, env["Details"])
	_, env, _ = get(t, s, "/api/heuristic-cluster-pool-instances/m:3306/web", "", "")
	require.Len(t, env["Details"], 2)
	_, env, _ = get(t, s, "/api/heuristic-cluster-pool-lag/m:3306/web", "", "")
	require.EqualValues(t, 7, env["Details"])
	code, _, _ = get(t, s, "/api/submit-pool-instances/web?instances=r1:notaport", "", "")
	require.Equal(t, 400, code)
	_, env, _ = get(t, s, "/api/cluster-pool-instances/m:3306/web", "", "")
	require.Len(t, env["Details"], 1, "a bad list changes nothing")
}

func TestClusterMaintenanceEndpoints(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	seedTopology(t, s)
	code, env, body := get(t, s, "/api/snapshot-topologies", "", "")
	require.Equal(t, 200, code, body)
	require.Contains(t, env["Details"], "Took ")
	code, env, body = get(t, s, "/api/submit-masters-to-kv-stores/r1:3306", "", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, []any{
		map[string]any{"Key": "mysql/master/m:3306", "Value": "m:3306"},
		map[string]any{"Key": "mysql/master/m:3306/hostname", "Value": "m"},
		map[string]any{"Key": "mysql/master/m:3306/port", "Value": "3306"},
	}, env["Details"])
	v, ok, err := s.deps.Store.KVValue(context.Background(), "mysql/master/m:3306")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "m:3306", v)
	code, env, _ = get(t, s, "/api/register-candidate/r1/3306/prefer", "", "")
	require.Equal(t, 200, code)
	_, _, body = get(t, s, "/api/bulk-promotion-rules", "", "")
	require.Contains(t, body, `"PromotionRule":"prefer"`)
	code, _, _ = get(t, s, "/api/register-candidate/r1/3306/sometimes", "", "")
	require.Equal(t, 400, code)
}

func TestHostnameEndpoints(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) { c.HostnameResolveMethod = "ip" })
	code, env, body := get(t, s, "/api/resolve/127.0.0.1/3306", "", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, map[string]any{"Hostname": "127.0.0.1", "Port": float64(3306)}, env["Details"])
	code, env, _ = get(t, s, "/api/resolve/localhost/3306", "", "")
	require.Equal(t, 200, code)
	require.Contains(t, []any{"127.0.0.1", "::1"}, env["Details"].(map[string]any)["Hostname"])
	_, env, _ = get(t, s, "/api/hostname-resolve-cache", "", "")
	require.Contains(t, env["Details"], "localhost")
	get(t, s, "/api/reset-hostname-resolve-cache", "", "")
	_, env, _ = get(t, s, "/api/hostname-resolve-cache", "", "")
	require.Empty(t, env["Details"])

	code, _, _ = get(t, s, "/api/register-hostname-unresolve/db1/3306/vip1", "", "")
	require.Equal(t, 200, code)
	m, err := s.deps.Store.HostnameUnresolves(context.Background())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"db1": "vip1"}, m)
	code, _, _ = get(t, s, "/api/deregister-hostname-unresolve/db1/3306", "", "")
	require.Equal(t, 200, code)
	m, _ = s.deps.Store.HostnameUnresolves(context.Background())
	require.Empty(t, m)
}

func TestHeadersMaskCredentials(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/api/headers", nil)
	req.SetBasicAuth("dba", "topsecret")
	req.Header.Set("X-Probe", "hello")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, 200, rec.Code)
	require.Contains(t, rec.Body.String(), "hello")
	require.NotContains(t, rec.Body.String(), "Basic ")
	require.Contains(t, rec.Body.String(), "********")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	seedTopology(t, s)
	get(t, s, "/api/clusters", "", "")
	get(t, s, "/api/instance/nosuch/3306", "", "")
	s.Metrics().RecordRecovery("MasterRecovery", "success")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "text/plain")
	text := rec.Body.String()
	for _, want := range []string{
		`orchestrator_http_requests_total{route="/api/clusters",code="200"} 1`,
		`orchestrator_http_requests_total{route="/api/instance/:host/:port",code="404"} 1`,
		`orchestrator_http_request_duration_seconds_count 2`,
		`orchestrator_instances_known 3`,
		`orchestrator_is_leader 0`,
		`orchestrator_recoveries_total{type="MasterRecovery",outcome="success"} 1`,
		`orchestrator_discovery_probes_total{result="ok"} 0`,
		`orchestrator_backend_query_duration_seconds_bucket{le="+Inf"}`,
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, "orchestrator_backend_query_duration_seconds_count 0\n", "backend statements are timed")
	_, m, _ := get(t, s, "/api/debug/metrics", "", "")
	require.EqualValues(t, 3, m["InstancesKnown"])
	require.EqualValues(t, 1, m["Recoveries"].(map[string]any)["MasterRecovery:success"])
}
