package http

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHealthWithoutBackend: /api/health answers 500 with the envelope (and
// the health details saying why) once the backend cannot be reached.
func TestHealthWithoutBackend(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	code, env, body := get(t, s, "/api/health", "", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, "OK", env["Code"])

	require.NoError(t, s.deps.Store.Close())
	code, env, body = get(t, s, "/api/health", "", "")
	require.Equal(t, 500, code, body)
	require.Equal(t, "ERROR", env["Code"])
	require.Contains(t, env["Message"], "Application node is unhealthy")
	details, ok := env["Details"].(map[string]any)
	require.True(t, ok, "details: %s", body)
	require.Equal(t, false, details["Healthy"])
}
