package http

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUnsupportedAnswerWithReasons: features orchestrator does not have
// answer 404 JSON saying why and what to use instead.
func TestUnsupportedAnswerWithReasons(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	for path, want := range map[string]string{
		"/api/raft-state":           "raft is not used",
		"/api/raft-yield-hint/x":    "raft is not used",
		"/api/reload-configuration": "does not reload its configuration",
		"/api/make-master/h/3306":   "graceful-master-takeover",
	} {
		code, env, _ := get(t, s, path, "", "")
		require.Equal(t, 404, code, path)
		require.Equal(t, "ERROR", env["Code"], path)
		require.Contains(t, env["Message"], want, path)
	}
	for _, path := range []string{"/api/end-maintenance/abc", "/api/end-maintenance/-1", "/api/kill-query/h/3306/x"} {
		code, env, _ := get(t, s, path, "", "")
		require.Equal(t, 400, code, path)
		require.Equal(t, "ERROR", env["Code"], path)
	}
}

// rowNode leads when the backend's leader row is its own, as an elector
// does at its next tick.
type rowNode struct {
	fakeNode
	s *Server
}

func (n rowNode) IsLeader() bool {
	row, err := n.s.deps.Store.ActiveNode(context.Background())
	return err == nil && row.Token == n.Token()
}

// TestGrabElectionWithoutLeader: with no leader row, grab-election takes
// it and answers once this node leads.
func TestGrabElectionWithoutLeader(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.deps.Node = rowNode{s: s}
	code, env, body := get(t, s, "/api/grab-election", "", "")
	require.Equal(t, 200, code, body)
	require.Equal(t, "This node is now the leader", env["Message"])
	code, env, _ = get(t, s, "/api/grab-election", "", "")
	require.Equal(t, 200, code)
	require.Equal(t, "This node is the leader", env["Message"])
}
