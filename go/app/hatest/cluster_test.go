package hatest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
)

const (
	expire = 5 * time.Second // ActiveNodeExpireSeconds in the test config
	// stepDownMark prefixes the row's token of a leader asked to step down
	// (reelect): it still leads until its next tick.
	stepDownMark = "stepdown:"
	probeWait    = 400 * time.Millisecond
)

// node is one `orchestrator http` process.
type node struct {
	name   string
	port   int
	config string
	log    string
	token  string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// cluster is several service nodes on one backend database.
type cluster struct {
	t      testing.TB
	sb     *sandbox.Sandbox
	dbName string
	db     *sql.DB
	nodes  []*node
	http   *http.Client
}

// newCluster writes one config per node (on the sandbox backend, with a
// fresh database) and starts n nodes. Every process is killed at cleanup.
func newCluster(t testing.TB, n int) *cluster {
	t.Helper()
	sb := sandbox.Current()
	c := &cluster{t: t, sb: sb, dbName: sb.FreshBackendDatabase(t), http: &http.Client{Timeout: probeWait}}
	db, err := sql.Open("mysql", sb.DSNFor(sb.BackendPort, c.dbName))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	c.db = db
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		nd := &node{name: fmt.Sprintf("node%d", i), port: freePort(t)}
		nd.config = filepath.Join(dir, nd.name+".conf.json")
		nd.log = filepath.Join(dir, nd.name+".log")
		writeJSON(t, nd.config, c.config(nd.port))
		c.nodes = append(c.nodes, nd)
	}
	t.Cleanup(c.killAll)
	for _, nd := range c.nodes {
		c.start(nd)
	}
	for _, nd := range c.nodes {
		c.waitUp(nd)
	}
	return c
}

func (c *cluster) config(port int) map[string]any {
	sb := c.sb
	return map[string]any{
		"ListenAddress":             net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"BackendDB":                 "mysql",
		"MySQLOrchestratorHost":     sb.Host,
		"MySQLOrchestratorPort":     sb.BackendPort,
		"MySQLOrchestratorDatabase": c.dbName,
		"MySQLOrchestratorUser":     sb.User,
		"MySQLOrchestratorPassword": sb.Password,
		"MySQLTopologyUser":         sb.User,
		"MySQLTopologyPassword":     sb.Password,
		"InstancePollSeconds":       1,
		"DiscoverySeeds":            []string{sb.Addr(sb.MasterPort)},
		"HealthPollSeconds":         1,
		"ActiveNodeExpireSeconds":   int(expire.Seconds()),
	}
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start launches the node's process (again, after a kill).
func (c *cluster) start(nd *node) {
	c.t.Helper()
	f, err := os.OpenFile(nd.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(c.t, err)
	cmd := exec.Command(binary, "--config", nd.config, "--verbose", "http")
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(c.t, cmd.Start())
	nd.cmd, nd.exited, nd.err, nd.token = cmd, make(chan struct{}), nil, ""
	go func(done chan struct{}) {
		nd.err = cmd.Wait()
		f.Close()
		close(done)
	}(nd.exited)
}

// waitUp waits for the node's API and records its token.
func (c *cluster) waitUp(nd *node) {
	c.t.Helper()
	c.eventually(20*time.Second, nd.name+" serves /api/health", func() bool {
		var env struct{ Details struct{ Token string } }
		if c.getJSON(nd, "/api/health", &env) != http.StatusOK || env.Details.Token == "" {
			return false
		}
		nd.token = env.Details.Token
		return true
	})
}

func (c *cluster) alive(nd *node) bool {
	select {
	case <-nd.exited:
		return false
	default:
		return true
	}
}

func (c *cluster) signal(nd *node, sig syscall.Signal) {
	c.t.Helper()
	require.NoError(c.t, nd.cmd.Process.Signal(sig), "%s %s", sig, nd.name)
}

// kill9 kills the node with SIGKILL and waits for the process to go.
func (c *cluster) kill9(nd *node) {
	c.t.Helper()
	c.signal(nd, syscall.SIGKILL)
	<-nd.exited
}

func (c *cluster) killAll() {
	for _, nd := range c.nodes {
		if nd.cmd != nil && c.alive(nd) {
			_ = nd.cmd.Process.Signal(syscall.SIGCONT)
			_ = nd.cmd.Process.Kill()
			<-nd.exited
		}
	}
	if c.t.Failed() {
		for _, nd := range c.nodes {
			b, _ := os.ReadFile(nd.log)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			c.t.Logf("--- %s (port %d, token %s) log tail:\n%s", nd.name, nd.port, nd.token, b)
		}
	}
}

func (c *cluster) get(nd *node, path string) (int, []byte) {
	resp, err := c.http.Get("http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(nd.port)) + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

func (c *cluster) getJSON(nd *node, path string, v any) int {
	code, body := c.get(nd, path)
	if code != 0 && json.Unmarshal(body, v) != nil {
		return 0
	}
	return code
}

// httpLeaders asks every node's /api/leader-check at the same time and
// returns those answering 200. A node that does not answer in time
// (stopped, dead) counts as not leading.
func (c *cluster) httpLeaders() []*node {
	codes := make([]int, len(c.nodes))
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		wg.Add(1)
		go func(i int, nd *node) { defer wg.Done(); codes[i], _ = c.get(nd, "/api/leader-check") }(i, nd)
	}
	wg.Wait()
	var out []*node
	for i, code := range codes {
		if code == http.StatusOK {
			out = append(out, c.nodes[i])
		}
	}
	return out
}

// rowLeader reads the backend's active_node row: the token, and whether
// it is fresh (refreshed within the expiry).
func (c *cluster) rowLeader() (token string, fresh bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var ageMicros int64
	err = c.db.QueryRowContext(ctx, `SELECT token, TIMESTAMPDIFF(MICROSECOND, last_seen_active, UTC_TIMESTAMP(6)) FROM active_node WHERE anchor=1`).Scan(&token, &ageMicros)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return token, err == nil && time.Duration(ageMicros)*time.Microsecond < expire, err
}

func (c *cluster) byToken(token string) *node {
	for _, nd := range c.nodes {
		if nd.token != "" && nd.token == token {
			return nd
		}
	}
	return nil
}

// leader returns the node that leads by both accounts — the only one
// answering 200 on /api/leader-check, and the holder of a fresh backend
// row — or nil.
func (c *cluster) leader() *node {
	before, fresh, err := c.rowLeader()
	if err != nil || !fresh {
		return nil
	}
	l := c.httpLeaders()
	after, _, err := c.rowLeader()
	if err != nil || after != before || len(l) != 1 || l[0].token != before {
		return nil
	}
	return l[0]
}

// waitLeader waits for one leader (other than not, when given) and
// returns it.
func (c *cluster) waitLeader(within time.Duration, not *node) *node {
	c.t.Helper()
	var got *node
	c.eventually(within, "one leader", func() bool {
		got = c.leader()
		return got != nil && got != not
	})
	return got
}

func (c *cluster) eventually(within time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sampler checks, every 100 ms until stopped, that no two nodes answer
// 200 on /api/leader-check, and that when exactly one does while the
// backend row stays put, the row is that node's.
type sampler struct {
	c          *cluster
	stop       chan struct{}
	done       chan struct{}
	mu         sync.Mutex
	samples    int
	violations []string
}

func (c *cluster) startSampler() *sampler {
	s := &sampler{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *sampler) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		before, _, errBefore := s.c.rowLeader()
		l := s.c.httpLeaders()
		after, _, errAfter := s.c.rowLeader()
		s.mu.Lock()
		s.samples++
		switch {
		case len(l) > 1:
			s.violations = append(s.violations, fmt.Sprintf("%s: %d nodes answer leader-check 200", time.Now().Format("15:04:05.000"), len(l)))
		case len(l) == 1 && errBefore == nil && errAfter == nil && before == after && strings.TrimPrefix(before, stepDownMark) != l[0].token:
			s.violations = append(s.violations, fmt.Sprintf("%s: %s answers leader-check 200 but the backend row names %q", time.Now().Format("15:04:05.000"), l[0].name, before))
		}
		s.mu.Unlock()
	}
}

// check stops the sampler and fails the test on any violation.
func (s *sampler) check(t testing.TB) {
	t.Helper()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Empty(t, s.violations, "leadership invariant broken (%d samples)", s.samples)
	require.Positive(t, s.samples)
}

// cli runs one orchestrator CLI command against the cluster's backend.
func (c *cluster) cli(ctx context.Context, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, binary, append([]string{"--config", c.nodes[0].config}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}
