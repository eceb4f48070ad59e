package recovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/testutil/sandbox"
	"orchestrator/go/topology"
)

func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }

type fixture struct {
	sb                 *sandbox.Sandbox
	cfg                *config.Config
	store              *backend.Store
	reader             *topology.Reader
	conn               *mysql.Connector
	in                 *mysql.Inspector
	disc               *discovery.Discoverer
	rc                 *Recoverer
	deps               Deps // rc's, for other Recoverers on the same store
	master, r1, r2, r3 inst.InstanceKey
	hookFile           string
}

// setup resets the sandbox, discovers it into a fresh SQLite backend and
// builds a Recoverer. tweak adjusts the config; dial, when set, routes
// orchestrator's connections (a proxy the test controls).
func setup(t *testing.T, tweak func(*config.Config), dial mysql.DialFunc) *fixture {
	t.Helper()
	return setupWith(t, tweak, dial, t.Cleanup)
}

// setupWith is setup for any test or benchmark; cleanup registers what to
// undo (a benchmark runs it after each iteration).
func setupWith(t testing.TB, tweak func(*config.Config), dial mysql.DialFunc, cleanup func(func())) *fixture {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb)
	ctx := context.Background()
	require.NoError(t, sb.Reset(ctx))
	cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })
	dir, err := os.MkdirTemp("", "recovery-test-")
	require.NoError(t, err)
	cleanup(func() { _ = os.RemoveAll(dir) })

	f := &fixture{sb: sb, hookFile: filepath.Join(dir, "hooks.log")}
	key := func(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: sb.Host, Port: port} }
	f.master, f.r1, f.r2, f.r3 = key(sb.MasterPort), key(sb.Replica1Port), key(sb.Replica2Port), key(sb.Replica3Port)
	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(dir, "orchestrator.sqlite3")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	cfg.InstancePollSeconds = 1
	cfg.MySQLConnectTimeoutSeconds = 1
	cfg.RecoverMasterClusterFilters = []string{".*"}
	cfg.RecoverIntermediateMasterClusterFilters = []string{".*"}
	cfg.RecoveryPeriodBlockSeconds = 3600
	cfg.MasterFailoverLostInstancesDowntimeMinutes = 10
	cfg.PostMasterFailoverProcesses = []string{`echo "{failureType} {failedHost}:{failedPort} {successorHost}:{successorPort} $ORC_FAILURE_TYPE lost=[{lostReplicas}] {command}" >> ` + f.hookFile}
	cfg.PostIntermediateMasterFailoverProcesses = []string{`echo "IM {failedHost}:{failedPort} {successorHost}:{successorPort}" >> ` + f.hookFile}
	if tweak != nil {
		tweak(cfg)
	}
	f.cfg = cfg
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	cleanup(func() { _ = store.Close() })
	require.NoError(t, store.EnsureSchema(ctx))
	f.store = store
	f.conn = mysql.NewConnector(cfg)
	if dial != nil {
		f.conn.SetDialer(dial)
	}
	cleanup(func() { _ = f.conn.Close() })
	f.in = mysql.NewInspector(f.conn, cfg)
	ap := mysql.NewApplier(f.conn, cfg, f.in)
	f.disc = discovery.New(store, f.in, cfg)
	f.reader = topology.NewReader(store, cfg)
	f.deps = Deps{Store: store, Reader: f.reader, Inspector: f.in, Applier: ap, Probe: f.disc.Probe, Hold: f.in.Hold, Config: cfg,
		Holder: backend.LockHolder{Hostname: "test-node", Token: "test-token"}}
	f.rc = New(f.deps)
	_, err = f.disc.DiscoverTopology(ctx, f.master)
	require.NoError(t, err)
	for _, k := range []inst.InstanceKey{f.r1, f.r2, f.r3} {
		_, err := f.reader.Instance(ctx, k)
		require.NoError(t, err, "discovered %s", k)
	}
	return f
}

// alwaysLeader is the leadership fence of a test that plays the leader.
func alwaysLeader() error { return nil }

// runLoops runs polling and the recovery loop as the leader does, until
// the test ends.
func (f *fixture) runLoops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	f.disc.OnProblem(f.rc.Trigger)
	wg.Add(2)
	go func() { defer wg.Done(); f.disc.Run(ctx) }()
	go func() { defer wg.Done(); f.rc.Run(ctx, alwaysLeader) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// masterPortOf reads Master_Port on the server itself.
func (f *fixture) masterPortOf(t *testing.T, k inst.InstanceKey) int {
	t.Helper()
	st, err := f.in.ReplicationStatus(context.Background(), k)
	require.NoError(t, err)
	return st.MasterKey.Port
}

// requireFlows writes a row on writer and waits for it on each of keys.
func (f *fixture) requireFlows(t *testing.T, writer inst.InstanceKey, keys ...inst.InstanceKey) {
	t.Helper()
	marker := strconv.FormatInt(time.Now().UnixNano(), 10)
	_, err := f.sb.SQL(writer.Port, "CREATE DATABASE IF NOT EXISTS rectest; CREATE TABLE IF NOT EXISTS rectest.t (v VARCHAR(40) PRIMARY KEY); INSERT INTO rectest.t VALUES ('"+marker+"')")
	require.NoError(t, err)
	for _, k := range keys {
		require.Eventually(t, func() bool {
			out, err := f.sb.SQL(k.Port, "SELECT COUNT(*) FROM rectest.t WHERE v='"+marker+"'")
			return err == nil && strings.TrimSpace(out) == "1"
		}, 20*time.Second, 100*time.Millisecond, "row written on %s reaches %s", writer, k)
	}
}

// waitRecovery waits for a finished recovery of failed and returns it.
func (f *fixture) waitRecovery(t *testing.T, failed inst.InstanceKey, timeout time.Duration) TopologyRecovery {
	t.Helper()
	var found TopologyRecovery
	require.Eventually(t, func() bool {
		list, err := f.rc.Recoveries(context.Background(), backend.RecoveryQuery{Key: &failed})
		if err != nil || len(list) == 0 || list[0].RecoveryEndTimestamp == "" {
			return false
		}
		found = list[0]
		return true
	}, timeout, 50*time.Millisecond, "a recovery of %s", failed)
	return found
}

func (f *fixture) hookLines(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(f.hookFile)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}

// TestDeadMasterFailoverAntiFlappingAck: kill -9 of the master with one
// replica lagging (SQL thread stopped with unapplied events) → the drained
// replica is promoted, the lagging one moved below it and caught up, hooks
// ran with placeholders, the data-safety report shows who was behind by how
// much. Killing the new master then is blocked by anti-flapping until the
// recovery is acknowledged.
func TestDeadMasterFailoverAntiFlappingAck(t *testing.T) {
	f := setup(t, nil, nil)
	ctx := context.Background()
	f.requireFlows(t, f.master, f.r2) // creates the schema first
	_, err := f.sb.SQL(f.r2.Port, "STOP SLAVE SQL_THREAD")
	require.NoError(t, err)
	_, err = f.sb.SQL(f.master.Port, "INSERT INTO rectest.t VALUES ('lag1'); INSERT INTO rectest.t VALUES ('lag2'); INSERT INTO rectest.t VALUES ('lag3')")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := f.in.ReplicationStatus(ctx, f.r2)
		m, _ := f.sb.SQL(f.master.Port, "SELECT @@gtid_binlog_pos")
		return err == nil && st.GtidIOPos == m
	}, 10*time.Second, 50*time.Millisecond, "r2 received everything")
	f.runLoops(t)
	time.Sleep(1500 * time.Millisecond) // a couple of polls of the healthy topology

	killed := time.Now()
	require.NoError(t, f.sb.Kill(f.master.Port))
	rec := f.waitRecovery(t, f.master, 30*time.Second)
	t.Logf("kill -9 → recovery resolved in %s", time.Since(killed).Round(time.Millisecond))
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.NotNil(t, rec.SuccessorKey)
	require.Equal(t, f.r1, *rec.SuccessorKey, "the drained replica is promoted, not the lagging one: %v", rec.Decision)
	require.Equal(t, TypeGTID, rec.RecoveryType)
	require.Empty(t, rec.LostReplicas)
	require.Equal(t, f.r1.Port, f.masterPortOf(t, f.r2), "r2 moved below the new master")
	require.Equal(t, f.r1.Port, f.masterPortOf(t, f.r3), "r3 stays below r1")
	f.requireFlows(t, f.r1, f.r2, f.r3)

	// Data safety: r2 was 3 transactions behind the promoted replica.
	require.NotNil(t, rec.DataSafety)
	require.Equal(t, "GTID", rec.DataSafety.Method)
	byKey := map[inst.InstanceKey]ReplicaSafety{}
	for _, s := range rec.DataSafety.Replicas {
		byKey[s.Key] = s
	}
	require.EqualValues(t, 0, byKey[f.r1].Behind)
	require.True(t, byKey[f.r1].Drained)
	require.EqualValues(t, 3, byKey[f.r2].Behind, "report: %+v", byKey[f.r2])
	require.False(t, byKey[f.r2].Drained)

	// Hooks: placeholders and environment replaced.
	require.Eventually(t, func() bool {
		return strings.Contains(f.hookLines(t), "DeadMaster "+f.master.String()+" "+f.r1.String()+" DeadMaster lost=[]")
	}, 5*time.Second, 50*time.Millisecond, "hook output: %q", f.hookLines(t))

	// The API view converges: the new master heads the cluster.
	require.Eventually(t, func() bool {
		i, err := f.reader.Instance(ctx, f.r2)
		return err == nil && i.MasterKey == f.r1 && i.ClusterName == f.r1.String()
	}, 5*time.Second, 50*time.Millisecond)
	steps, err := f.store.RecoverySteps(ctx, rec.UID)
	require.NoError(t, err)
	require.NotEmpty(t, steps)

	// Anti-flapping: the new master dies within the block period → blocked.
	require.NoError(t, f.sb.Kill(f.r1.Port))
	require.Eventually(t, func() bool {
		list, err := f.rc.Blocked(ctx, "")
		for _, b := range list {
			if b.FailedInstanceKey == f.r1 && strings.Contains(b.Reason, "blocked by recovery") {
				return err == nil
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "the second failure is blocked")
	list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{Key: &f.r1})
	require.NoError(t, err)
	require.Empty(t, list, "no recovery of the new master while blocked")
	w, err := f.rc.Explain(ctx, f.r1)
	require.NoError(t, err)
	require.Contains(t, strings.Join(w.Lines, "\n"), "blocked by recovery")

	// An acknowledgement unblocks it.
	_, err = f.rc.Acknowledge(ctx, backend.RecoveryQuery{}, "", "")
	require.Error(t, err, "a comment is required")
	n, err := f.rc.Acknowledge(ctx, backend.RecoveryQuery{}, "tester", "master replaced, ok")
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	second := f.waitRecovery(t, f.r1, 30*time.Second)
	require.True(t, second.IsSuccessful, "errors: %v; decision: %v", second.AllErrors, second.Decision)
	require.Contains(t, []inst.InstanceKey{f.r2, f.r3}, *second.SuccessorKey)
}

// TestDeadIntermediateMasterRelocatesReplica: kill -9 of replica1 (the
// intermediate master of replica3) → replica3 is relocated and replicates.
func TestDeadIntermediateMasterRelocatesReplica(t *testing.T) {
	f := setup(t, nil, nil)
	f.runLoops(t)
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, f.sb.Kill(f.r1.Port))
	rec := f.waitRecovery(t, f.r1, 30*time.Second)
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.Equal(t, KindIntermediateMaster, rec.Type)
	require.Contains(t, []inst.InstanceKey{f.master, f.r2}, *rec.SuccessorKey)
	require.Equal(t, rec.SuccessorKey.Port, f.masterPortOf(t, f.r3))
	f.requireFlows(t, f.master, f.r2, f.r3)
	require.Eventually(t, func() bool {
		return strings.Contains(f.hookLines(t), "IM "+f.r1.String()+" "+rec.SuccessorKey.String())
	}, 5*time.Second, 50*time.Millisecond)
}

// TestGracefulTakeoverBothWays: master → replica2 and back; each time the
// old master ends up replicating from the new one, writes flow to all, and
// PostGracefulTakeoverProcesses runs with the successor's placeholders.
func TestGracefulTakeoverBothWays(t *testing.T) {
	f := setup(t, func(c *config.Config) {
		c.ReplicationCredentialsQuery = "SELECT 'repl', 'repl_pass'"
		hookFile := c.PostMasterFailoverProcesses[0][strings.LastIndex(c.PostMasterFailoverProcesses[0], " ")+1:]
		c.PostGracefulTakeoverProcesses = []string{`echo "graceful {command} {failedHost}:{failedPort} {successorHost}:{successorPort} $ORC_SUCCESSOR_PORT {isSuccessful}" >> ` + hookFile}
	}, nil)
	ctx := context.Background()
	rec, err := f.rc.GracefulMasterTakeover(ctx, f.master.String(), f.r2, true)
	require.NoError(t, err)
	require.Equal(t, f.r2, *rec.SuccessorKey, "decision: %v", rec.Decision)
	require.Equal(t, f.r2.Port, f.masterPortOf(t, f.master))
	require.Equal(t, f.r2.Port, f.masterPortOf(t, f.r1))
	ro, err := f.sb.SQL(f.r2.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "0", ro)
	f.requireFlows(t, f.r2, f.master, f.r1, f.r3)
	stored, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{UID: rec.UID})
	require.NoError(t, err)
	require.True(t, stored[0].Acknowledged, "a graceful takeover acknowledges itself")

	back, err := f.rc.GracefulMasterTakeover(ctx, f.r2.String(), f.master, true)
	require.NoError(t, err, "decision: %v", back)
	require.Equal(t, f.master, *back.SuccessorKey)
	require.Equal(t, f.master.Port, f.masterPortOf(t, f.r2))
	f.requireFlows(t, f.master, f.r1, f.r2, f.r3)

	_, err = f.rc.GracefulMasterTakeover(ctx, f.master.String(), f.r3, true)
	require.ErrorIs(t, err, inst.ErrBadRequest, "replica3 is not a direct replica")
	lines := f.hookLines(t)
	for _, l := range []string{
		fmt.Sprintf("graceful graceful-master-takeover %s %s %d true", f.master, f.r2, f.r2.Port),
		fmt.Sprintf("graceful graceful-master-takeover %s %s %d true", f.r2, f.master, f.master.Port),
	} {
		require.Contains(t, lines, l)
	}
	require.Equal(t, 2, strings.Count(lines, "graceful graceful-master-takeover"), "once per takeover, none for the refused one")
}

// TestPromotionRulesAndDryRun: with the master dead, a dry run shows the
// plan and changes nothing; must_not is never promoted and prefer wins
// among equally advanced replicas.
func TestPromotionRulesAndDryRun(t *testing.T) {
	f := setup(t, func(c *config.Config) { c.RecoverMasterClusterFilters = nil }, nil)
	ctx := context.Background()
	require.NoError(t, f.sb.Kill(f.master.Port))
	plan := func() *TopologyRecovery {
		r, err := f.rc.Recover(ctx, Request{Key: f.master, Forced: true, DryRun: true, Hint: HintRecover})
		require.NoError(t, err)
		return r
	}
	require.Eventually(t, func() bool {
		r, err := f.rc.Recover(ctx, Request{Key: f.master, Forced: true, DryRun: true})
		return err == nil && r.SuccessorKey != nil
	}, 20*time.Second, 200*time.Millisecond, "the replicas see the master gone")

	require.NoError(t, f.store.RegisterCandidate(ctx, f.r1, inst.MustNotPromoteRule))
	require.Equal(t, f.r2, *plan().SuccessorKey, "must_not is never promoted")
	require.NoError(t, f.store.RegisterCandidate(ctx, f.r1, inst.PreferPromoteRule))
	require.NoError(t, f.store.RegisterCandidate(ctx, f.r2, inst.NeutralPromoteRule))
	require.Equal(t, f.r1, *plan().SuccessorKey)
	require.NoError(t, f.store.RegisterCandidate(ctx, f.r1, inst.NeutralPromoteRule))
	require.NoError(t, f.store.RegisterCandidate(ctx, f.r2, inst.PreferPromoteRule))
	p := plan()
	require.Equal(t, f.r2, *p.SuccessorKey, "prefer wins: %v", p.Decision)
	require.Contains(t, strings.Join(p.Decision, "\n"), "dry run")
	require.Equal(t, f.master.Port, f.masterPortOf(t, f.r1), "a dry run changes nothing")
	list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{})
	require.NoError(t, err)
	require.Empty(t, list, "a dry run records no recovery")

	rec, err := f.rc.Recover(ctx, Request{Key: f.master, Forced: true, Hint: HintRecover})
	require.NoError(t, err)
	require.Equal(t, f.r2, *rec.SuccessorKey)
	require.Equal(t, f.r2.Port, f.masterPortOf(t, f.r1))
	f.requireFlows(t, f.r2, f.r1, f.r3)
}

// TestHungMasterDetected: SIGSTOP of the master (sockets stay open, the
// replicas' IO threads still show connected) is confirmed as DeadMaster
// from the replicas' stalled heartbeats, and recovered.
func TestHungMasterDetected(t *testing.T) {
	f := setup(t, func(c *config.Config) { c.MySQLDiscoveryReadTimeoutSeconds = 1 }, nil)
	f.runLoops(t)
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, f.sb.Pause(f.master.Port))
	paused := time.Now()
	rec := f.waitRecovery(t, f.master, 40*time.Second)
	t.Logf("SIGSTOP → recovery resolved in %s", time.Since(paused).Round(time.Millisecond))
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.Contains(t, []analysis.Code{analysis.DeadMaster, analysis.DeadMasterAndSomeReplicas}, rec.AnalysisEntry.Analysis)
}

// proxy is a TCP proxy on loopback between orchestrator and one server.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.cutOff)
	return p
}

// masterThroughProxy returns a proxy to the sandbox's master and the dial
// function that sends orchestrator's connections to the master through
// it (every other address is dialled directly), for setup.
func masterThroughProxy(t *testing.T) (*proxy, mysql.DialFunc) {
	t.Helper()
	sb := sandbox.Current()
	masterAddr := sb.Addr(sb.MasterPort)
	p := newProxy(t, masterAddr)
	return p, func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == masterAddr {
			addr = p.ln.Addr().String()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// cutOff closes the listener and every connection: orchestrator alone
// loses the server.
func (p *proxy) cutOff() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	_ = p.ln.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

// TestOrchestratorAloneCutOffNoFailover: orchestrator reaches the master
// through a proxy; cutting it leaves the replicas replicating → the
// analysis says UnreachableMaster and nothing is promoted.
func TestOrchestratorAloneCutOffNoFailover(t *testing.T) {
	p, dial := masterThroughProxy(t)
	f := setup(t, nil, dial)
	f.runLoops(t)
	time.Sleep(1500 * time.Millisecond)
	p.cutOff()
	ctx := context.Background()
	var last analysis.Code
	require.Eventually(t, func() bool {
		entries, err := f.rc.Analyze(ctx, f.master.String(), true)
		if err != nil {
			return false
		}
		for _, e := range entries {
			if e.AnalyzedInstanceKey == f.master {
				last = e.Analysis
			}
		}
		return last == analysis.UnreachableMaster
	}, 15*time.Second, 100*time.Millisecond, "analysis: %s", last)
	time.Sleep(4 * time.Second) // several recovery rounds
	list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{})
	require.NoError(t, err)
	require.Empty(t, list, "no failover when only orchestrator lost the master")
	require.Equal(t, f.master.Port, f.masterPortOf(t, f.r1))
	w, err := f.rc.Explain(ctx, f.master)
	require.NoError(t, err)
	require.Contains(t, strings.Join(w.Lines, "\n"), "UnreachableMaster")
}

// TestFailedMasterRevisited: the master commits two transactions its
// replicas never receive (their IO threads stopped), then dies. After the
// failover it starts again, writable and standing alone: the leader sets
// it read-only and the data-safety report lists the two transactions as
// lost, counted against the promoted position even though the new master
// has written on since.
func TestFailedMasterRevisited(t *testing.T) {
	f := setup(t, nil, nil)
	ctx := context.Background()
	f.requireFlows(t, f.master, f.r1, f.r2, f.r3)
	for _, k := range []inst.InstanceKey{f.r1, f.r2} {
		_, err := f.sb.SQL(k.Port, "STOP SLAVE IO_THREAD")
		require.NoError(t, err)
	}
	_, err := f.sb.SQL(f.master.Port, "INSERT INTO rectest.t VALUES ('unseen1'); INSERT INTO rectest.t VALUES ('unseen2')")
	require.NoError(t, err)
	failedAt, err := f.sb.SQL(f.master.Port, "SELECT @@gtid_binlog_pos")
	require.NoError(t, err)
	require.NoError(t, f.sb.Kill(f.master.Port))
	for _, k := range []inst.InstanceKey{f.r1, f.r2} {
		_, err := f.sb.SQL(k.Port, "START SLAVE IO_THREAD") // now failing to connect: they agree it is gone
		require.NoError(t, err)
	}
	f.runLoops(t)
	rec := f.waitRecovery(t, f.master, 30*time.Second)
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.NotNil(t, rec.DataSafety)
	require.False(t, rec.DataSafety.FailedMasterChecked, "the failed master is still down")
	successor := *rec.SuccessorKey
	f.requireFlows(t, successor) // the new master writes on

	require.NoError(t, f.sb.StartOne(f.master.Port))
	require.Eventually(t, func() bool {
		list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{Key: &f.master})
		return err == nil && len(list) > 0 && list[0].DataSafety != nil && list[0].DataSafety.FailedMasterChecked
	}, 30*time.Second, 100*time.Millisecond, "the failed master is revisited once it answers")
	list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{Key: &f.master})
	require.NoError(t, err)
	rep := list[0].DataSafety
	require.Equal(t, strings.TrimSpace(failedAt), rep.FailedMasterPosition)
	require.EqualValues(t, 2, rep.LostTransactionCount, "report: %+v", rep)
	require.Equal(t, strings.TrimSpace(failedAt), rep.LostTransactions)
	require.True(t, rep.FailedMasterSetReadOnly, "note: %s", rep.FailedMasterReadOnlyNote)
	out, err := f.sb.SQL(f.master.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "1", strings.TrimSpace(out))
}

// TestRestoredMasterLeftAlone: after a forced failover the old master is
// made the master of its replicas again (as an operator restoring the
// topology would): the revisit neither sets it read-only nor compares it.
func TestRestoredMasterLeftAlone(t *testing.T) {
	f := setup(t, nil, nil)
	ctx := context.Background()
	f.runLoops(t)
	_, err := f.rc.ForceMasterFailover(ctx, f.master.String())
	require.NoError(t, err)
	rec := f.waitRecovery(t, f.master, 30*time.Second)
	require.True(t, rec.IsSuccessful, "errors: %v", rec.AllErrors)
	require.NoError(t, f.sb.Reset(ctx))
	for _, k := range []inst.InstanceKey{f.master, f.r1, f.r2, f.r3} {
		_, _ = f.disc.Probe(ctx, k)
	}
	require.Eventually(t, func() bool {
		list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{Key: &f.master})
		return err == nil && len(list) > 0 && list[0].DataSafety != nil && list[0].DataSafety.FailedMasterChecked
	}, 30*time.Second, 100*time.Millisecond, "revisited")
	list, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{Key: &f.master})
	require.NoError(t, err)
	rep := list[0].DataSafety
	require.False(t, rep.FailedMasterSetReadOnly)
	require.Contains(t, rep.FailedMasterReadOnlyNote, "left as it is")
	out, err := f.sb.SQL(f.master.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "0", strings.TrimSpace(out), "the restored master stays writable")
}
