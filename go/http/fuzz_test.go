package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Fuzz tests of the routes' parameter parsing: whatever a parameter
// holds, a route answers JSON with a status below 500 (a bad value is the
// caller's mistake, never a fault of orchestrator). They run on the seeded
// example store, whose servers are loopback addresses where nothing
// listens; no fuzzed route probes a server. `go test` runs their seeds;
// `go test -fuzz FuzzX ./go/http` explores.

// fuzzGet sends one GET whose path segments may hold anything (set as the
// decoded path, as a client's percent-encoding would arrive) and fails on
// a 5xx or a body that is not JSON.
func fuzzGet(t *testing.T, s *Server, path, query string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", query
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%q?%s: %d %s", path, query, rec.Code, rec.Body.String())
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%q?%s: %d, not JSON: %q", path, query, rec.Code, rec.Body.String())
	}
}

// segment keeps a fuzzed value within one path segment.
func segment(v string) string { return strings.ReplaceAll(v, "/", "%2F") }

// FuzzNumericParams: pages, ids, seconds and status codes.
func FuzzNumericParams(f *testing.F) {
	for _, seed := range []string{"0", "1", "-1", "20", "99999999999999999999", "1e3", "0x10", "", " 1", "１", "\xff", "3.5", "NaN"} {
		f.Add(seed)
	}
	s := newExampleServer(f)
	f.Fuzz(func(t *testing.T, v string) {
		v = segment(v)
		for _, p := range []string{"/api/audit/", "/api/audit/instance/127.0.0.12/3306/", "/api/audit-recovery/", "/api/audit-recovery/id/",
			"/api/audit-recovery/cluster/127.0.0.11:3306/", "/api/audit-failure-detection/", "/api/audit-failure-detection/id/",
			"/api/end-maintenance/", "/api/discovery-metrics-raw/", "/api/backend-query-metrics-aggregated/",
			"/api/discovery-queue-metrics-raw/", "/api/write-buffer-metrics-aggregated/", "/api/leader-check/"} {
			fuzzGet(t, s, p+v, "")
		}
		fuzzGet(t, s, "/api/ack-recovery/"+v, "comment=fuzz")
	})
}

// FuzzDurationParam: downtime durations.
func FuzzDurationParam(f *testing.F) {
	for _, seed := range []string{"1h", "30s", "1d", "2w", "0", "-5m", "10x", "1.5d", "9999999999999h", "366d", "367d", "1dd", "\x00"} {
		f.Add(seed)
	}
	s := newExampleServer(f)
	f.Fuzz(func(t *testing.T, v string) {
		fuzzGet(t, s, "/api/begin-downtime/127.0.0.12/3306/dba/fuzz/"+segment(v), "")
	})
}

// FuzzPromotionRuleParam: register-candidate's rule.
func FuzzPromotionRuleParam(f *testing.F) {
	for _, seed := range []string{"prefer", "neutral", "prefer_not", "must_not", "must", "PREFER", "", "prefer ", "x'; --"} {
		f.Add(seed)
	}
	s := newExampleServer(f)
	f.Fuzz(func(t *testing.T, v string) {
		fuzzGet(t, s, "/api/register-candidate/127.0.0.12/3306/"+segment(v), "")
	})
}

// FuzzTagQuery: ?tag= of the tag routes (names, name=value, and the
// tagged query's comma, ~ and ! syntax).
func FuzzTagQuery(f *testing.F) {
	for _, seed := range []string{"role", "role=backup", "a,b=c,~d", "!x", "~", "=", "a==b", ",,", strings.Repeat("t", 300), "a=\xff", "%", "_"} {
		f.Add(seed)
	}
	s := newExampleServer(f)
	f.Fuzz(func(t *testing.T, v string) {
		query := "tag=" + url.QueryEscape(v)
		for _, p := range []string{"/api/tagged", "/api/tag/127.0.0.12/3306", "/api/tag-value/127.0.0.12/3306", "/api/untag/127.0.0.12/3306", "/api/untag-all"} {
			fuzzGet(t, s, p, query)
		}
		fuzzGet(t, s, "/api/tag/127.0.0.13/3306/"+segment(v)+"/x", "")
	})
}

// FuzzClusterHint: cluster names, aliases and host:port hints.
func FuzzClusterHint(f *testing.F) {
	for _, seed := range []string{"127.0.0.11:3306", "prod", "127.0.0.12", "127.0.0.12:0", "nosuch", "%", "_", "a:b:c", "[::1]:3306", "", "\xff", "' OR 1=1 --"} {
		f.Add(seed)
	}
	s := newExampleServer(f)
	f.Fuzz(func(t *testing.T, v string) {
		v = segment(v)
		for _, p := range []string{"/api/cluster/", "/api/cluster/alias/", "/api/cluster-info/", "/api/master/", "/api/topology/",
			"/api/topology-tabulated/", "/api/downtimed/", "/api/replication-analysis/", "/api/cluster-osc-replicas/", "/api/problems/",
			"/api/blocked-recoveries/cluster/", "/api/heuristic-cluster-pool-lag/", "/api/cluster-pool-instances/", "/api/audit-recovery/alias/"} {
			fuzzGet(t, s, p+v, "")
		}
	})
}
