package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

const (
	topoUser, topoSecret       = "orc_topo", "Topo-S3cret-9q1"
	backendUser, backendSecret = "orc_back", "Backend-S3cret-7w2"
	httpSecret                 = "Http-S3cret-5e3"
)

// createUsers adds a topology user (on the master, replicated to every
// replica) and a backend user, each with a password found nowhere else;
// they are dropped when the test ends.
func createUsers(t *testing.T, f *fixture) {
	t.Helper()
	grant := func(user, pass string) string {
		var b strings.Builder
		for _, host := range []string{"%", "127.0.0.1", "localhost"} {
			fmt.Fprintf(&b, "CREATE USER '%s'@'%s' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'%s' WITH GRANT OPTION; ", user, host, pass, user, host)
		}
		return b.String()
	}
	drop := func(user string) string {
		return fmt.Sprintf("DROP USER IF EXISTS '%[1]s'@'%%', '%[1]s'@'127.0.0.1', '%[1]s'@'localhost'", user)
	}
	_, err := f.sb.SQL(f.sb.BackendPort, grant(backendUser, backendSecret))
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = f.sb.SQL(f.sb.BackendPort, drop(backendUser)) })
	_, err = f.sb.SQL(f.sb.MasterPort, grant(topoUser, topoSecret))
	require.NoError(t, err)
	require.NoError(t, f.sb.Reset(context.Background())) // the users reach every replica
	// Cleanups run last-in first-out: this one before the fixture's, so
	// it stops the node and repairs the topology itself before dropping
	// the user on the master (the drop replicates).
	t.Cleanup(func() {
		f.KillAll()
		require.NoError(t, f.sb.Reset(context.Background()))
		_, _ = f.sb.SQL(f.sb.MasterPort, drop(topoUser))
	})
}

// TestSecretsNeverShown: a service run with the topology credentials in
// a my.cnf-style file (mode 0600), the backend credentials in one left
// readable by others, and the basic-auth password in the config file: discovery, every read route, wrong
// credentials, a master failover, CLI commands that fail (unreachable
// server, unreachable backend) → none of the three passwords appears in
// the node's log, any API response, any backend row or any CLI output,
// and the loose credentials file is warned about.
func TestSecretsNeverShown(t *testing.T) {
	f := newFixture(t, 1, nil)
	createUsers(t, f)
	f.KillAll()
	nd := f.Nodes[0]
	cred := filepath.Join(t.TempDir(), "backend.cnf")
	require.NoError(t, os.WriteFile(cred, []byte("[client]\nuser="+backendUser+"\npassword="+backendSecret+"\n"), 0o644))
	topoCred := filepath.Join(t.TempDir(), "topology.cnf")
	require.NoError(t, os.WriteFile(topoCred, []byte("[client]\nuser="+topoUser+"\npassword="+topoSecret+"\n"), 0o600))
	cfg := f.BaseConfig(nd.Port)
	recoveryConfig(cfg)
	delete(cfg, "MySQLOrchestratorUser")
	delete(cfg, "MySQLOrchestratorPassword")
	delete(cfg, "MySQLTopologyUser")
	delete(cfg, "MySQLTopologyPassword")
	cfg["MySQLOrchestratorCredentialsConfigFile"] = cred
	cfg["MySQLTopologyCredentialsConfigFile"] = topoCred
	cfg["AuthenticationMethod"], cfg["HTTPAuthUser"], cfg["HTTPAuthPassword"] = "basic", "dba", httpSecret
	service.WriteJSON(t, nd.Config, cfg)
	f.Start(nd)
	f.Eventually(20*time.Second, "the node serves", func() bool { code, _ := f.Get(nd, "/api/health"); return code == http.StatusOK })
	f.waitDiscovered()

	var outputs []string
	answered := map[bool]int{} // authorised request answered 200 → count
	refused := 0               // requests with a wrong password answered 401
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string, auth bool) {
		req, err := http.NewRequest(http.MethodGet, nd.URL()+path, nil)
		require.NoError(t, err)
		if auth {
			req.SetBasicAuth("dba", httpSecret)
		} else {
			req.SetBasicAuth("dba", "wrong-"+httpSecret)
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		require.NoError(t, err)
		if d := time.Since(t0); d > time.Second {
			t.Logf("slow: %s took %v", path, d.Round(time.Millisecond))
		}
		if auth {
			answered[resp.StatusCode == http.StatusOK]++
		} else if resp.StatusCode == http.StatusUnauthorized {
			refused++
		}
		var b strings.Builder
		_, _ = fmt.Fprint(&b, resp.Header)
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		outputs = append(outputs, path+" "+b.String())
	}
	master := f.sb.Addr(f.sb.MasterPort)
	readAll := func() {
		for _, rt := range routeTable() {
			if rt.Mutates || strings.HasPrefix(rt.Path, "/debug/pprof") { // profiles run for seconds and hold no text
				continue
			}
			p := strings.NewReplacer("nosuch.invalid", "127.0.0.1", "/x", "/"+master).Replace(samplePath(rt.Path))
			p = strings.Replace(p, "/3306", fmt.Sprintf("/%d", f.sb.MasterPort), 1)
			get(p, true)
			get(p, false)
		}
	}
	readAll()
	require.NoError(t, f.sb.Kill(f.sb.MasterPort))
	f.waitRecovery(f.sb.MasterPort, 30*time.Second)
	readAll()
	get("/api/discover/127.0.0.1/1", true) // an unreachable server: a driver error in the answer

	require.Greater(t, answered[true], 100, "authorised reads answered: %v", answered)
	require.Greater(t, refused, 100)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wrongBackend := filepath.Join(t.TempDir(), "wrong-backend.json")
	cfg["MySQLOrchestratorPort"] = f.sb.MasterPort // the dead master: connection refused
	service.WriteJSON(t, wrongBackend, cfg)
	for _, args := range [][]string{
		{"--config", nd.Config, "-c", "clusters"},
		{"--config", nd.Config, "-c", "topology", "-i", f.sb.Addr(f.sb.Replica2Port)},
		{"--config", nd.Config, "-c", "discover", "-i", "127.0.0.1:1"},
		{"--config", nd.Config, "--debug", "-c", "instance", "-i", master},
		{"--config", wrongBackend, "-c", "clusters"},
	} {
		out, err := execCLI(ctx, args...)
		if args[3] == "clusters" && args[1] == nd.Config {
			require.NoError(t, err, out)
			require.Contains(t, out, f.sb.Addr(f.sb.Replica1Port)[:10], "the CLI reads the backend with the file's credentials")
			require.Contains(t, out, "accessible by group or others", "the CLI warns about the loose credentials file too")
			require.NotContains(t, out, topoCred, "the 0600 topology file is not warned about")
		}
		outputs = append(outputs, strings.Join(args, " ")+" "+out+fmt.Sprint(err))
	}

	f.KillAll()
	logText := nd.LogText()
	require.Contains(t, logText, "accessible by group or others", "a loose credentials file is warned about")
	outputs = append(outputs, logText)
	outputs = append(outputs, f.dumpBackend()...)
	require.Greater(t, len(outputs), 100)
	for _, out := range outputs {
		for _, secret := range []string{topoSecret, backendSecret, httpSecret} {
			require.NotContains(t, out, secret, "%.300s", out)
		}
	}
}

// execCLI runs the binary with args and returns stdout and stderr together.
func execCLI(ctx context.Context, args ...string) (string, error) {
	c := service.Cluster{Binary: binary, Nodes: []*service.Node{{}}}
	c.Nodes[0].Config = args[1]
	stdout, stderr, err := c.CLI(ctx, args[2:]...)
	return stdout + stderr, err
}

// dumpBackend returns every row of every table of the cluster's backend
// database as text.
func (f *fixture) dumpBackend() []string {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var tables []string
	rows, err := f.DB.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema=?`, f.DBName)
	require.NoError(f.T, err)
	for rows.Next() {
		var name string
		require.NoError(f.T, rows.Scan(&name))
		tables = append(tables, name)
	}
	rows.Close()
	var out []string
	for _, name := range tables {
		rows, err := f.DB.QueryContext(ctx, "SELECT * FROM `"+name+"`")
		require.NoError(f.T, err)
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			require.NoError(f.T, rows.Scan(ptrs...))
			var b strings.Builder
			b.WriteString(name)
			for _, v := range vals {
				b.WriteString(" " + string(v))
			}
			out = append(out, b.String())
		}
		rows.Close()
	}
	return out
}
