package http

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// TestUnreachableServerIs502: discover and refresh of a server that does
// not answer fail with 502 and the envelope naming it (the target server
// failed, not orchestrator); a bad key stays 400.
func TestUnreachableServerIs502(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	port := closedPort(t)
	for _, path := range []string{
		fmt.Sprintf("/api/discover/127.0.0.1/%d", port),
		fmt.Sprintf("/api/refresh/127.0.0.1/%d", port),
	} {
		code, env, body := get(t, s, path, "", "")
		require.Equal(t, 502, code, "%s: %s", path, body)
		require.Equal(t, "ERROR", env["Code"], path)
		require.Contains(t, env["Message"], fmt.Sprintf("127.0.0.1:%d", port), path)
		require.Contains(t, env["Message"], "connection refused", path)
	}
	code, _, _ := get(t, s, "/api/discover/127.0.0.1/notaport", "", "")
	require.Equal(t, 400, code)
}
