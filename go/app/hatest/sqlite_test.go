package hatest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// TestSQLiteOneServicePerFile starts a service on a SQLite file, then a
// second one on the same file: the second must refuse with one clear line.
// CLI commands keep working next to the service, and once the first
// service is gone (even by kill -9) another may start.
func TestSQLiteOneServicePerFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orchestrator.sqlite3")
	c := service.Bare(t, binary)
	for i := 0; i < 2; i++ {
		nd := service.NewNode(t, dir, "sqlite"+string(rune('a'+i)))
		service.WriteJSON(t, nd.Config, map[string]any{
			"ListenAddress":   "127.0.0.1:" + strconv.Itoa(nd.Port),
			"BackendDB":       "sqlite3",
			"SQLite3DataFile": data,
		})
		c.Nodes = append(c.Nodes, nd)
	}
	first, second := c.Nodes[0], c.Nodes[1]
	c.Start(first)
	c.WaitUp(first)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "--config", second.Config, "http").CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the second service must exit non-zero: %s", out)
	msg := strings.TrimSpace(string(out))
	require.Equal(t, 1, strings.Count(msg, "\n")+1, "one line: %q", msg)
	require.Contains(t, msg, "is already used by another orchestrator service")
	require.Contains(t, msg, data)
	require.Contains(t, msg, "SQLite is single-node")

	cliOut, err := exec.CommandContext(ctx, binary, "--config", second.Config, "-c", "leader").CombinedOutput()
	require.NoError(t, err, "a CLI command runs next to the service: %s", cliOut)
	require.Contains(t, string(cliOut), first.Token)

	first.Kill9(t)
	c.Start(second)
	c.WaitUp(second)
	c.Eventually(10*time.Second, "the new service leads", func() bool {
		l := c.HTTPLeaders()
		return len(l) == 1 && l[0] == second
	})
}
