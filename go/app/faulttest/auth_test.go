package faulttest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// credential is how one request identifies itself.
type credential struct {
	name       string
	user, pass string            // basic auth when user != ""
	headers    map[string]string // e.g. the proxy's user header
}

func (c credential) get(client *http.Client, url string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// TestAuthEveryMutatingRoute starts one service process per
// AuthenticationMethod (basic, multi, proxy) and sends every mutating
// route of the route table (parameters naming nothing that exists) with
// each wrong credential → 401 or 403, and with the right one → the
// handler runs (any status but 401 and 403).
func TestAuthEveryMutatingRoute(t *testing.T) {
	var mutating []string
	for _, rt := range routeTable() {
		if rt.Mutates {
			mutating = append(mutating, samplePath(rt.Path))
		}
	}
	require.Greater(t, len(mutating), 40)
	const user, pass = "dba", "Auth-pw-42"
	cases := []struct {
		method string
		config map[string]any
		wrong  []credential
		right  credential
	}{
		{"basic", map[string]any{"HTTPAuthUser": user, "HTTPAuthPassword": pass}, []credential{
			{name: "anonymous"}, {name: "wrong password", user: user, pass: "nope"}, {name: "readonly", user: "readonly", pass: "x"},
		}, credential{name: "configured user", user: user, pass: pass}},
		{"multi", map[string]any{"HTTPAuthUser": user, "HTTPAuthPassword": pass}, []credential{
			{name: "anonymous"}, {name: "wrong password", user: user, pass: "nope"}, {name: "readonly", user: "readonly", pass: "x"},
		}, credential{name: "configured user", user: user, pass: pass}},
		{"proxy", map[string]any{"AuthUserHeader": "X-Remote-User", "PowerAuthUsers": []string{"alice"}}, []credential{
			{name: "no header"}, {name: "other user", headers: map[string]string{"X-Remote-User": "bob"}},
			{name: "default header", headers: map[string]string{"X-Forwarded-User": "alice"}},
		}, credential{name: "power user", headers: map[string]string{"X-Remote-User": "alice"}}},
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			c := service.New(t, binary, 1, func(cfg map[string]any) {
				delete(cfg, "DiscoverySeeds") // no topology: an authorised request finds nothing to change
				cfg["AuthenticationMethod"] = tc.method
				for k, v := range tc.config {
					cfg[k] = v
				}
			})
			nd := c.Nodes[0]
			for _, path := range mutating {
				for _, cred := range tc.wrong {
					code, err := cred.get(client, nd.URL()+path)
					require.NoError(t, err)
					require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, code, "%s %s: %s", tc.method, cred.name, path)
				}
			}
			reached := 0
			for _, path := range mutating {
				code, err := tc.right.get(client, nd.URL()+path)
				require.NoError(t, err)
				require.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, code, "%s %s: %s", tc.method, tc.right.name, path)
				reached++
			}
			require.Equal(t, len(mutating), reached)
			require.True(t, nd.Alive())
		})
	}
}
