package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/user"
	"strings"
	"testing"

	"github.com/go-martini/martini"
	"github.com/martini-contrib/render"
	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// call sends a GET with optional basic credentials and extra headers.
func call(t *testing.T, s *Server, path string, creds []string, headers map[string]string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if len(creds) == 2 {
		req.SetBasicAuth(creds[0], creds[1])
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// readPath is a read route; mutatePath is a mutating route whose handler
// answers 404 (unknown instance) once the request is authorised.
const readPath, mutatePath = "/api/clusters", "/api/tag/nosuch/3306?tag=a"

func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	me, err := user.Current()
	require.NoError(t, err)
	group, err := user.LookupGroupId(me.Gid)
	require.NoError(t, err)
	type try struct {
		name         string
		creds        []string
		headers      map[string]string
		read, mutate int
	}
	cases := []struct {
		method string
		tweak  func(*config.Config)
		tries  []try
	}{
		{"none", nil, []try{{name: "anonymous", read: 200, mutate: 404}}},
		{"basic", func(c *config.Config) {
			c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "basic", "dba", "pw"
		}, []try{
			{name: "anonymous", read: 401, mutate: 401},
			{name: "wrong password", creds: []string{"dba", "nope"}, read: 401, mutate: 401},
			{name: "readonly is nobody special", creds: []string{"readonly", "x"}, read: 401, mutate: 401},
			{name: "configured user", creds: []string{"dba", "pw"}, read: 200, mutate: 404},
		}},
		{"multi", func(c *config.Config) {
			c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", "pw"
		}, []try{
			{name: "anonymous", read: 401, mutate: 401},
			{name: "readonly with any password", creds: []string{"readonly", "whatever"}, read: 200, mutate: 403},
			{name: "wrong password", creds: []string{"dba", "nope"}, read: 401, mutate: 401},
			{name: "configured user", creds: []string{"dba", "pw"}, read: 200, mutate: 404},
		}},
		{"proxy users", func(c *config.Config) {
			c.AuthenticationMethod, c.AuthUserHeader, c.PowerAuthUsers = "proxy", "X-Remote-User", []string{"alice"}
		}, []try{
			{name: "no header", read: 200, mutate: 403},
			{name: "power user", headers: map[string]string{"X-Remote-User": "alice"}, read: 200, mutate: 404},
			{name: "other user", headers: map[string]string{"X-Remote-User": "bob"}, read: 200, mutate: 403},
			{name: "default header ignored", headers: map[string]string{"X-Forwarded-User": "alice"}, read: 200, mutate: 403},
		}},
		{"proxy groups", func(c *config.Config) {
			c.AuthenticationMethod, c.PowerAuthUsers, c.PowerAuthGroups = "proxy", nil, []string{group.Name}
		}, []try{
			{name: "member of a power group", headers: map[string]string{"X-Forwarded-User": me.Username}, read: 200, mutate: 404},
			{name: "unknown user", headers: map[string]string{"X-Forwarded-User": "no-such-user-x"}, read: 200, mutate: 403},
		}},
		{"read-only", func(c *config.Config) {
			c.ReadOnly, c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = true, "multi", "dba", "pw"
		}, []try{
			{name: "configured user", creds: []string{"dba", "pw"}, read: 200, mutate: 403},
			{name: "anonymous", read: 401, mutate: 401},
		}},
	}
	for _, c := range cases {
		s := newServer(t, c.tweak)
		for _, tr := range c.tries {
			code, body := call(t, s, readPath, tr.creds, tr.headers)
			require.Equal(t, tr.read, code, "%s / %s / read: %s", c.method, tr.name, body)
			code, body = call(t, s, mutatePath, tr.creds, tr.headers)
			require.Equal(t, tr.mutate, code, "%s / %s / mutate: %s", c.method, tr.name, body)
			var env Envelope
			require.NoError(t, json.Unmarshal([]byte(body), &env), body)
			require.Equal(t, "ERROR", env.Code)
		}
	}
}

func TestHealthChecksNeedNoAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) {
		c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "basic", "dba", "pw"
		c.StatusEndpoint = "/lb/status"
	})
	for path, want := range map[string]int{"/api/health": 200, "/api/status": 200, "/lb/status": 200, "/api/leader-check": 404, "/api/lb-check": 200, "/api/clusters": 401} {
		code, body := call(t, s, path, nil, nil)
		require.Equal(t, want, code, "%s: %s", path, body)
	}
}

func TestSecretsNeverInResponses(t *testing.T) {
	t.Parallel()
	secrets := []string{"http-S3cret", "topo-S3cret", "backend-S3cret"}
	s := newServer(t, func(c *config.Config) {
		c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", secrets[0]
		c.MySQLTopologyPassword, c.MySQLOrchestratorPassword = secrets[1], secrets[2]
	})
	// A handler error that quotes a secret (as a driver error might) is masked.
	leak := Route{Path: "/api/test-leak", Handler: func(*Request) (any, string, error) {
		return nil, "", fmt.Errorf("dial user:%s@tcp(db): refused: %w", secrets[1], inst.ErrRefused)
	}}
	s.router.Get("/api/test-leak", func(params martini.Params, req *http.Request, ren render.Render) { s.serve(leak, params, req, ren) })
	var bodies []string
	for _, rt := range append(s.Routes(), leak) {
		// Refused requests only: authorised ones need live components.
		for _, creds := range [][]string{nil, {"dba", "wrong-" + secrets[0]}, {"readonly", "x"}} {
			if !rt.Mutates && creds != nil && creds[0] == "readonly" {
				continue
			}
			_, body := call(t, s, samplePath(rt.Path), creds, nil)
			bodies = append(bodies, body)
		}
	}
	require.Greater(t, len(bodies), 100)
	for _, body := range bodies {
		for _, secret := range secrets {
			require.NotContains(t, body, secret)
		}
	}
	_, body := call(t, s, "/api/test-leak", []string{"dba", secrets[0]}, nil)
	require.Contains(t, body, "********")
}

func TestBadInputIs4xxAndChangesNothing(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	seedTopology(t, s)
	paths := []string{
		"/api/instance/" + url.PathEscape("m' OR '1'='1") + "/3306",
		"/api/instance/%ff%fe/3306",
		"/api/instance/m/-3306",
		"/api/instance/m/99999",
		"/api/forget/m/abc",
		"/api/set-cluster-alias/nosuch?alias=x",
		"/api/submit-pool-instances/p?instances=" + url.QueryEscape("a:1,b:-1"),
		"/api/instance/" + strings.Repeat("h", 10240) + "/3306",
		"/api/search?s=" + strings.Repeat("q", 10240),
	}
	for _, p := range paths {
		code, body := call(t, s, p, nil, nil)
		require.GreaterOrEqual(t, code, 400, p)
		require.Less(t, code, 500, "%s: %s", p, body)
		var env Envelope
		require.NoError(t, json.Unmarshal([]byte(body), &env), body)
		require.Equal(t, "ERROR", env.Code)
	}
	_, body := call(t, s, "/api/search/"+url.PathEscape("' OR 1=1 --"), nil, nil)
	require.Equal(t, "[]", strings.TrimSpace(body))
	keys, err := s.deps.Store.InstanceKeys(t.Context())
	require.NoError(t, err)
	require.Len(t, keys, 3)
	code, _ := call(t, s, "/api/tag/m/3306?tag="+url.QueryEscape("x'); DROP TABLE database_instance; --"), nil, nil)
	require.Equal(t, 200, code, "SQL-ish text is data")
	_, body = call(t, s, "/api/tags/m/3306", nil, nil)
	require.JSONEq(t, `["x'); DROP TABLE database_instance; --"]`, body)
	keys, err = s.deps.Store.InstanceKeys(t.Context())
	require.NoError(t, err)
	require.Len(t, keys, 3)
}

// FuzzInstanceParams: whatever the path parameters, the API answers JSON
// with a status below 500.
func FuzzInstanceParams(f *testing.F) {
	for _, seed := range [][2]string{{"db1", "3306"}, {"[::1]", "3306"}, {"", "x"}, {"a%00b", "-1"}, {"h", "65536"}, {"\xff", "0"}} {
		f.Add(seed[0], seed[1])
	}
	s := newServer(f, nil)
	f.Fuzz(func(t *testing.T, host, port string) {
		for _, route := range []string{"/api/instance/", "/api/tags/", "/api/tag/", "/api/forget/"} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path = route + host + "/" + port
			req.URL.RawPath = ""
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s%q/%q: %d %s", route, host, port, rec.Code, rec.Body.String())
			}
		}
	})
}

// TestUnauthorizedAsksForBasicCredentials: with basic or multi
// authentication a 401 carries WWW-Authenticate (curl --anyauth, browsers);
// the proxy method leaves asking to the proxy.
func TestUnauthorizedAsksForBasicCredentials(t *testing.T) {
	t.Parallel()
	for method, want := range map[string]string{"basic": `Basic realm="orchestrator"`, "multi": `Basic realm="orchestrator"`} {
		s := newServer(t, func(c *config.Config) {
			c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = method, "dba", "pw"
		})
		req := httptest.NewRequest(http.MethodGet, readPath, nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code, method)
		require.Equal(t, want, rec.Header().Get("WWW-Authenticate"), method)
	}
}
