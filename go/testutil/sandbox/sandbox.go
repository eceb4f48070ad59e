// Package sandbox runs a loopback MariaDB GTID replication topology for
// integration tests (see docs/sandbox.md):
//
//	master ─┬─ replica1 ── replica3
//	        └─ replica2
//	backend (optional, standalone)
//
// Each test binary gets its own directory and ports, so packages can run
// their integration tests in parallel. The servers are managed by
// script/sandbox; this package finds the script by walking up from the
// working directory to the directory holding go.mod.
//
// Typical use:
//
//	func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }
//
//	func TestSomething(t *testing.T) {
//		sb := sandbox.Current()
//		if err := sb.Reset(context.Background()); err != nil { t.Fatal(err) }
//		...
//	}
package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" database/sql driver
)

// Credentials created on every sandbox server (and on the backend).
const (
	DefaultUser     = "orchestrator"
	DefaultPassword = "orch_pass"
	ReplUser        = "repl"
	ReplPassword    = "repl_pass"

	// BackendDatabase is created on the backend server.
	BackendDatabase = "orchestrator"
)

const (
	portRangeLow  = 22000
	portRangeHigh = 30000
	portBlock     = 10 // base .. base+9
	startAttempts = 4
	startTimeout  = 3 * time.Minute
	cmdTimeout    = time.Minute
)

// Sandbox is a running topology. Its methods are safe for concurrent use.
type Sandbox struct {
	Dir                                                  string
	Host                                                 string // "127.0.0.1"
	MasterPort, Replica1Port, Replica2Port, Replica3Port int
	BackendPort                                          int // 0 when not started with a backend
	User, Password                                       string

	script   string
	portLock *os.File

	resetMu          sync.Mutex // serialises Reset
	mu               sync.Mutex // guards the fields below
	stopped          bool
	reseeds          int
	lastReseedReason string
}

// Options controls Start.
type Options struct {
	// WithBackend also starts a standalone MariaDB (not replicating) on
	// base+9 with an "orchestrator" database, for orchestrator's own store.
	WithBackend bool
}

// Start creates a sandbox on free ports in a fresh temporary directory and
// waits until every replica replicates.
func Start(opts Options) (*Sandbox, error) {
	script, err := FindScript()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		base, lock, err := pickBasePort()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "orchestrator-sandbox-*")
		if err != nil {
			unlockPort(lock)
			return nil, err
		}
		s := &Sandbox{
			Dir:          dir,
			Host:         "127.0.0.1",
			MasterPort:   base,
			Replica1Port: base + 1,
			Replica2Port: base + 2,
			Replica3Port: base + 3,
			User:         DefaultUser,
			Password:     DefaultPassword,
			script:       script,
			portLock:     lock,
		}
		if opts.WithBackend {
			s.BackendPort = base + 9
		}
		args := []string{"--base-port", strconv.Itoa(base)}
		if opts.WithBackend {
			args = append(args, "--with-backend")
		}
		args = append(args, "start")
		env := []string{}
		if !Keep() {
			// script/sandbox destroys the sandbox when this process is gone.
			env = append(env, "SANDBOX_OWNER_PID="+strconv.Itoa(os.Getpid()))
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		_, err = s.runEnv(ctx, env, args...)
		cancel()
		if err == nil {
			return s, nil
		}
		lastErr = err
		_ = s.Stop()
		if !isBindError(err) {
			break
		}
	}
	return nil, fmt.Errorf("sandbox: start failed: %w", lastErr)
}

// Keep reports whether SANDBOX_KEEP=1 asks to leave the sandbox running.
func Keep() bool {
	v := os.Getenv("SANDBOX_KEEP")
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

func isBindError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Address already in use") ||
		strings.Contains(msg, "Bind on TCP/IP port") ||
		strings.Contains(msg, "Can't start server")
}

// FindScript returns the path of script/sandbox: $SANDBOX_SCRIPT if set,
// else found by walking up from the working directory to go.mod.
func FindScript() (string, error) {
	if p := os.Getenv("SANDBOX_SCRIPT"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "script", "sandbox")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("sandbox: %s: %w", p, err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sandbox: no go.mod above the working directory; cannot find script/sandbox")
		}
		dir = parent
	}
}

// pickBasePort picks a random base in [22000, 30000) step 10 whose ten
// ports are free, and holds a lock file for it so that concurrent test
// binaries never pick the same block.
func pickBasePort() (int, *os.File, error) {
	lockDir := filepath.Join(os.TempDir(), "orchestrator-sandbox-ports")
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		return 0, nil, err
	}
	blocks := (portRangeHigh - portRangeLow) / portBlock
	for i := 0; i < 200; i++ {
		base := portRangeLow + rand.IntN(blocks)*portBlock
		f, err := os.OpenFile(filepath.Join(lockDir, strconv.Itoa(base)+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return 0, nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		if portsFree(base, portBlock) {
			return base, f, nil
		}
		unlockPort(f)
	}
	return 0, nil, errors.New("sandbox: no free block of 10 ports in [22000,30000)")
}

func unlockPort(f *os.File) {
	if f != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

func portsFree(base, n int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// run runs script/sandbox --dir DIR args... and returns its stdout.
func (s *Sandbox) run(ctx context.Context, args ...string) (string, error) {
	return s.runEnv(ctx, nil, args...)
}

func (s *Sandbox) runEnv(ctx context.Context, env []string, args ...string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmdTimeout)
		defer cancel()
	}
	full := append([]string{s.script, "--dir", s.Dir}, args...)
	cmd := exec.CommandContext(ctx, "bash", full...)
	// --dir and --base-port are explicit; the backend is chosen by Start.
	cmd.Env = append(os.Environ(), "SANDBOX_TEMPLATE_CACHE="+templateCache(), "SANDBOX_WITH_BACKEND=0")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		return stdout.String(), fmt.Errorf("script/sandbox %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// templateCache is where the template data dir is kept between runs:
// $SANDBOX_TEMPLATE_CACHE, else $TMPDIR/orchestrator-sandbox-templates.
func templateCache() string {
	if p := os.Getenv("SANDBOX_TEMPLATE_CACHE"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "orchestrator-sandbox-templates")
}

// Stop stops every server and removes the directory. It is idempotent.
func (s *Sandbox) Stop() error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()
	_, err := s.run(context.Background(), "destroy")
	unlockPort(s.portLock)
	s.portLock = nil
	return err
}

// Ports returns master, replica1, replica2, replica3.
func (s *Sandbox) Ports() []int {
	return []int{s.MasterPort, s.Replica1Port, s.Replica2Port, s.Replica3Port}
}

// Role returns "master", "replica1", "replica2", "replica3", "backend" or "".
func (s *Sandbox) Role(port int) string {
	switch port {
	case s.MasterPort:
		return "master"
	case s.Replica1Port:
		return "replica1"
	case s.Replica2Port:
		return "replica2"
	case s.Replica3Port:
		return "replica3"
	}
	if port != 0 && port == s.BackendPort {
		return "backend"
	}
	return ""
}

// SourceOf returns the baseline upstream port of a replica, 0 for others.
func (s *Sandbox) SourceOf(port int) int {
	switch port {
	case s.Replica1Port, s.Replica2Port:
		return s.MasterPort
	case s.Replica3Port:
		return s.Replica1Port
	}
	return 0
}

// Addr returns "127.0.0.1:port".
func (s *Sandbox) Addr(port int) string {
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

// DSN is the go-sql-driver DSN for the orchestrator user on port.
func (s *Sandbox) DSN(port int) string {
	return s.DSNFor(port, "")
}

// DSNFor is DSN with a default database.
func (s *Sandbox) DSNFor(port int, database string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?timeout=2s&readTimeout=10s&interpolateParams=true",
		s.User, s.Password, s.Addr(port), database)
}

// DB opens a pool for the orchestrator user on port (the caller closes it).
func (s *Sandbox) DB(port int) (*sql.DB, error) {
	return sql.Open("mysql", s.DSN(port))
}

// BackendDSN is the DSN of the backend's "orchestrator" database ("" without a backend).
func (s *Sandbox) BackendDSN() string {
	if s.BackendPort == 0 {
		return ""
	}
	return s.DSNFor(s.BackendPort, BackendDatabase)
}

// Kill kills one server with SIGKILL (by its recorded PID).
func (s *Sandbox) Kill(port int) error {
	_, err := s.run(context.Background(), "kill", strconv.Itoa(port))
	return err
}

// StopOne stops one server gracefully.
func (s *Sandbox) StopOne(port int) error {
	_, err := s.run(context.Background(), "stop-one", strconv.Itoa(port))
	return err
}

// StartOne starts a stopped or killed server again with its usual settings;
// it resumes whatever replication it had configured.
func (s *Sandbox) StartOne(port int) error {
	_, err := s.run(context.Background(), "start-one", strconv.Itoa(port))
	return err
}

// Pause stops one server with SIGSTOP: connections and queries hang.
func (s *Sandbox) Pause(port int) error {
	_, err := s.run(context.Background(), "pause", strconv.Itoa(port))
	return err
}

// Resume continues a paused server (SIGCONT).
func (s *Sandbox) Resume(port int) error {
	_, err := s.run(context.Background(), "resume", strconv.Itoa(port))
	return err
}

// SQL runs a statement as root over the server's socket and returns the
// trimmed tab-separated output (no column names).
func (s *Sandbox) SQL(port int, stmt string) (string, error) {
	out, err := s.run(context.Background(), "sql", strconv.Itoa(port), stmt)
	return strings.TrimSpace(out), err
}

// Status returns the output of script/sandbox status.
func (s *Sandbox) Status() (string, error) {
	out, err := s.run(context.Background(), "status")
	return strings.TrimSpace(out), err
}

// Reseeds returns how many times Reset had to rebuild the topology from the
// template (see Reset).
func (s *Sandbox) Reseeds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reseeds
}

// LastReseedReason says why the last reseeding Reset could not repair the
// topology in place ("" if none did).
func (s *Sandbox) LastReseedReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastReseedReason
}

func (s *Sandbox) String() string {
	b := fmt.Sprintf("sandbox %s: master %d, replica1 %d, replica2 %d, replica3 %d (under replica1)",
		s.Dir, s.MasterPort, s.Replica1Port, s.Replica2Port, s.Replica3Port)
	if s.BackendPort != 0 {
		b += fmt.Sprintf(", backend %d", s.BackendPort)
	}
	return b
}

// recordedPID reads DIR/<port>/pid and reports whether that process is a
// live (non-zombie) mariadbd running this sandbox's data dir for port.
func (s *Sandbox) recordedPID(port int) (int, bool) {
	data, err := os.ReadFile(filepath.Join(s.Dir, strconv.Itoa(port), "pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return pid, false
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return pid, false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return pid, false
	}
	if c := strings.TrimSpace(string(comm)); c != "mariadbd" && c != "mysqld" {
		return pid, false
	}
	// It must be this sandbox's server for port, not a reused PID.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return pid, false
	}
	want := "--datadir=" + filepath.Join(s.Dir, strconv.Itoa(port), "data")
	for _, arg := range strings.Split(string(cmdline), "\x00") {
		if arg == want {
			return pid, true
		}
	}
	return pid, false
}

// Running reports whether the server on port is alive (by recorded PID).
func (s *Sandbox) Running(port int) bool {
	_, ok := s.recordedPID(port)
	return ok
}
