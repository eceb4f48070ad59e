package app

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
)

// TestCLIRecovery: with the master killed, replication-analysis reports
// DeadMaster, recover --dry-run names the successor and changes nothing,
// recover promotes it, data-safety prints the report, why explains, and
// the acknowledgement commands need a comment.
func TestCLIRecovery(t *testing.T) {
	c := newCLISandbox(t)
	c.fails(t, "Recovery not attempted", "recover", "-i", c.r2)
	// The candidate a failover of the master would promote now, changing
	// nothing; a must_not replica is never it.
	candidate := c.ok(t, "get-candidate-replica", "-i", c.master)
	require.Len(t, candidate, 1)
	require.Contains(t, []string{c.r1, c.r2}, candidate[0], "a direct replica of the master")
	c.ok(t, "register-candidate", "-i", candidate[0], "--promotion-rule", "must_not")
	sibling := map[string]string{c.r1: c.r2, c.r2: c.r1}[candidate[0]]
	require.Equal(t, []string{sibling}, c.ok(t, "get-candidate-slave", "-i", c.master), "the legacy name; must_not is skipped")
	c.ok(t, "register-candidate", "-i", candidate[0], "--promotion-rule", "neutral")
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r1Key), "nothing moved")
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r2Key), "nothing moved")
	c.fails(t, "has no replicas", "get-candidate-replica", "-i", c.r3)
	require.NoError(t, sandbox.Current().Kill(c.masterKey.Port))
	require.Eventually(t, func() bool {
		c.ok(t, "refresh", "-i", c.r1)
		c.ok(t, "refresh", "-i", c.r2)
		_, _, _ = run(t, "--config", c.conf, "-c", "refresh", "-i", c.master)
		return strings.Contains(strings.Join(c.ok(t, "replication-analysis"), "\n"), c.master+" (cluster "+c.master+"): DeadMaster")
	}, 20*time.Second, 200*time.Millisecond)

	plan := strings.Join(c.ok(t, "recover", "-i", c.master, "--dry-run"), "\n")
	require.Contains(t, plan, "dry run")
	require.Contains(t, plan, "successor: ")
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r2Key), "a dry run changes nothing")

	out := c.ok(t, "recover", "-i", c.master)
	require.Len(t, out, 1)
	require.Contains(t, []string{c.r1, c.r2}, out[0])
	other := c.r2Key
	if out[0] == c.r2 {
		other = c.r1Key
	}
	require.Equal(t, strings.Split(out[0], ":")[1], itoa(c.masterPort(t, other)))

	var report map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.Join(c.ok(t, "data-safety", "-i", c.master), "\n")), &report))
	require.Equal(t, "GTID", report["Method"])
	require.Contains(t, strings.Join(c.ok(t, "why", "-i", c.master), "\n"), "recovery ")
	c.fails(t, "--reason", "ack-all-recoveries")
	require.Equal(t, []string{"1 recoveries acknowledged"}, c.ok(t, "ack-all-recoveries", "--reason", "checked"))
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCLIMasterPosWait: master-pos-wait returns once the replica executed
// the master's current position; a missing or bad --binlog is refused.
func TestCLIMasterPosWait(t *testing.T) {
	c := newCLISandbox(t)
	sb := sandbox.Current()
	_, err := sb.SQL(c.masterKey.Port, "CREATE DATABASE IF NOT EXISTS posw; CREATE TABLE IF NOT EXISTS posw.t (n INT); INSERT INTO posw.t VALUES (1)")
	require.NoError(t, err)
	status, err := sb.SQL(c.masterKey.Port, "SHOW MASTER STATUS")
	require.NoError(t, err)
	f := strings.Fields(status)
	require.GreaterOrEqual(t, len(f), 2, status)
	require.Equal(t, []string{c.r2}, c.ok(t, "master-pos-wait", "-i", c.r2, "--binlog", f[0]+":"+f[1]))
	out, err := sb.SQL(c.r2Key.Port, "SELECT COUNT(*) FROM posw.t")
	require.NoError(t, err)
	require.NotEqual(t, "0", out, "the replica executed up to the position")
	c.fails(t, "--binlog", "master-pos-wait", "-i", c.r2)
	c.fails(t, "--binlog", "master-pos-wait", "-i", c.r2, "--binlog", "nonsense")
}
