package hatest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// TestGrabElection runs two service nodes and asks the follower, then
// the new follower, for /api/grab-election: each time the asking node
// leads when the request answers, the old leader's leader work has
// stopped (it polls nothing more), and the sampler never sees two
// leaders or a leader the backend row does not name.
func TestGrabElection(t *testing.T) {
	c := service.New(t, binary, 2, nil)
	s := c.StartSampler()
	leader := c.WaitLeader(20*time.Second, nil)
	client := &http.Client{Timeout: 30 * time.Second}
	grab := func(nd *service.Node) (int, string) {
		resp, err := client.Get(nd.URL() + "/api/grab-election")
		require.NoError(t, err)
		defer resp.Body.Close()
		var env struct{ Code, Message string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
		return resp.StatusCode, env.Message
	}
	for round := 0; round < 2; round++ {
		follower := c.Nodes[0]
		if follower == leader {
			follower = c.Nodes[1]
		}
		c.Eventually(20*time.Second, leader.Name+" polls", func() bool { return probes(c, leader) > 0 })
		oldLog := len(leader.LogText())
		code, msg := grab(follower)
		require.Equal(t, http.StatusOK, code, msg)
		require.Equal(t, "This node is now the leader", msg)
		require.Equal(t, follower, c.WaitLeader(5*time.Second, nil), "the node that asked leads, by both accounts")
		require.Contains(t, leader.LogText()[oldLog:], "handed leadership over to "+follower.Token)
		require.Contains(t, leader.LogText()[oldLog:], "leader work stopped")
		base := stableProbes(c, leader)
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			require.Equal(t, base, probes(c, leader), "the old leader polls nothing more")
		}
		c.Eventually(20*time.Second, follower.Name+" polls as the leader", func() bool { return probes(c, follower) > 0 })
		code, msg = grab(follower)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "This node is the leader", msg, "asking the leader changes nothing")
		require.True(t, strings.Contains(follower.LogText(), "leader work started"))
		leader = follower
	}
	s.Check(t)
}
