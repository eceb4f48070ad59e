package hatest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// recoveryLease is the recovery lock's lease (go/recovery's default).
const recoveryLease = 10 * time.Second

// TestLiveCLIRecoveryOutlivesTakeover: a failover run by a CLI process
// (held in its pre-failover hook) keeps its recovery and its cluster lock
// when the leader is killed and another takes over, for longer than a
// lease: the CLI renews it. Once the CLI is killed -9, its lease lapses
// and the leader records the recovery as interrupted and frees the lock.
// No server is changed: the hook never ends while the CLI lives.
func TestLiveCLIRecoveryOutlivesTakeover(t *testing.T) {
	release := filepath.Join(t.TempDir(), "release-hook")
	c := service.New(t, binary, 2, func(cfg map[string]any) {
		cfg["PreFailoverProcesses"] = []string{"while [ ! -f " + release + " ]; do sleep 0.1; done"}
	})
	t.Cleanup(func() { _ = os.WriteFile(release, nil, 0o600) }) // lets an orphaned hook end
	leader := c.WaitLeader(20*time.Second, nil)
	master := c.SB.Addr(c.SB.MasterPort)
	c.Eventually(30*time.Second, "the topology discovered, the master heading its cluster", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, _, err := c.CLI(ctx, "-c", "which-cluster-master", "-i", master)
		if err != nil || strings.TrimSpace(out) != master {
			return false
		}
		out, _, err = c.CLI(ctx, "-c", "which-cluster-instances", "-i", master)
		return err == nil && len(strings.Fields(out)) == 4
	})

	cli := exec.Command(binary, "--config", c.Nodes[0].Config, "-c", "force-master-failover", "-i", master)
	var cliOut bytes.Buffer
	cli.Stdout, cli.Stderr = &cliOut, &cliOut
	require.NoError(t, cli.Start())
	exited := make(chan struct{})
	go func() { _ = cli.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cli.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("CLI output:\n%s", cliOut.String())
		}
	})

	var uid, token, cluster string
	c.Eventually(30*time.Second, "the CLI's recovery runs", func() bool {
		return c.DB.QueryRow(`SELECT uid, processcing_node_token, cluster_name FROM topology_recovery WHERE end_recovery IS NULL`).
			Scan(&uid, &token, &cluster) == nil
	})
	for _, nd := range c.Nodes {
		require.NotEqual(t, nd.Token, token, "run by the CLI, not by a service")
	}

	leader.Kill9(t)
	next := c.WaitLeader(service.Expire+2*time.Second, leader)
	for end := time.Now().Add(recoveryLease + 2*time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		var running int
		require.NoError(t, c.DB.QueryRow(`SELECT COUNT(*) FROM topology_recovery WHERE uid=? AND end_recovery IS NULL`, uid).Scan(&running))
		require.Equal(t, 1, running, "the new leader leaves the live CLI's recovery alone")
		require.Equal(t, token, lockHolder(t, c, cluster), "and its lock")
	}

	require.NoError(t, cli.Process.Signal(syscall.SIGKILL))
	<-exited
	c.Eventually(recoveryLease+5*time.Second, "the dead CLI's recovery is ended as interrupted", func() bool {
		var interrupted int
		err := c.DB.QueryRow(`SELECT interrupted FROM topology_recovery WHERE uid=? AND end_recovery IS NOT NULL`, uid).Scan(&interrupted)
		return err == nil && interrupted == 1
	})
	require.Empty(t, lockHolder(t, c, cluster), "its lock is released")
	require.Contains(t, next.LogText(), "stopped renewing its lock", "by the leader")
}

// lockHolder is the token holding cluster's recovery lock ("" if none).
func lockHolder(t *testing.T, c *service.Cluster, cluster string) string {
	t.Helper()
	var token string
	err := c.DB.QueryRow(`SELECT token FROM cluster_recovery_lock WHERE cluster_name=?`, cluster).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return ""
	}
	require.NoError(t, err)
	return token
}
