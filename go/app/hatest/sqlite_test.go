package hatest

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSQLiteOneServicePerFile starts a service on a SQLite file, then a
// second one on the same file: the second must refuse with one clear line.
// CLI commands keep working next to the service, and once the first
// service is gone (even by kill -9) another may start.
func TestSQLiteOneServicePerFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orchestrator.sqlite3")
	c := &cluster{t: t, http: &http.Client{Timeout: probeWait}}
	for i := 0; i < 2; i++ {
		nd := &node{name: "sqlite" + string(rune('a'+i)), port: freePort(t)}
		nd.config = filepath.Join(dir, nd.name+".conf.json")
		nd.log = filepath.Join(dir, nd.name+".log")
		writeJSON(t, nd.config, map[string]any{
			"ListenAddress":   "127.0.0.1:" + strconv.Itoa(nd.port),
			"BackendDB":       "sqlite3",
			"SQLite3DataFile": data,
		})
		c.nodes = append(c.nodes, nd)
	}
	t.Cleanup(c.killAll)
	first, second := c.nodes[0], c.nodes[1]
	c.start(first)
	c.waitUp(first)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "--config", second.config, "http").CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the second service must exit non-zero: %s", out)
	msg := strings.TrimSpace(string(out))
	require.Equal(t, 1, strings.Count(msg, "\n")+1, "one line: %q", msg)
	require.Contains(t, msg, "is already used by another orchestrator service")
	require.Contains(t, msg, data)
	require.Contains(t, msg, "SQLite is single-node")

	cliOut, err := exec.CommandContext(ctx, binary, "--config", second.config, "-c", "leader").CombinedOutput()
	require.NoError(t, err, "a CLI command runs next to the service: %s", cliOut)
	require.Contains(t, string(cliOut), first.token)

	c.kill9(first)
	c.start(second)
	c.waitUp(second)
	c.eventually(10*time.Second, "the new service leads", func() bool {
		l := c.httpLeaders()
		return len(l) == 1 && l[0] == second
	})
}
