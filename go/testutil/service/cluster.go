package service

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
	// Expire is ActiveNodeExpireSeconds in the configs Cluster writes.
	Expire = 5 * time.Second
	// StepDownMark prefixes the row's token of a leader asked to step down
	// (reelect): it still leads until its next tick.
	StepDownMark = "stepdown:"
	// HandoverMark prefixes the row's token of a leader asked to hand
	// over (grab-election): "handover:<holder>:<successor>".
	HandoverMark = "handover:"
	// ProbeWait bounds each HTTP request of the helpers.
	ProbeWait = 400 * time.Millisecond
)

// Cluster is several service nodes on one backend database.
type Cluster struct {
	T      testing.TB
	Binary string
	SB     *sandbox.Sandbox // nil for a SQLite-only cluster
	DBName string
	DB     *sql.DB // the cluster's backend database (nil on SQLite)
	Nodes  []*Node
	HTTP   *http.Client
}

// Bare returns a cluster with no nodes and no backend database: the
// caller adds nodes with their own configs.
func Bare(t testing.TB, binary string) *Cluster {
	c := &Cluster{T: t, Binary: binary, HTTP: &http.Client{Timeout: ProbeWait}}
	t.Cleanup(c.KillAll)
	return c
}

// New writes one config per node (on the sandbox backend, with a fresh
// database; tweak may change each config) and starts n nodes. Every
// process is killed at cleanup.
func New(t testing.TB, binary string, n int, tweak func(map[string]any)) *Cluster {
	t.Helper()
	return NewWith(t, binary, n, tweak, nil)
}

// NewWith is New with prepare called on the cluster after its configs are
// written and before its nodes start (e.g. RunAsNobody).
func NewWith(t testing.TB, binary string, n int, tweak func(map[string]any), prepare func(testing.TB, *Cluster)) *Cluster {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb, "no sandbox")
	dir := t.TempDir() // before Bare: removed after the nodes are killed and their logs shown
	c := Bare(t, binary)
	c.SB, c.DBName = sb, sb.FreshBackendDatabase(t)
	db, err := sql.Open("mysql", sb.DSNFor(sb.BackendPort, c.DBName))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	c.DB = db
	for i := 0; i < n; i++ {
		nd := NewNode(t, dir, fmt.Sprintf("node%d", i))
		cfg := c.BaseConfig(nd.Port)
		if tweak != nil {
			tweak(cfg)
		}
		WriteJSON(t, nd.Config, cfg)
		c.Nodes = append(c.Nodes, nd)
	}
	if prepare != nil {
		prepare(t, c)
	}
	for _, nd := range c.Nodes {
		c.Start(nd)
	}
	for _, nd := range c.Nodes {
		c.WaitUp(nd)
	}
	return c
}

// BaseConfig is the config of a node on port: the sandbox backend and
// topology, 1 s polls, Expire.
func (c *Cluster) BaseConfig(port int) map[string]any {
	sb := c.SB
	return map[string]any{
		"ListenAddress":             net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"BackendDB":                 "mysql",
		"MySQLOrchestratorHost":     sb.Host,
		"MySQLOrchestratorPort":     sb.BackendPort,
		"MySQLOrchestratorDatabase": c.DBName,
		"MySQLOrchestratorUser":     sb.User,
		"MySQLOrchestratorPassword": sb.Password,
		"MySQLTopologyUser":         sb.User,
		"MySQLTopologyPassword":     sb.Password,
		"InstancePollSeconds":       1,
		"DiscoverySeeds":            []string{sb.Addr(sb.MasterPort)},
		"HealthPollSeconds":         1,
		"ActiveNodeExpireSeconds":   int(Expire.Seconds()),
	}
}

// Start launches the node's process (again, after a kill).
func (c *Cluster) Start(nd *Node) {
	c.T.Helper()
	f, err := os.OpenFile(nd.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(c.T, err)
	cmd := exec.Command(c.Binary, "--config", nd.Config, "--verbose", "http")
	cmd.Stdout, cmd.Stderr = f, f
	if nd.RunAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: nd.RunAs}
	}
	require.NoError(c.T, cmd.Start())
	nd.cmd, nd.exited, nd.err, nd.Token = cmd, make(chan struct{}), nil, ""
	go func(done chan struct{}) {
		nd.err = cmd.Wait()
		f.Close()
		close(done)
	}(nd.exited)
}

// WaitUp waits for the node's API and records its token.
func (c *Cluster) WaitUp(nd *Node) {
	c.T.Helper()
	c.Eventually(20*time.Second, nd.Name+" serves /api/health", func() bool {
		var env struct{ Details struct{ Token string } }
		if c.GetJSON(nd, "/api/health", &env) != http.StatusOK || env.Details.Token == "" {
			return false
		}
		nd.Token = env.Details.Token
		return true
	})
}

// KillAll kills every running node (continuing stopped ones first) and,
// when the test failed, logs each node's log tail.
func (c *Cluster) KillAll() {
	for _, nd := range c.Nodes {
		if nd.cmd != nil && nd.Alive() {
			_ = nd.cmd.Process.Signal(syscall.SIGCONT)
			_ = nd.cmd.Process.Kill()
			<-nd.exited
		}
	}
	if c.T.Failed() {
		for _, nd := range c.Nodes {
			b, _ := os.ReadFile(nd.Log)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			c.T.Logf("--- %s (port %d, token %s) log tail:\n%s", nd.Name, nd.Port, nd.Token, b)
		}
	}
}

// Get asks the node for path; 0 when it does not answer within ProbeWait.
func (c *Cluster) Get(nd *Node, path string) (int, []byte) {
	resp, err := c.HTTP.Get(nd.URL() + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

// GetJSON is Get decoding the body into v; 0 when it is not JSON.
func (c *Cluster) GetJSON(nd *Node, path string, v any) int {
	code, body := c.Get(nd, path)
	if code != 0 && json.Unmarshal(body, v) != nil {
		return 0
	}
	return code
}

// HTTPLeaders asks every node's /api/leader-check at the same time and
// returns those answering 200. A node that does not answer in time
// (stopped, dead) counts as not leading.
func (c *Cluster) HTTPLeaders() []*Node {
	codes := make([]int, len(c.Nodes))
	var wg sync.WaitGroup
	for i, nd := range c.Nodes {
		wg.Add(1)
		go func(i int, nd *Node) { defer wg.Done(); codes[i], _ = c.Get(nd, "/api/leader-check") }(i, nd)
	}
	wg.Wait()
	var out []*Node
	for i, code := range codes {
		if code == http.StatusOK {
			out = append(out, c.Nodes[i])
		}
	}
	return out
}

// RowLeader reads the backend's active_node row: the token, and whether
// it is fresh (refreshed within Expire).
func (c *Cluster) RowLeader() (token string, fresh bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var ageMicros int64
	err = c.DB.QueryRowContext(ctx, `SELECT token, TIMESTAMPDIFF(MICROSECOND, last_seen_active, UTC_TIMESTAMP(6)) FROM active_node WHERE anchor=1`).Scan(&token, &ageMicros)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return token, err == nil && time.Duration(ageMicros)*time.Microsecond < Expire, err
}

// RowHolder is the token of the node holding the leader row whose token
// is token, marked for a step-down or a handover or not.
func RowHolder(token string) string {
	if t, ok := strings.CutPrefix(token, StepDownMark); ok {
		return t
	}
	if t, ok := strings.CutPrefix(token, HandoverMark); ok {
		holder, _, _ := strings.Cut(t, ":")
		return holder
	}
	return token
}

// Leader returns the node that leads by both accounts — the only one
// answering 200 on /api/leader-check, and the holder of a fresh backend
// row — or nil.
func (c *Cluster) Leader() *Node {
	before, fresh, err := c.RowLeader()
	if err != nil || !fresh {
		return nil
	}
	l := c.HTTPLeaders()
	after, _, err := c.RowLeader()
	if err != nil || after != before || len(l) != 1 || l[0].Token != before {
		return nil
	}
	return l[0]
}

// WaitLeader waits for one leader (other than not, when given) and
// returns it.
func (c *Cluster) WaitLeader(within time.Duration, not *Node) *Node {
	c.T.Helper()
	var got *Node
	c.Eventually(within, "one leader", func() bool {
		got = c.Leader()
		return got != nil && got != not
	})
	return got
}

// Eventually polls cond every 50 ms and fails the test after within.
func (c *Cluster) Eventually(within time.Duration, what string, cond func() bool) {
	c.T.Helper()
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			c.T.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// CLI runs one orchestrator CLI command with the first node's config.
func (c *Cluster) CLI(ctx context.Context, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, c.Binary, append([]string{"--config", c.Nodes[0].Config}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}
