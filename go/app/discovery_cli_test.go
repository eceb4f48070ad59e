package app

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

// store opens the CLI's backend from the test.
func (c *cliSandbox) store(t *testing.T) *backend.Store {
	t.Helper()
	s, err := backend.Open(context.Background(), c.cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

func TestCLITopologyTagsAndBulkListings(t *testing.T) {
	c := newCLISandbox(t)
	require.Equal(t, []string{c.master, c.r1, c.r2, c.r3}, c.ok(t, "bulk-instances"))

	lines := c.ok(t, "topology-tags", "-i", c.master)
	require.Len(t, lines, 4)
	for _, l := range lines {
		require.Regexp(t, `\] \[\]$`, l, "no tags yet")
	}
	require.NoError(t, c.store(t).PutTag(context.Background(), c.r2Key, backend.Tag{Name: "role", Value: "backup", HasValue: true}))
	for _, l := range c.ok(t, "topology-tags", "-i", c.master) {
		if slicesIndex([]string{l}, c.r2) == 0 {
			require.Regexp(t, `\] \[role=backup\]$`, l)
		}
	}

	require.Equal(t, []string{c.r2}, c.ok(t, "register-candidate", "-i", c.r2, "--promotion-rule", "prefer"))
	require.Equal(t, []string{c.r2 + " prefer"}, c.ok(t, "bulk-promotion-rules"))

	require.Equal(t, []string{""}, c.ok(t, "snapshot-topologies"))
	db, err := sql.Open("sqlite", c.db)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM database_instance_topology_history WHERE master_port = ?`, c.masterKey.Port).Scan(&n))
	require.Equal(t, 2, n, "each instance's master recorded: two replicas of the master")
}

func slicesIndex(lines []string, key string) int {
	for n, l := range lines {
		if len(l) >= len(key) && (l[:len(key)] == key || containsWord(l, key)) {
			return n
		}
	}
	return -1
}

func containsWord(line, key string) bool {
	for n := 0; n+len(key) <= len(line); n++ {
		if line[n:n+len(key)] == key && (n == 0 || line[n-1] == ' ') && (n+len(key) == len(line) || line[n+len(key)] == ' ') {
			return true
		}
	}
	return false
}

func TestCLIHostnameCommands(t *testing.T) {
	c := newCLISandboxWith(t, `"HostnameResolveMethod":"ip"`)
	c.ok(t, "discover", "-i", c.master)
	port := c.masterKey.Port
	require.Equal(t, []string{fmt.Sprintf("127.0.0.1:%d", port)}, c.ok(t, "resolve", "-i", fmt.Sprintf("localhost:%d", port)))
	require.Contains(t, c.ok(t, "show-resolve-hosts"), "localhost 127.0.0.1", "recorded by one process, listed by another")
	require.Equal(t, []string{"hostname resolve cache cleared"}, c.ok(t, "reset-hostname-resolve-cache"))
	require.Equal(t, []string{""}, c.ok(t, "show-resolve-hosts"))
	c.fails(t, "invalid IPv4 address", "resolve", "-i", "999.1.1.1:3306")

	require.Equal(t, []string{c.r1}, c.ok(t, "register-hostname-unresolve", "-i", c.r1, "--hostname", "vip-r1"))
	require.Equal(t, []string{"127.0.0.1 vip-r1"}, c.ok(t, "show-unresolve-hosts"))
	c.fails(t, "needs --hostname", "register-hostname-unresolve", "-i", c.r1)
	require.Equal(t, []string{c.r1}, c.ok(t, "deregister-hostname-unresolve", "-i", c.r1))
	require.Equal(t, []string{""}, c.ok(t, "show-unresolve-hosts"))
}

func TestCLIHeuristicDomainInstance(t *testing.T) {
	c := newCLISandboxWith(t, `"DetectClusterDomainQuery":"SELECT 'db.sandbox.example'"`)
	c.ok(t, "discover", "-i", c.master)
	c.fails(t, "writer of domain db.sandbox.example", "which-heuristic-domain-instance", "-i", c.r3)
	require.Equal(t, []string{c.master}, c.ok(t, "set-heuristic-domain-instance", "-i", c.r3))
	require.Equal(t, []string{c.master}, c.ok(t, "which-heuristic-domain-instance", "-i", c.r2))
	require.Contains(t, fmt.Sprint(c.ok(t, "audit", "-i", c.master)), "set-heuristic-domain-instance")

	plain := newCLISandbox(t)
	plain.fails(t, "has no domain", "set-heuristic-domain-instance", "-i", plain.master)
}

// TestCLIAsyncDiscover: the CLI's async-discover hands the key to the
// running service, whose poll loop discovers it and crawls the topology.
func TestCLIAsyncDiscover(t *testing.T) {
	c := newCLISandboxWith(t)
	s := c.store(t)
	reader := topology.NewReader(s, c.cfg)
	d := discovery.New(s, c.in, c.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	require.Equal(t, []string{c.master}, c.ok(t, "async-discover", "-i", c.master))
	want := map[inst.InstanceKey]struct {
		master inst.InstanceKey
		depth  uint
	}{c.masterKey: {}, c.r1Key: {c.masterKey, 1}, c.r2Key: {c.masterKey, 1}, c.r3Key: {c.r1Key, 2}}
	require.Eventually(t, func() bool {
		list, err := reader.Cluster(ctx, c.master)
		if err != nil || len(list) != len(want) {
			return false
		}
		for _, i := range list {
			w, ok := want[i.Key]
			if !ok || !i.IsLastCheckValid || i.ReplicationDepth != w.depth || (w.depth > 0 && i.MasterKey != w.master) {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "the service discovers the whole topology")
	c.fails(t, "empty port", "async-discover", "-i", "db1:")
}
