package faulttest

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// pollingTables are written by the leader's polling, election and
// analysis whatever the API receives; every other table must be left
// exactly as it was by bad input.
var pollingTables = map[string]bool{
	"database_instance": true, "node_health": true, "node_health_history": true, "active_node": true,
	"database_instance_last_analysis": true, "database_instance_analysis_changelog": true,
	"database_instance_topology_history": true, "topology_failure_detection": true,
}

// checksums returns CHECKSUM TABLE of every table of the cluster's
// backend database that polling does not write.
func (f *fixture) checksums() map[string]string {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := f.DB.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema=? ORDER BY table_name`, f.DBName)
	require.NoError(f.T, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(f.T, rows.Scan(&name))
		if !pollingTables[name] {
			tables = append(tables, name)
		}
	}
	require.NoError(f.T, rows.Err())
	rows.Close()
	require.Greater(f.T, len(tables), 10)
	out := map[string]string{}
	for _, name := range tables {
		var table, sum string
		require.NoError(f.T, f.DB.QueryRowContext(ctx, "CHECKSUM TABLE `"+name+"`").Scan(&table, &sum))
		out[name] = sum
	}
	return out
}

// TestBadInputChangesNothing: a corpus of malformed keys, SQL-injection
// strings in aliases, owners and reasons, 10 kB and non-UTF-8 values,
// invalid durations, negative and huge ports and unknown routes against a
// running service → each answered 4xx with a JSON error envelope; the
// same kinds of input and a malformed config file to the CLI → non-zero
// exit with a one-line reason. The backend's tables (those polling does
// not write) have the same checksums before and after.
func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t, 1, nil)
	nd := f.Nodes[0]
	before := f.checksums()
	inject := url.PathEscape("x'); DROP TABLE audit; --")
	big := strings.Repeat("h", 10240)
	m := "127.0.0.1/" + strings.TrimPrefix(f.sb.Addr(f.sb.MasterPort), "127.0.0.1:")
	paths := []string{
		"/api/instance/" + url.PathEscape("m' OR '1'='1") + "/3306",
		"/api/instance/%ff%fe/3306",
		"/api/instance/127.0.0.1/-3306",
		"/api/instance/127.0.0.1/99999999999999999999",
		"/api/instance/127.0.0.1/abc",
		"/api/instance/" + big + "/3306",
		"/api/search?s=" + big,
		"/api/set-cluster-alias/no-such-cluster?alias=" + inject,
		"/api/begin-maintenance/nosuch.invalid/3306/" + inject + "/" + inject,
		"/api/begin-downtime/nosuch.invalid/3306/" + inject + "/" + inject,
		"/api/begin-downtime/" + m + "/owner/reason/10x",
		"/api/begin-downtime/" + m + "/owner/reason/-5m",
		"/api/begin-downtime/" + m + "/owner/reason/" + strings.Repeat("9", 40) + "h",
		"/api/begin-downtime/" + m + "/%ff%fe/%c3%28",
		"/api/register-candidate/" + m + "/" + inject,
		"/api/relocate/" + m + "/127.0.0.1/-1",
		"/api/submit-pool-instances/p?instances=" + url.QueryEscape("a:1,b:-1"),
		"/api/tag/nosuch.invalid/3306?tag=" + inject,
		"/api/ack-recovery/" + inject + "?comment=x",
		"/api/no-such-command",
		"/api/instance",
	}
	for _, p := range paths {
		code, body := f.Get(nd, p)
		require.GreaterOrEqual(t, code, 400, "%.120s: %s", p, body)
		require.Less(t, code, 500, "%.120s: %s", p, body)
		var env struct{ Code, Message string }
		require.NoError(t, json.Unmarshal(body, &env), "%.120s: not JSON: %.200s", p, body)
		require.Equal(t, "ERROR", env.Code, p)
		require.NotEmpty(t, env.Message, p)
	}

	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badJSON, []byte(`{"ListenAddress": `), 0o600))
	badType := filepath.Join(dir, "type.json")
	require.NoError(t, os.WriteFile(badType, []byte(`{"InstancePollSeconds": "soon"}`), 0o600))
	mi := f.sb.Addr(f.sb.MasterPort)
	clis := [][]string{
		{"-c", "no-such-command"},
		{"-c", "instance", "-i", "::bad::"},
		{"-c", "instance", "-i", "127.0.0.1:-1"},
		{"-c", "instance", "-i", "127.0.0.1:99999999999"},
		{"-c", "begin-downtime", "-i", mi, "--owner", "x", "--reason", "y", "--duration", "10x"},
		{"-c", "begin-maintenance", "-i", "nosuch.invalid:3306", "--owner", "x'); DROP TABLE audit; --", "--reason", "\xff\xfe"},
		{"-c", "set-cluster-alias", "-i", "nosuch.invalid:3306", "--alias", big},
		{"-c", "relocate", "-i", mi, "-d", "127.0.0.1:0"},
		{"-c", "begin-downtime", "-i", mi, "--owner", "\xff\xfe", "--reason", "y"},
		{"-c", "begin-maintenance", "-i", mi, "--owner", "x", "--reason", "\xc3\x28"},
	}
	for _, args := range clis {
		f.requireCLIError(args...)
	}
	for _, cfg := range []string{badJSON, badType, filepath.Join(dir, "missing.json")} {
		f.requireCLIError("--config", cfg, "-c", "clusters")
	}
	require.Equal(t, before, f.checksums(), "bad input changed the backend")
}

// requireCLIError runs the CLI (with the first node's config unless args
// name another) and requires a non-zero exit with a one-line reason.
func (f *fixture) requireCLIError(args ...string) {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr string
	var err error
	if len(args) > 0 && args[0] == "--config" {
		c := *f.Cluster
		c.Nodes = append([]*service.Node{{Config: args[1]}}, c.Nodes[1:]...)
		stdout, stderr, err = c.CLI(ctx, args[2:]...)
	} else {
		stdout, stderr, err = f.CLI(ctx, args...)
	}
	shown := strings.Join(args, " ")
	if len(shown) > 120 {
		shown = shown[:120] + "..."
	}
	require.Error(f.T, err, "%s: stdout %q", shown, stdout)
	msg := strings.TrimSpace(stderr)
	require.NotEmpty(f.T, msg, shown)
	require.NotContains(f.T, msg, "\n", "%s: a one-line reason, got %q", shown, msg)
	require.NotContains(f.T, msg, "panic", shown)
	require.Less(f.T, len(msg), 1000, "%s: %q", shown, msg)
	require.NotContains(f.T, msg, "Error 1", "%s: a reason of ours, not the backend's: %q", shown, msg)
}
