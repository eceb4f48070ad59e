package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
)

// service is a real `orchestrator http` process on 127.0.0.1.
type service struct {
	url  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startService builds the binary, writes a SQLite config with basic auth
// and starts the service; it is stopped (SIGTERM, by its PID) at cleanup.
func startService(t *testing.T, sb *sandbox.Sandbox) *service {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "orchestrator")
	build := exec.Command("go", "build", "-o", bin, "./go/cmd/orchestrator")
	build.Dir = "../.."
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	port := freePort(t)
	cfg := map[string]any{
		"BackendDB": "sqlite3", "SQLite3DataFile": filepath.Join(dir, "orchestrator.sqlite3"),
		"ListenAddress": fmt.Sprintf("127.0.0.1:%d", port), "InstancePollSeconds": 1,
		"MySQLTopologyUser": sb.User, "MySQLTopologyPassword": sb.Password,
		"AuthenticationMethod": "basic", "HTTPAuthUser": "dba", "HTTPAuthPassword": "client-pw",
	}
	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	cfgFile := filepath.Join(dir, "orchestrator.conf.json")
	require.NoError(t, os.WriteFile(cfgFile, data, 0o600))
	s := &service{url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &bytes.Buffer{}}
	s.cmd = exec.Command(bin, "--config", cfgFile, "http")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("service output:\n%s", s.logs.String())
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.url + "/api/leader-check")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "service did not become leader")
	return s
}

// client runs resources/bin/orchestrator-client.
func (s *service) client(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "../../resources/bin/orchestrator-client", args...)
	cmd.Env = append(os.Environ(), "ORCHESTRATOR_API="+s.url, "ORCHESTRATOR_AUTH_USER=dba", "ORCHESTRATOR_AUTH_PASSWORD=client-pw")
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if err != nil {
		exit, ok := err.(*exec.ExitError)
		require.True(t, ok, "run client: %v", err)
		code = exit.ExitCode()
	}
	return o.String(), e.String(), code
}

// ok runs a command that must succeed and returns its output lines.
func (s *service) ok(t *testing.T, args ...string) []string {
	t.Helper()
	out, errOut, code := s.client(t, nil, args...)
	require.Equal(t, 0, code, "%v: %s", args, errOut)
	return strings.Fields(out)
}

func TestOrchestratorClientAgainstService(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("jq is required (script/bootstrap installs it)")
	}
	sb := startSandbox(t)
	s := startService(t, sb)
	key := func(port int) string { return fmt.Sprintf("%s:%d", sb.Host, port) }
	m, r1, r2, r3 := key(sb.MasterPort), key(sb.Replica1Port), key(sb.Replica2Port), key(sb.Replica3Port)

	require.Equal(t, []string{m}, s.ok(t, "-c", "discover", "-i", m))
	require.Eventually(t, func() bool {
		out, _, code := s.client(t, nil, "-c", "which-cluster-instances", "-i", m)
		return code == 0 && len(strings.Fields(out)) == 4
	}, 30*time.Second, 200*time.Millisecond, "the crawl finds all four instances")

	t.Run("reads", func(t *testing.T) {
		require.Equal(t, []string{m}, s.ok(t, "-c", "clusters"))
		require.Equal(t, []string{m}, s.ok(t, "-c", "which-cluster", "-i", r3))
		require.Equal(t, []string{m}, s.ok(t, "-c", "which-cluster-master", "-i", r3))
		require.Equal(t, []string{r1}, s.ok(t, "-c", "which-master", "-i", r3))
		require.ElementsMatch(t, []string{r1, r2}, s.ok(t, "-c", "which-replicas", "-i", m))
		require.ElementsMatch(t, []string{m, r1, r2, r3}, s.ok(t, "-c", "all-instances"))
		require.Equal(t, []string{m}, s.ok(t, "-c", "all-clusters-masters"))
		require.Equal(t, []string{r3}, s.ok(t, "--command=instance", "--instance="+r3))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "is-replicating", "-i", r2))
		require.Empty(t, s.ok(t, "-c", "is-replication-stopped", "-i", r2))
		topo := strings.Join(s.ok(t, "-c", "topology", "-i", m), " ")
		for _, k := range []string{m, r1, r2, r3} {
			require.Contains(t, topo, k)
		}
		out, _, code := s.client(t, nil, "-c", "api", "-P", "clusters")
		require.Equal(t, 0, code)
		require.JSONEq(t, fmt.Sprintf("[%q]", m), out)
	})

	t.Run("aliases, tags, candidates, downtime", func(t *testing.T) {
		s.ok(t, "-c", "api", "-P", "set-cluster-alias/"+m+"?alias=sandbox")
		require.Equal(t, []string{"sandbox"}, s.ok(t, "-c", "which-cluster-alias", "-i", r2))
		require.Equal(t, []string{m + ",sandbox"}, s.ok(t, "-c", "clusters-alias"))
		require.Len(t, s.ok(t, "-c", "which-cluster-instances", "-alias", "sandbox"), 4)
		require.Equal(t, []string{r2}, s.ok(t, "-c", "tag", "-i", r2, "-t", "role=backup"))
		require.Equal(t, []string{"role=backup"}, s.ok(t, "-c", "tags", "-i", r2))
		require.Equal(t, []string{"backup"}, s.ok(t, "-c", "tag-value", "-i", r2, "-t", "role"))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "tagged", "-t", "role=backup"))
		require.Equal(t, []string{r1}, s.ok(t, "-c", "register-candidate", "-i", r1, "-promotion-rule", "prefer"))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "begin-downtime", "-i", r2, "-owner", "tester", "-reason", "client test", "-duration", "5m"))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "downtimed"))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "end-downtime", "-i", r2))
		require.Empty(t, s.ok(t, "-c", "downtimed"))
	})

	t.Run("replication control and a move", func(t *testing.T) {
		require.Equal(t, []string{r2}, s.ok(t, "-c", "stop-slave", "-i", r2))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "is-replication-stopped", "-i", r2))
		require.Equal(t, []string{r2}, s.ok(t, "-c", "start-replica", "-i", r2))
		require.Equal(t, []string{r3 + "<" + m}, s.ok(t, "-c", "relocate", "-i", r3, "-d", m))
		require.Equal(t, []string{m}, s.ok(t, "-c", "which-master", "-i", r3))
	})

	t.Run("errors", func(t *testing.T) {
		_, errOut, code := s.client(t, nil, "-c", "no-such-command")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "unknown command")
		_, errOut, code = s.client(t, nil, "-c", "instance", "-i", "nosuch.example:3306")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "Cannot read instance")
		_, errOut, code = s.client(t, nil, "-c", "instance", "-i", "127.0.0.1:-4")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "invalid port")
		_, errOut, code = s.client(t, nil, "-c", "relocate", "-i", r3)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "needs a destination")
		_, errOut, code = s.client(t, nil, "-c", "clusters", "-b", "dba:wrong")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "invalid credentials")
		require.NotContains(t, errOut, "client-pw")
		_, errOut, code = s.client(t, nil, "-c", "clusters", "-bogus-flag", "x")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "unknown option")
	})

	t.Run("leader among several APIs", func(t *testing.T) {
		dead := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
		env := []string{"ORCHESTRATOR_API=" + dead + " " + s.url + "/api"}
		out, errOut, code := s.client(t, env, "-c", "which-api")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, s.url+"/api", strings.TrimSpace(out))
		out, _, code = s.client(t, env, "-c", "clusters")
		require.Equal(t, 0, code)
		require.Equal(t, m, strings.TrimSpace(out))
		_, errOut, code = s.client(t, []string{"ORCHESTRATOR_API=" + dead + " " + dead}, "-c", "clusters")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "cannot find a leader")
	})
}
