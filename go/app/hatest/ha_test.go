package hatest

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// TestServiceHA runs three service nodes on the sandbox backend and goes
// through the failure cases in order; a sampler checks throughout that no
// two nodes ever claim leadership at once.
func TestServiceHA(t *testing.T) {
	c := service.New(t, binary, 3, nil)
	s := c.StartSampler()
	leader := c.WaitLeader(20*time.Second, nil)

	t.Run("health lists every node", func(t *testing.T) {
		var env struct {
			Details struct {
				Healthy        bool
				IsActiveNode   bool
				ActiveNode     struct{ Token string }
				AvailableNodes []struct{ Token string }
			}
		}
		for _, nd := range c.Nodes {
			require.Equal(t, http.StatusOK, c.GetJSON(nd, "/api/health", &env))
			require.True(t, env.Details.Healthy)
			require.Equal(t, nd == leader, env.Details.IsActiveNode, nd.Name)
			require.Equal(t, leader.Token, env.Details.ActiveNode.Token)
			require.Len(t, env.Details.AvailableNodes, 3)
		}
		for _, path := range []string{"/api/lb-check", "/api/_ping", "/health/live", "/health/ready"} {
			code, _ := c.Get(c.Nodes[0], path)
			require.Equal(t, http.StatusOK, code, path)
		}
	})

	t.Run("only the leader polls and cleans up", func(t *testing.T) {
		c.Eventually(20*time.Second, "the leader polls", func() bool { return probes(c, leader) > 0 })
		_, err := c.DB.Exec(`INSERT INTO hostname_unresolve (hostname, unresolved_hostname, last_registered)
			VALUES ('gone-host', 'gone-vip', UTC_TIMESTAMP(6) - INTERVAL 1 DAY)`)
		require.NoError(t, err)
		c.Eventually(30*time.Second, "the expired unresolve is cleaned up", func() bool {
			var n int
			return c.DB.QueryRow(`SELECT COUNT(*) FROM hostname_unresolve WHERE hostname='gone-host'`).Scan(&n) == nil && n == 0
		})
		require.Contains(t, leader.LogText(), "cleanup hostname unresolves: 1 rows", "the leader cleaned it up")
		for _, nd := range c.Nodes {
			if nd == leader {
				continue
			}
			require.Zero(t, probes(c, nd), "%s (a follower) polls nothing", nd.Name)
			log := nd.LogText()
			require.NotContains(t, log, "leader work started", nd.Name)
			require.NotContains(t, log, "cleanup ", "%s (a follower) cleans nothing up", nd.Name)
		}
	})

	t.Run("dogfood: the leader polls its backend", func(t *testing.T) {
		c.Eventually(20*time.Second, "backend in database_instance", func() bool {
			var n int
			err := c.DB.QueryRow(`SELECT COUNT(*) FROM database_instance WHERE hostname=? AND port=? AND last_seen IS NOT NULL`,
				c.SB.Host, c.SB.BackendPort).Scan(&n)
			return err == nil && n == 1
		})
	})

	t.Run("reelect (API and CLI) moves leadership", func(t *testing.T) {
		follower := c.Nodes[0]
		if follower == leader {
			follower = c.Nodes[1]
		}
		var env struct{ Code string }
		require.Equal(t, http.StatusOK, c.GetJSON(follower, "/api/reelect", &env))
		require.Equal(t, "OK", env.Code)
		leader = c.WaitLeader(10*time.Second, leader)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, stderr, err := c.CLI(ctx, "-c", "reelect")
		require.NoError(t, err, stderr)
		require.Contains(t, out, leader.Token, "the CLI names the leader it asked")
		leader = c.WaitLeader(10*time.Second, leader)
	})

	t.Run("kill -9 the leader", func(t *testing.T) {
		old := leader
		old.Kill9(t)
		leader = c.WaitLeader(service.Expire+2*time.Second, old)
		c.Start(old)
		c.WaitUp(old)
	})

	t.Run("SIGSTOP the leader past the expiry, then SIGCONT", func(t *testing.T) {
		old := leader
		old.Signal(t, syscall.SIGSTOP)
		leader = c.WaitLeader(service.Expire+5*time.Second, old)
		time.Sleep(time.Second) // stay stopped past the takeover
		old.Signal(t, syscall.SIGCONT)
		// The resumed node answers again, as a follower, and the new
		// leader keeps its row.
		c.Eventually(5*time.Second, "resumed node answers", func() bool {
			code, _ := c.Get(old, "/api/leader-check")
			return code == http.StatusNotFound
		})
		// Its leader work stopped: over several poll intervals it probes
		// nothing (a leader probes every instance each second), starts
		// no leader work, and the backend's leader row stays the new
		// leader's.
		resumedLog := len(old.LogText())
		base := stableProbes(c, old)
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			require.Equal(t, base, probes(c, old), "the resumed node polls nothing")
			token, _, err := c.RowLeader()
			require.NoError(t, err)
			require.NotEqual(t, old.Token, service.RowHolder(token), "the resumed node never holds the row")
		}
		require.NotContains(t, old.LogText()[resumedLog:], "leader work started")
		for i := 0; i < 20; i++ {
			require.Equal(t, leader, c.WaitLeader(2*time.Second, nil), "the new leader stays")
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("SIGTERM hands over without waiting for the expiry", func(t *testing.T) {
		old := leader
		old.Signal(t, syscall.SIGTERM)
		leader = c.WaitLeader(service.Expire-time.Second, old)
		require.NoError(t, old.Wait(), "a SIGTERM'd service exits 0")
		c.Start(old)
		c.WaitUp(old)
	})

	t.Run("backend restart", func(t *testing.T) {
		pids := map[string]int{}
		for _, nd := range c.Nodes {
			pids[nd.Name] = nd.PID()
		}
		require.NoError(t, c.SB.Kill(c.SB.BackendPort))
		require.NoError(t, c.SB.StartOne(c.SB.BackendPort))
		c.WaitLeader(30*time.Second, nil)
		for _, nd := range c.Nodes {
			require.True(t, nd.Alive(), "%s still runs", nd.Name)
			require.Equal(t, pids[nd.Name], nd.PID())
			c.Eventually(10*time.Second, nd.Name+" healthy", func() bool {
				code, _ := c.Get(nd, "/health/ready")
				return code == http.StatusOK
			})
		}
	})

	t.Run("8 concurrent CLI processes", func(t *testing.T) {
		master := c.SB.Addr(c.SB.MasterPort)
		c.Eventually(20*time.Second, "master discovered", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, _, err := c.CLI(ctx, "-c", "clusters")
			return err == nil && strings.TrimSpace(out) != ""
		})
		// Round 1: 8 processes race for one maintenance lock.
		outs, errs := concurrentCLI(t, c, 8, func(int) []string {
			return []string{"-c", "begin-maintenance", "-i", master, "--reason", "hatest"}
		})
		won := 0
		for i := range outs {
			if errs[i] == nil {
				won++
				require.Equal(t, master, strings.TrimSpace(outs[i]))
			}
		}
		require.Equal(t, 1, won, "exactly one concurrent begin-maintenance succeeds: %v", errs)
		// Round 2: reads and writes mixed while the services run.
		outs, errs = concurrentCLI(t, c, 8, func(i int) []string {
			switch i % 4 {
			case 0:
				return []string{"-c", "clusters"}
			case 1:
				return []string{"-c", "in-maintenance", "-i", master}
			case 2:
				return []string{"-c", "active-nodes"}
			default:
				return []string{"-c", "leader"}
			}
		})
		for i := range outs {
			require.NoError(t, errs[i], "command %d", i)
		}
		require.Equal(t, outs[0], outs[4], "clusters agree")
		require.Equal(t, master, strings.TrimSpace(outs[1]), "in-maintenance sees the lock")
		for _, out := range []string{outs[3], outs[7]} {
			f := strings.Fields(out)
			require.GreaterOrEqual(t, len(f), 2, out)
			require.Equal(t, leader.Token, f[1], "leader names the leading node")
		}
		require.GreaterOrEqual(t, strings.Count(outs[2], "\thttp"), 3, "active-nodes lists the services")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, stderr, err := c.CLI(ctx, "-c", "end-maintenance", "-i", master)
		require.NoError(t, err, stderr)
	})

	s.Check(t)
}

// probes is how many probes nd's discovery made (its /api/debug/metrics);
// -1 when it does not answer.
func probes(c *service.Cluster, nd *service.Node) int64 {
	var m struct{ DiscoveryProbesOK, DiscoveryProbesBad int64 }
	if c.GetJSON(nd, "/api/debug/metrics", &m) != http.StatusOK {
		return -1
	}
	return m.DiscoveryProbesOK + m.DiscoveryProbesBad
}

// stableProbes waits until nd's probe count stays the same for half a
// second (probes in flight when its leader work stopped have ended) and
// returns it.
func stableProbes(c *service.Cluster, nd *service.Node) int64 {
	c.T.Helper()
	var n int64
	c.Eventually(10*time.Second, nd.Name+" stops probing", func() bool {
		n = probes(c, nd)
		time.Sleep(500 * time.Millisecond)
		return n >= 0 && probes(c, nd) == n
	})
	return n
}

// concurrentCLI runs n CLI processes at once; each must finish within
// 60 s (a deadlock would not).
func concurrentCLI(t *testing.T, c *service.Cluster, n int, args func(i int) []string) ([]string, []error) {
	outs, errs := make([]string, n), make([]error, n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var stderr string
			outs[i], stderr, errs[i] = c.CLI(ctx, args(i)...)
			if errs[i] != nil {
				errs[i] = cliError{strconv.Itoa(i) + ": " + strings.TrimSpace(stderr), errs[i]}
			}
		}(i)
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "CLI processes did not finish: deadlock?")
	return outs, errs
}

type cliError struct {
	msg string
	err error
}

func (e cliError) Error() string { return e.msg + " (" + e.err.Error() + ")" }
