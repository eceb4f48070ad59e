package http

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUnsupportedAnswerWithReasons: features orchestrator does not have
// answer 404 JSON saying why and what to use instead; grab-election is a
// safe step-down.
func TestUnsupportedAnswerWithReasons(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for path, want := range map[string]string{
		"/api/raft-state":           "raft is not used",
		"/api/raft-yield-hint/x":    "raft is not used",
		"/api/reload-configuration": "restart the service",
		"/api/make-master/h/3306":   "graceful-master-takeover",
	} {
		code, env, _ := get(t, s, path, "", "")
		require.Equal(t, 404, code, path)
		require.Equal(t, "ERROR", env["Code"], path)
		require.Contains(t, env["Message"], want, path)
	}
	code, env, _ := get(t, s, "/api/grab-election", "", "")
	require.Equal(t, 200, code)
	require.Contains(t, env["Message"], "No active leader")
	for _, path := range []string{"/api/end-maintenance/abc", "/api/end-maintenance/-1", "/api/kill-query/h/3306/x"} {
		code, env, _ = get(t, s, path, "", "")
		require.Equal(t, 400, code, path)
		require.Equal(t, "ERROR", env["Code"], path)
	}
}
