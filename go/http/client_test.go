package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
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

// clientScript is the client under test, relative to this package.
const clientScript = "../../resources/bin/orchestrator-client"

// service is a real `orchestrator http` process on 127.0.0.1, serving
// HTTPS with a certificate signed by a CA the test made.
type service struct {
	url    string // https://127.0.0.1:port
	ca     *testCA
	caFile string
	// clientCert and clientKey are set with UseMutualTLS.
	clientCert, clientKey string
	dir                   string
	cmd                   *exec.Cmd
	logs                  *bytes.Buffer
	httpc                 *http.Client // trusts ca; for reading the truth from the API
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// buildOrchestrator builds the binary into a temporary directory.
func buildOrchestrator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orchestrator")
	build := exec.Command("go", "build", "-o", bin, "./go/cmd/orchestrator")
	build.Dir = "../.."
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// startService writes a SQLite config with basic auth and UseSSL (a
// certificate for 127.0.0.1 signed by a fresh CA) and starts the service;
// it is stopped (SIGTERM, by its PID) at cleanup. With mutual, clients
// must also present a certificate of that CA (UseMutualTLS); one is
// written to clientCert/clientKey.
func startService(t *testing.T, sb *sandbox.Sandbox, bin string, mutual bool) *service {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, "orchestrator-client test CA")
	certPEM, keyPEM := ca.issue(t, true, "")
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	s := &service{ca: ca, caFile: writeFile(t, dir, "ca.pem", ca.pem), dir: dir, logs: &bytes.Buffer{}}
	port := freePort(t)
	cfg := map[string]any{
		"BackendDB": "sqlite3", "SQLite3DataFile": filepath.Join(dir, "orchestrator.sqlite3"),
		"ListenAddress": fmt.Sprintf("127.0.0.1:%d", port), "InstancePollSeconds": 1,
		"MySQLTopologyUser": sb.User, "MySQLTopologyPassword": sb.Password,
		"AuthenticationMethod": "basic", "HTTPAuthUser": "dba", "HTTPAuthPassword": "client-pw",
		"UseSSL": true, "SSLCertFile": writeFile(t, dir, "server.pem", certPEM), "SSLPrivateKeyFile": writeFile(t, dir, "server.key", keyPEM),
		// dominant-dc has something to find: the first octet of the address.
		"DataCenterPattern": `^([0-9]+)\.`,
		// make-co-master and a demoted master set up replication from scratch.
		"ReplicationCredentialsQuery": "SELECT 'repl', 'repl_pass'",
	}
	if mutual {
		cfg["UseMutualTLS"], cfg["SSLCAFile"] = true, s.caFile
		cPEM, kPEM := ca.issue(t, false, "dba")
		s.clientCert, s.clientKey = writeFile(t, dir, "client.pem", cPEM), writeFile(t, dir, "client.key", kPEM)
		pair, err := tls.X509KeyPair(cPEM, kPEM)
		require.NoError(t, err)
		tc.Certificates = []tls.Certificate{pair}
	}
	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	cfgFile := writeFile(t, dir, "orchestrator.conf.json", data)
	s.url = fmt.Sprintf("https://127.0.0.1:%d", port)
	s.httpc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
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
		resp, err := s.httpc.Get(s.url + "/api/leader-check")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "service did not become leader")
	return s
}

// apiGet reads an API path (below /api/) as the truth to compare with,
// decoding the JSON answer into v.
func (s *service) apiGet(t *testing.T, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+"/api/"+path, nil)
	require.NoError(t, err)
	req.SetBasicAuth("dba", "client-pw")
	resp, err := s.httpc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	require.NoError(t, json.Unmarshal(body, v), "%s: %s", path, body)
}

// client runs the orchestrator-client script against the service: its
// URL, basic auth through the environment and its CA through
// ORCHESTRATOR_SSL_CA_FILE; env adds to or overrides these.
func (s *service) client(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, clientScript, args...)
	cmd.Env = append(os.Environ(), "ORCHESTRATOR_API="+s.url, "ORCHESTRATOR_AUTH_USER=dba", "ORCHESTRATOR_AUTH_PASSWORD=client-pw",
		"ORCHESTRATOR_SSL_CA_FILE="+s.caFile, "CURL_HOME="+s.dir)
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		exit, ok := err.(*exec.ExitError)
		require.True(t, ok, "run client: %v", err)
		code = exit.ExitCode()
	}
	return o.String(), e.String(), code
}

// ok runs a command that must succeed and returns its non-empty output lines.
func (s *service) ok(t *testing.T, args ...string) []string {
	t.Helper()
	out, errOut, code := s.client(t, nil, args...)
	require.Equal(t, 0, code, "%v: %s", args, errOut)
	return outputLines(out)
}

// fails runs a command that must exit 1 and returns its stderr.
func (s *service) fails(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, code := s.client(t, env, args...)
	require.Equal(t, 1, code, "%v must fail; stdout %q", args, out)
	return errOut
}

func outputLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	return lines
}

// TestOrchestratorClient runs resources/bin/orchestrator-client against one
// live `orchestrator http` service over HTTPS on the MariaDB sandbox: every
// command of its dispatch table (client_commands_test.go), then the ways to
// trust the certificate, leader discovery among several URLs, the ways to
// authenticate, and its errors.
func TestOrchestratorClient(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("jq is required (script/bootstrap installs it)")
	}
	sb := startSandbox(t)
	require.NoError(t, sb.Reset(context.Background()))
	bin := buildOrchestrator(t)
	f := newClientFixture(t, sb, startService(t, sb, bin, false))

	t.Run("commands", func(t *testing.T) {
		for _, ph := range f.phases() {
			t.Run(ph.name, func(t *testing.T) { f.runPhase(t, ph) })
			if t.Failed() {
				return
			}
		}
	})
	t.Run("https", func(t *testing.T) { f.checkHTTPS(t) })
	t.Run("mutual TLS", func(t *testing.T) { checkMutualTLS(t, startService(t, sb, bin, true)) })
	t.Run("leader among several APIs", func(t *testing.T) { f.checkLeader(t) })
	t.Run("authentication", func(t *testing.T) { f.checkAuth(t) })
	t.Run("errors", func(t *testing.T) { f.checkErrors(t) })
}

// checkHTTPS: the certificate is verified; a CA is given by
// ORCHESTRATOR_SSL_CA_FILE or curl's own CURL_CA_BUNDLE, or verification is
// skipped with ORCHESTRATOR_SSL_SKIP_VERIFY.
func (f *clientFixture) checkHTTPS(t *testing.T) {
	noCA := "ORCHESTRATOR_SSL_CA_FILE="
	errOut := f.fails(t, []string{noCA, "CURL_CA_BUNDLE=", "SSL_CERT_FILE="}, "-c", "clusters")
	require.Contains(t, errOut, "cannot reach "+f.url+"/api")
	require.Contains(t, errOut, "certificate", "curl's reason is shown")
	require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)

	stranger := newTestCA(t, "stranger CA")
	errOut = f.fails(t, []string{"ORCHESTRATOR_SSL_CA_FILE=" + writeFile(t, f.dir, "stranger.pem", stranger.pem)}, "-c", "clusters")
	require.Contains(t, errOut, "certificate")

	errOut = f.fails(t, []string{"ORCHESTRATOR_SSL_CA_FILE=" + filepath.Join(f.dir, "missing.pem")}, "-c", "clusters")
	require.Contains(t, errOut, "cannot reach")

	for name, env := range map[string][]string{
		"ORCHESTRATOR_SSL_CA_FILE":     nil,
		"CURL_CA_BUNDLE":               {noCA, "CURL_CA_BUNDLE=" + f.caFile},
		"ORCHESTRATOR_SSL_SKIP_VERIFY": {noCA, "CURL_CA_BUNDLE=", "ORCHESTRATOR_SSL_SKIP_VERIFY=1"},
	} {
		out, errOut, code := f.client(t, env, "-c", "which-cluster-master", "-i", f.r3)
		require.Equal(t, 0, code, "%s: %s", name, errOut)
		require.Equal(t, []string{f.m}, outputLines(out), name)
	}
}

// checkMutualTLS: a service with UseMutualTLS (a second process) refuses a
// client without a certificate and answers one given
// ORCHESTRATOR_SSL_CERT_FILE and ORCHESTRATOR_SSL_KEY_FILE.
func checkMutualTLS(t *testing.T, s *service) {
	errOut := s.fails(t, nil, "-c", "api", "-P", "clusters")
	require.Contains(t, errOut, "cannot reach "+s.url+"/api")
	out, errOut, code := s.client(t, []string{"ORCHESTRATOR_SSL_CERT_FILE=" + s.clientCert, "ORCHESTRATOR_SSL_KEY_FILE=" + s.clientKey}, "-c", "api", "-P", "clusters")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{"[]"}, outputLines(out))
}

// checkLeader: with several URLs, one of them dead, the client uses the one
// answering 200 to /api/leader-check.
func (f *clientFixture) checkLeader(t *testing.T) {
	dead := fmt.Sprintf("https://127.0.0.1:%d", freePort(t))
	env := []string{"ORCHESTRATOR_API=" + dead + " " + f.url + "/api/"}
	out, errOut, code := f.client(t, env, "-c", "which-api")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{f.url + "/api"}, outputLines(out))
	out, errOut, code = f.client(t, env, "-c", "which-master", "-i", f.r3)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{f.r1}, outputLines(out))
	out, errOut, code = f.client(t, nil, "-c", "which-api", "-U", dead+" "+f.url)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{f.url + "/api"}, outputLines(out), "-U overrides ORCHESTRATOR_API")

	errOut = f.fails(t, []string{"ORCHESTRATOR_API=" + dead + " " + dead + "/api"}, "-c", "clusters")
	require.Contains(t, errOut, "cannot find a leader")
}

// checkAuth: basic auth from -b or ORCHESTRATOR_AUTH_USER/_PASSWORD; -b wins.
func (f *clientFixture) checkAuth(t *testing.T) {
	noEnv := []string{"ORCHESTRATOR_AUTH_USER=", "ORCHESTRATOR_AUTH_PASSWORD="}
	errOut := f.fails(t, noEnv, "-c", "clusters")
	require.Contains(t, errOut, "authentication required")

	out, errOut, code := f.client(t, noEnv, "-c", "clusters", "-b", "dba:client-pw")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{f.m}, outputLines(out))
	out, errOut, code = f.client(t, noEnv, "--command=clusters", "--auth=dba:client-pw")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{f.m}, outputLines(out))

	errOut = f.fails(t, nil, "-c", "clusters", "-b", "dba:wrong")
	require.Contains(t, errOut, "invalid credentials")
	require.NotContains(t, errOut, "client-pw")
	errOut = f.fails(t, []string{"ORCHESTRATOR_AUTH_PASSWORD=wrong"}, "-c", "clusters")
	require.Contains(t, errOut, "invalid credentials")
}

func (f *clientFixture) checkErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", "no-such-command"}, "unknown command"},
		{[]string{"-i", f.r3}, "no command given"},
		{[]string{"-c", "instance", "-i", "nosuch.example:3306"}, "Cannot read instance"},
		{[]string{"-c", "instance", "-i", "127.0.0.1:-4"}, "invalid port"},
		{[]string{"-c", "relocate", "-i", f.r3}, "needs a destination"},
		{[]string{"-c", "which-master"}, "needs an instance"},
		{[]string{"-c", "begin-downtime", "-i", f.r2}, "needs -r reason"},
		{[]string{"-c", "clusters", "-bogus-flag", "x"}, "unknown option"},
		{[]string{"-c", "clusters", "-i"}, "needs a value"},
	} {
		require.Contains(t, f.fails(t, nil, c.args...), c.want, "%v", c.args)
	}
}
