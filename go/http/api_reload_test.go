package http

import (
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

type fakeReloader struct {
	s     *Server
	next  func(*config.Config)
	extra []string
}

func (f *fakeReloader) Reload(extra string) (config.ReloadReport, error) {
	f.extra = append(f.extra, extra)
	if extra == "bad.json" {
		return config.ReloadReport{}, inst.Errorf(inst.ErrRefused, "configuration not reloaded: bad.json: malformed JSON")
	}
	next := *f.s.conf()
	f.next(&next)
	return config.ReloadReport{Files: []string{"orchestrator.conf.json"}, Applied: []string{"ReadOnly"}}, f.s.ApplyConfig(&next)
}

// TestReloadConfigurationRoute: /api/reload-configuration hands ?config=
// to the reloader and answers its report; what the server applied
// (ReadOnly, credentials) holds from the next request; a refused reload
// is 409 and changes nothing.
func TestReloadConfigurationRoute(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(c *config.Config) {
		c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", "old"
	})
	f := &fakeReloader{s: s, next: func(c *config.Config) { c.HTTPAuthPassword = "new" }}
	s.deps.Reloader = f
	code, env, body := get(t, s, "/api/reload-configuration?config=extra.json", "dba", "old")
	require.Equal(t, 200, code, body)
	require.Equal(t, "Config reloaded", env["Message"])
	require.Equal(t, []any{"ReadOnly"}, env["Details"].(map[string]any)["Applied"])
	require.Equal(t, []string{"extra.json"}, f.extra)
	code, _, _ = get(t, s, "/api/clusters", "dba", "old")
	require.Equal(t, 401, code, "the old password no longer works")
	code, _, _ = get(t, s, "/api/clusters", "dba", "new")
	require.Equal(t, 200, code)

	f.next = func(c *config.Config) { c.ReadOnly = true }
	code, _, _ = get(t, s, "/api/reload-configuration", "dba", "new")
	require.Equal(t, 200, code)
	code, _, _ = get(t, s, "/api/forget/db1/3306", "dba", "new")
	require.Equal(t, 403, code, "read-only from the next request")
	code, _, _ = get(t, s, "/api/reload-configuration", "dba", "new")
	require.Equal(t, 403, code, "a read-only node is reloaded by SIGHUP only")

	f.next = func(c *config.Config) { c.ReadOnly = false }
	require.NoError(t, s.ApplyConfig(func() *config.Config { n := *s.conf(); n.ReadOnly = false; return &n }()))
	code, env, _ = get(t, s, "/api/reload-configuration?config=bad.json", "dba", "new")
	require.Equal(t, 409, code)
	require.Contains(t, env["Message"], "malformed JSON")

	n := *s.conf()
	n.AuthenticationMethod, n.HTTPAuthPassword = "basic", ""
	require.Error(t, s.ApplyConfig(&n), "basic without a password is refused")
	code, _, _ = get(t, s, "/api/clusters", "dba", "new")
	require.Equal(t, 200, code, "the running configuration is kept")
}
