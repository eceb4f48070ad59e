// Package service runs real `orchestrator http` processes for tests: one
// or several nodes on the sandbox's backend MariaDB (a fresh database per
// cluster), with helpers to signal them, ask their API, find the leader
// and run CLI commands on the same backend. Used by go/app/hatest (leader
// election) and go/app/faulttest (faults, partitions, load, bad input,
// secrets, auth); see docs/high-availability.md and docs/reliability.md.
package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Node is one `orchestrator http` process.
type Node struct {
	Name   string
	Port   int
	Config string // path of its JSON config
	Log    string // path of its stdout+stderr
	Token  string // its election token, read from /api/health by WaitUp
	// RunAs, when set, is the user and group the process runs as (see
	// RunAsNobody); nil: this process's.
	RunAs  *syscall.Credential
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// NewNode names a node and picks its files under dir and a free port;
// write its config with WriteJSON before starting it.
func NewNode(t testing.TB, dir, name string) *Node {
	t.Helper()
	nd := &Node{Name: name, Port: FreePort(t)}
	nd.Config = filepath.Join(dir, name+".conf.json")
	nd.Log = filepath.Join(dir, name+".log")
	return nd
}

// Addr is the node's listen address.
func (nd *Node) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(nd.Port)) }

// URL is the node's base URL.
func (nd *Node) URL() string { return "http://" + nd.Addr() }

// PID is the process id of the running (or last) process, 0 if never started.
func (nd *Node) PID() int {
	if nd.cmd == nil || nd.cmd.Process == nil {
		return 0
	}
	return nd.cmd.Process.Pid
}

// Build compiles the orchestrator binary into dir and returns its path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "orchestrator")
	build := exec.Command("go", "build", "-o", bin, "orchestrator/go/cmd/orchestrator")
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, &out
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build: %w: %s", err, out.String())
	}
	return bin, nil
}

// WriteJSON writes v as indented JSON with mode 0600.
func WriteJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// FreePort returns a loopback TCP port free at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Alive reports whether the node's process is running.
func (nd *Node) Alive() bool {
	if nd.exited == nil {
		return false
	}
	select {
	case <-nd.exited:
		return false
	default:
		return true
	}
}

// Signal sends sig to the node's process.
func (nd *Node) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, nd.cmd.Process.Signal(sig), "%s %s", sig, nd.Name)
}

// Kill9 kills the node with SIGKILL and waits for the process to go.
func (nd *Node) Kill9(t testing.TB) {
	t.Helper()
	nd.Signal(t, syscall.SIGKILL)
	<-nd.exited
}

// Wait waits for the process to exit and returns its exit error.
func (nd *Node) Wait() error {
	<-nd.exited
	return nd.err
}

// LogText returns the node's log so far.
func (nd *Node) LogText() string {
	b, _ := os.ReadFile(nd.Log)
	return string(b)
}

// Nobody is the credential of the unprivileged user nobody (uid 65534).
var Nobody = &syscall.Credential{Uid: 65534, Gid: 65534}

// RunAsNobody makes the cluster's nodes run as nobody, whose traffic a
// test can then single out (iptables -m owner --uid-owner 65534): the
// binary and every node's files are copied or written where nobody can
// read them. Call it before starting the nodes (NewWith's prepare).
func RunAsNobody(t testing.TB, c *Cluster) {
	t.Helper()
	dir, err := os.MkdirTemp("", "orchestrator-nobody-*")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	b, err := os.ReadFile(c.Binary)
	require.NoError(t, err)
	bin := filepath.Join(dir, "orchestrator")
	require.NoError(t, os.WriteFile(bin, b, 0o755))
	c.Binary = bin
	for _, nd := range c.Nodes {
		cfg, err := os.ReadFile(nd.Config)
		require.NoError(t, err)
		nd.Config = filepath.Join(dir, nd.Name+".conf.json")
		require.NoError(t, os.WriteFile(nd.Config, cfg, 0o644)) // sandbox passwords only
		nd.RunAs = Nobody
	}
}
