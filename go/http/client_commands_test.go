package http

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
)

// Every command of resources/bin/orchestrator-client is run here against
// the live service, in phases that share one service process; each output
// is checked against the truth: the servers themselves (SHOW SLAVE STATUS,
// global variables, binary logs) or, for orchestrator's own records
// (downtime, maintenance, tags, audit, recoveries), the API's JSON. A phase
// that changes the topology ends with sandbox Reset, and the service is
// waited on until it sees the baseline again.
//
// Verified only by their refusal:
//   - match, match-up, match-up-replicas, last-pseudo-gtid:
//     pseudo-GTID is not implemented; the API refuses with a reason.
//   - gtid-errant-inject-empty (MariaDB logs no empty transactions).
//   - raft-leader, raft-health, raft-leader-hostname, raft-elect-leader: no
//     raft here (leadership is a backend heartbeat row).
//   - recover-lite: refused on a healthy master (recover itself runs a real
//     recovery of a killed intermediate master; recover-lite is the same
//     flow without hooks).
//
// Checked for their output only, nothing here reads the effect back:
// snapshot-topologies, submit-masters-to-kv-stores (no KV store is
// configured), register-hostname-unresolve and deregister-hostname-unresolve.
//
// graceful-master-takeover(-auto), force-master-takeover and
// force-master-failover promote for real, one at a time, each followed by
// a Reset of the sandbox.

// clientCase is one run of the client: its arguments ("-c", command,
// flags), an optional set-up on the servers, and either a check of its
// output lines or the refusal it must answer (exit 1, reason on stderr).
type clientCase struct {
	args    []string
	more    func(t *testing.T) []string // arguments known only when it runs
	before  func(t *testing.T)
	want    func(t *testing.T, out []string)
	refused string
}

// command is the command the case runs.
func (c clientCase) command() string { return c.args[1] }

type clientPhase struct {
	name    string
	cases   []clientCase
	restore bool // the phase changes the topology: Reset afterwards
}

// clientFixture is the live service, the sandbox and the four keys.
type clientFixture struct {
	*service
	sb                *sandbox.Sandbox
	m, r1, r2, r3     string // host:port
	pm, pr1, pr2, pr3 int
	port              map[string]int
	mu                sync.Mutex
	dbs               map[int]*sql.DB
}

func newClientFixture(t *testing.T, sb *sandbox.Sandbox, s *service) *clientFixture {
	key := func(p int) string { return fmt.Sprintf("%s:%d", sb.Host, p) }
	f := &clientFixture{service: s, sb: sb, m: key(sb.MasterPort), r1: key(sb.Replica1Port), r2: key(sb.Replica2Port), r3: key(sb.Replica3Port),
		pm: sb.MasterPort, pr1: sb.Replica1Port, pr2: sb.Replica2Port, pr3: sb.Replica3Port}
	f.port = map[string]int{f.m: f.pm, f.r1: f.pr1, f.r2: f.pr2, f.r3: f.pr3}
	f.dbs = map[int]*sql.DB{}
	t.Cleanup(func() {
		for _, db := range f.dbs {
			_ = db.Close()
		}
	})
	if s != nil {
		require.Equal(t, []string{f.m}, s.ok(t, "-c", "discover", "-i", f.m))
		f.waitBaseline(t)
	}
	return f
}

func args(s string) []string { return strings.Fields(s) }

// is: the output is exactly these lines.
func is(lines ...string) func(*testing.T, []string) {
	return func(t *testing.T, out []string) {
		if len(lines) == 0 {
			require.Empty(t, out)
			return
		}
		require.Equal(t, lines, out)
	}
}

// set: the output is these lines in any order.
func set(lines ...string) func(*testing.T, []string) {
	return func(t *testing.T, out []string) { require.ElementsMatch(t, lines, out) }
}

// all runs every check.
func all(checks ...func(*testing.T, []string)) func(*testing.T, []string) {
	return func(t *testing.T, out []string) {
		for _, c := range checks {
			c(t, out)
		}
	}
}

// truth turns a check of the servers or the API into an output check.
func truth(check func(t *testing.T)) func(*testing.T, []string) {
	return func(t *testing.T, _ []string) { check(t) }
}

func (f *clientFixture) runPhase(t *testing.T, ph clientPhase) {
	if ph.restore {
		defer f.restore(t)
	}
	for _, c := range ph.cases {
		if c.before != nil {
			c.before(t)
		}
		a := c.args
		if c.more != nil {
			a = append(append([]string{}, a...), c.more(t)...)
		}
		out, errOut, code := f.client(t, nil, a...)
		if c.refused != "" {
			require.Equal(t, 1, code, "%v must be refused; stdout %q", c.args, out)
			require.Contains(t, errOut, c.refused, "%v", c.args)
			continue
		}
		require.Equal(t, 0, code, "%v: %s", c.args, errOut)
		c.want(t, outputLines(out))
		if t.Failed() {
			t.Fatalf("%v printed %q", c.args, out)
		}
	}
}

// restore resets the sandbox to its baseline and waits until the service
// sees it.
func (f *clientFixture) restore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, f.sb.Reset(ctx))
	for _, k := range []string{f.m, f.r1, f.r2, f.r3} {
		var env map[string]any
		f.apiGet(t, "refresh/"+strings.Replace(k, ":", "/", 1), &env) // sooner than the next poll
	}
	f.waitBaseline(t)
}

// waitBaseline waits until the API shows the sandbox baseline: one cluster
// named after the master, holding the four instances with their masters.
func (f *clientFixture) waitBaseline(t *testing.T) {
	want := map[string]string{f.m: ":0", f.r1: f.m, f.r2: f.m, f.r3: f.r1}
	require.Eventually(t, func() bool {
		var list []struct {
			Key, MasterKey struct {
				Hostname string
				Port     int
			}
			ClusterName      string
			IsLastCheckValid bool
		}
		f.apiGet(t, "cluster/"+f.m, &list)
		got := map[string]string{}
		for _, i := range list {
			if i.ClusterName != f.m || !i.IsLastCheckValid {
				return false
			}
			got[fmt.Sprintf("%s:%d", i.Key.Hostname, i.Key.Port)] = fmt.Sprintf("%s:%d", i.MasterKey.Hostname, i.MasterKey.Port)
		}
		return fmt.Sprint(got) == fmt.Sprint(want)
	}, 30*time.Second, 200*time.Millisecond, "the service sees the baseline topology")
}

// Truth from the servers.

// db is a pool on the server as the orchestrator user, one per port for
// the whole test.
func (f *clientFixture) db(t *testing.T, port int) *sql.DB {
	f.mu.Lock()
	defer f.mu.Unlock()
	if db, ok := f.dbs[port]; ok {
		return db
	}
	db, err := f.sb.DB(port)
	require.NoError(t, err)
	f.dbs[port] = db
	return db
}

// slaveStatus is SHOW SLAVE STATUS on the server (nil when not a replica).
func (f *clientFixture) slaveStatus(t *testing.T, port int) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := sandbox.SlaveStatus(ctx, f.db(t, port))
	require.NoError(t, err)
	return st
}

func (f *clientFixture) variable(t *testing.T, port int, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var v string
	require.NoError(t, f.db(t, port).QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&v))
	return v
}

// sqlExec runs the statements on one connection, which goes back to the
// pool with binary logging on whatever they set.
func (f *clientFixture) sqlExec(t *testing.T, port int, stmts ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := f.db(t, port).Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	for _, s := range append(stmts, "SET SESSION sql_log_bin = 1") {
		_, err := conn.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
}

func (f *clientFixture) sqlCount(t *testing.T, port int, query string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	require.NoError(t, f.db(t, port).QueryRowContext(ctx, query).Scan(&n))
	return n
}

// binlogs lists the server's binary logs.
func (f *clientFixture) binlogs(t *testing.T, port int) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := f.db(t, port).QueryContext(ctx, "SHOW BINARY LOGS")
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name, size string
		require.NoError(t, rows.Scan(&name, &size))
		names = append(names, name)
	}
	require.NoError(t, rows.Err())
	return names
}

// threads: the replica's IO and SQL threads are in these states.
func (f *clientFixture) threads(port int, io, sqlThread string) func(*testing.T, []string) {
	return truth(func(t *testing.T) {
		require.Eventually(t, func() bool {
			st := f.slaveStatus(t, port)
			return st["Slave_IO_Running"] == io && st["Slave_SQL_Running"] == sqlThread
		}, 10*time.Second, 100*time.Millisecond, "%d: IO %s, SQL %s", port, io, sqlThread)
	})
}

// replicatesFrom: SHOW SLAVE STATUS on the server names this master.
func (f *clientFixture) replicatesFrom(port int, master string) func(*testing.T, []string) {
	return truth(func(t *testing.T) {
		st := f.slaveStatus(t, port)
		require.Equal(t, master, st["Master_Host"]+":"+st["Master_Port"], "master of %d", port)
	})
}

func (f *clientFixture) variableIs(port int, name, value string) func(*testing.T, []string) {
	return truth(func(t *testing.T) { require.Equal(t, value, f.variable(t, port, name), "%d: @@%s", port, name) })
}

// promoted: the one key printed is now a writable master that is not
// replicating, and another server replicates from it.
func (f *clientFixture) promoted(t *testing.T, out []string) {
	require.Len(t, out, 1)
	p, ok := f.port[out[0]]
	require.True(t, ok, "a sandbox server: %v", out)
	require.NotEqual(t, f.pm, p)
	require.Equal(t, "0", f.variable(t, p, "read_only"))
	st := f.slaveStatus(t, p)
	require.True(t, st == nil || st["Slave_IO_Running"] == "No", "%s is not replicating: %v", out[0], st)
	followers := 0
	for _, q := range []int{f.pm, f.pr1, f.pr2, f.pr3} {
		if q != p && f.slaveStatus(t, q)["Master_Port"] == strconv.Itoa(p) {
			followers++
		}
	}
	require.Positive(t, followers, "someone replicates from %s", out[0])
}

// Truth from the API (orchestrator's own records).

type apiInstance struct {
	Key struct {
		Hostname string
		Port     int
	}
	PromotionRule string
	IsDowntimed   bool
	GtidErrant    string
	DataCenter    string
}

func (f *clientFixture) instance(t *testing.T, key string) apiInstance {
	var i apiInstance
	f.apiGet(t, "instance/"+strings.Replace(key, ":", "/", 1), &i)
	return i
}

// recoveriesAcknowledged: every recovery the API lists is acknowledged.
func (f *clientFixture) recoveriesAcknowledged(t *testing.T, _ []string) {
	var list []struct {
		UID          string
		Acknowledged bool
	}
	f.apiGet(t, "audit-recovery", &list)
	require.NotEmpty(t, list)
	for _, r := range list {
		require.True(t, r.Acknowledged, "recovery %s", r.UID)
	}
}

// phases is the whole table, in the order it runs.
func (f *clientFixture) phases() []clientPhase {
	return []clientPhase{f.readPhase(), f.metadataPhase(), f.replicationPhase(), f.errantPhase(), f.movePhase(),
		f.takeoverPhase("graceful-master-takeover -i "+f.m+" -d "+f.r1, true),
		f.takeoverPhase("graceful-master-takeover-auto -i "+f.m, false),
		f.takeoverPhase("force-master-takeover -i "+f.m+" -d "+f.r2, false),
		f.takeoverPhase("force-master-failover -a "+f.m, false),
		f.recoverPhase(), f.refusalPhase(), f.discoveryPhase()}
}

func (f *clientFixture) readPhase() clientPhase {
	m, r1, r2, r3 := f.m, f.r1, f.r2, f.r3
	return clientPhase{name: "reads", cases: []clientCase{
		{args: args("-c help"), want: func(t *testing.T, out []string) {
			require.Contains(t, out, "Usage: orchestrator-client -c <command> [options]")
		}},
		{args: args("-c which-api"), want: is(f.url + "/api")},
		{args: args("-c api -P clusters"), want: is(fmt.Sprintf("[%q]", m))},
		{args: args("-c clusters"), want: is(m)},
		{args: args("-c clusters-alias"), want: is(m + "," + m)},
		{args: args("-c all-clusters-masters"), want: is(m)},
		{args: args("-c all-instances"), want: set(m, r1, r2, r3)},
		{args: args("-c search -i " + r3), want: is(r3)},
		{args: args("-c instance -i " + r3), want: is(r3)},
		{args: args("-c which-instance -i " + r2), want: is(r2)},
		{args: args("-c which-master -i " + r3), want: all(is(r1), f.replicatesFrom(f.pr3, r1))},
		{args: args("-c which-master -i " + m), want: is()},
		{args: args("-c which-replicas -i " + m), want: all(set(r1, r2), f.replicatesFrom(f.pr1, m), f.replicatesFrom(f.pr2, m))},
		{args: args("-c which-broken-replicas -i " + m), want: is()},
		{args: args("-c which-cluster -i " + r3), want: is(m)},
		{args: args("-c which-cluster-alias -i " + r3), want: is(m)},
		{args: args("-c which-cluster-master -i " + r3), want: is(m)},
		{args: args("-c which-cluster-instances -i " + r3), want: set(m, r1, r2, r3)},
		{args: args("-c which-cluster-osc-replicas -i " + m), want: set(r1, r2, r3)},
		{args: args("-c which-cluster-osc-running-replicas -i " + m), want: set(r1, r2, r3)},
		{args: args("-c dominant-dc"), want: all(is("127"), truth(func(t *testing.T) { require.Equal(t, "127", f.instance(t, m).DataCenter) }))},
		{args: args("-c topology -i " + r2), want: f.topologyLines("[")},
		{args: args("-c topology-tabulated -a " + m), want: f.topologyLines("|")},
		{args: args("-c topology-tags -i " + m), want: f.topologyLines("[")},
		{args: args("-c replication-analysis"), want: is()},
		{args: args("-c check-global-recoveries"), want: is("enabled")},
		{args: args("-c can-replicate-from -i " + r3 + " -d " + m), want: is(m)},
		{args: args("-c can-replicate-from -i " + m + " -d " + r3), want: is()},
		{args: args("-c can-replicate-from-gtid -i " + r3 + " -d " + r2), want: is(r2)},
		{args: args("-c is-replicating -i " + r2), want: all(is(r2), f.threads(f.pr2, "Yes", "Yes"))},
		{args: args("-c is-replication-stopped -i " + r2), want: is()},
		{args: args("-c which-gtid-errant -i " + r2), want: is()},
		{args: []string{"-c", "restart-replica-statements", "-i", r2, "-q", "SET GLOBAL slave_net_timeout = 60"},
			want: is("STOP SLAVE", "SET GLOBAL slave_net_timeout = 60", "START SLAVE")},
		{args: args("-c snapshot-topologies"), want: func(t *testing.T, out []string) {
			require.Len(t, out, 1)
			require.Regexp(t, `^Took `, out[0])
		}},
		{args: args("-c submit-masters-to-kv-stores"), want: f.kvPairs()},
		{args: args("-c submit-masters-to-kv-stores -i " + r3), want: f.kvPairs()},
		{args: args("-c refresh -i " + r2), want: is(r2)},
	}}
}

// topologyLines: one line per server, the master first, each replica
// indented below its master (sep is "[" for topology, "|" tabulated).
func (f *clientFixture) topologyLines(sep string) func(*testing.T, []string) {
	return func(t *testing.T, out []string) {
		require.Len(t, out, 4)
		depth := map[string]int{}
		for _, k := range []string{f.m, f.r1, f.r2, f.r3} {
			i := slicesIndex(out, k)
			require.GreaterOrEqual(t, i, 0, "%s in %q", k, out)
			require.Contains(t, out[i], sep)
			depth[k] = strings.Index(out[i], k) / 2
		}
		require.Equal(t, map[string]int{f.m: 0, f.r1: 1, f.r2: 1, f.r3: 2}, depth, "%q", out)
		require.True(t, strings.HasPrefix(out[0], f.m+" "), "the master first: %q", out)
		require.Equal(t, slicesIndex(out, f.r1)+1, slicesIndex(out, f.r3), "replica3 right below replica1: %q", out)
	}
}

func slicesIndex(lines []string, key string) int {
	for i, l := range lines {
		if strings.Contains(l, key+" ") {
			return i
		}
	}
	return -1
}

// kvPairs: the master's key-value pairs as upstream names them.
func (f *clientFixture) kvPairs() func(*testing.T, []string) {
	base := "mysql/master/" + f.m
	return set(base+":"+f.m, base+"/hostname:"+f.sb.Host, base+"/port:"+strconv.Itoa(f.pm), base+"/ipv4:"+f.sb.Host)
}

func (f *clientFixture) metadataPhase() clientPhase {
	m, r1, r2, r3 := f.m, f.r1, f.r2, f.r3
	downtimed := func(want bool) func(*testing.T, []string) {
		return truth(func(t *testing.T) { require.Equal(t, want, f.instance(t, r2).IsDowntimed) })
	}
	inMaintenance := func(want bool) func(*testing.T, []string) {
		return truth(func(t *testing.T) {
			var list []struct {
				Key struct {
					Hostname string
					Port     int
				}
			}
			f.apiGet(t, "maintenance", &list)
			found := false
			for _, e := range list {
				found = found || fmt.Sprintf("%s:%d", e.Key.Hostname, e.Key.Port) == r2
			}
			require.Equal(t, want, found, "maintenance: %v", list)
		})
	}
	return clientPhase{name: "metadata", cases: []clientCase{
		{args: args("-c api -P set-cluster-alias/" + m + "?alias=sandbox"), want: func(t *testing.T, out []string) { require.Contains(t, out[0], `"OK"`) }},
		{args: args("-c which-cluster-alias -i " + r2), want: is("sandbox")},
		{args: args("-c clusters-alias"), want: is(m + ",sandbox")},
		{args: args("-c which-cluster-instances -alias sandbox"), want: set(m, r1, r2, r3)},
		{args: args("-c tag -i " + r2 + " -t role=backup"), want: is(r2)},
		{args: args("-c tags -i " + r2), want: is("role=backup")},
		{args: args("-c tag-value -i " + r2 + " -t role"), want: is("backup")},
		{args: args("-c tagged -t role=backup"), want: is(r2)},
		{args: args("-c topology-tags -i " + m), want: func(t *testing.T, out []string) { require.Contains(t, out[slicesIndex(out, r2)], "role=backup") }},
		{args: args("-c untag -i " + r2 + " -t role"), want: is(r2)},
		{args: args("-c tags -i " + r2), want: is()},
		{args: args("-c tag -i " + r2 + " -t batch"), want: is(r2)},
		{args: args("-c tag -i " + r3 + " -t batch"), want: is(r3)},
		{args: args("-c untag-all -t batch"), want: set(r2, r3)},
		{args: args("-c tagged -t batch"), want: is()},
		{args: args("-c submit-pool-instances -l reporting -i " + r2 + "," + r3), want: is("reporting")},
		{args: args("-c which-heuristic-cluster-pool-instances -i " + m + " -l reporting"), want: set(r2, r3)},
		{args: args("-c register-candidate -i " + r1 + " -R prefer"), want: all(is(r1), truth(func(t *testing.T) { require.Equal(t, "prefer", f.instance(t, r1).PromotionRule) }))},
		{args: args("-c register-candidate -i " + r1 + " --promotion-rule=neutral"), want: all(is(r1), truth(func(t *testing.T) { require.Equal(t, "neutral", f.instance(t, r1).PromotionRule) }))},
		{args: args("-c begin-downtime -i " + r2 + " -o tester -r client-test -u 5m"), want: all(is(r2), downtimed(true))},
		{args: args("-c downtimed"), want: is(r2)},
		{args: args("-c downtimed -i " + m), want: is(r2)},
		{args: args("-c end-downtime -i " + r2), want: all(is(r2), downtimed(false))},
		{args: args("-c downtimed"), want: is()},
		{args: args("-c begin-maintenance -i " + r2 + " -r client-test"), want: all(is(r2), inMaintenance(true))},
		{args: args("-c in-maintenance -i " + r2), want: is(r2)},
		{args: args("-c relocate -i " + r2 + " -d " + r1), refused: "maintenance"},
		{args: args("-c end-maintenance -i " + r2), want: all(is(r2), inMaintenance(false))},
		{args: args("-c in-maintenance -i " + r2), want: is()},
		{args: args("-c register-hostname-unresolve -i " + r2 + " -H vip-r2"), want: is(r2)},
		{args: args("-c deregister-hostname-unresolve -i " + r2), want: is(r2)},
		{args: args("-c disable-global-recoveries"), want: is("disabled")},
		{args: args("-c check-global-recoveries"), want: is("disabled")},
		{args: args("-c enable-global-recoveries"), want: is("enabled")},
		{args: args("-c check-global-recoveries"), want: is("enabled")},
	}}
}

func (f *clientFixture) replicationPhase() clientPhase {
	m, r1, r2, r3 := f.m, f.r1, f.r2, f.r3
	p2 := f.pr2
	var binlogsBefore []string
	return clientPhase{name: "replication control", restore: true, cases: []clientCase{
		{args: args("-c stop-replica -i " + r2), want: all(is(r2), f.threads(p2, "No", "No"))},
		{args: args("-c is-replication-stopped -i " + r2), want: is(r2)},
		{args: args("-c is-replicating -i " + r2), want: is()},
		{args: args("-c which-cluster-osc-running-replicas -i " + m), want: set(r1, r3)},
		{args: args("-c start-replica -i " + r2), want: all(is(r2), f.threads(p2, "Yes", "Yes"))},
		{args: args("-c stop-slave -i " + r2), want: all(is(r2), f.threads(p2, "No", "No"))},
		{args: args("-c start-slave -i " + r2), want: all(is(r2), f.threads(p2, "Yes", "Yes"))},
		{args: args("-c stop-replica-nice -i " + r2), want: all(is(r2), f.threads(p2, "No", "No"))},
		{args: args("-c restart-replica -i " + r2), want: all(is(r2), f.threads(p2, "Yes", "Yes"))},
		{args: args("-c delay-replication -i " + r2 + " -S 7"), want: all(is("7"), truth(func(t *testing.T) { require.Equal(t, "7", f.slaveStatus(t, p2)["SQL_Delay"]) }))},
		{args: args("-c delay-replication -i " + r2 + " -S 0"), want: all(is("0"), truth(func(t *testing.T) { require.Equal(t, "0", f.slaveStatus(t, p2)["SQL_Delay"]) }))},
		{args: args("-c set-writeable -i " + r2), want: all(is(r2), f.variableIs(p2, "read_only", "0"))},
		{args: args("-c set-read-only -i " + r2), want: all(is(r2), f.variableIs(p2, "read_only", "1"))},
		{args: args("-c enable-semi-sync-master -i " + m), want: all(is(m), f.variableIs(f.pm, "rpl_semi_sync_master_enabled", "1"))},
		{args: args("-c disable-semi-sync-master -i " + m), want: all(is(m), f.variableIs(f.pm, "rpl_semi_sync_master_enabled", "0"))},
		{args: args("-c enable-semi-sync-replica -i " + r2), want: all(is(r2), f.variableIs(p2, "rpl_semi_sync_slave_enabled", "1"))},
		{args: args("-c disable-semi-sync-replica -i " + r2), want: all(is(r2), f.variableIs(p2, "rpl_semi_sync_slave_enabled", "0"))},
		{args: args("-c disable-gtid -i " + r2), want: all(is(r2), truth(func(t *testing.T) { require.Equal(t, "No", f.slaveStatus(t, p2)["Using_Gtid"]) }))},
		{args: args("-c enable-gtid -i " + r2), want: all(is(r2), truth(func(t *testing.T) { require.Equal(t, "Slave_Pos", f.slaveStatus(t, p2)["Using_Gtid"]) }))},
		{args: args("-c detach-replica -i " + r2), want: all(is(r2), f.replicatesFrom(p2, "//"+m))},
		{args: args("-c reattach-replica -i " + r2), want: all(is(r2), f.replicatesFrom(p2, m), f.threads(p2, "Yes", "Yes"))},
		{args: args("-c detach-replica-master-host -i " + r2), want: all(is(r2), f.replicatesFrom(p2, "//"+m))},
		{args: args("-c reattach-replica-master-host -i " + r2), want: all(is(r2), f.replicatesFrom(p2, m), f.threads(p2, "Yes", "Yes"))},
		{args: args("-c flush-binary-logs -i " + r2), before: func(t *testing.T) { binlogsBefore = f.binlogs(t, p2) },
			want: all(is(r2), truth(func(t *testing.T) { require.Len(t, f.binlogs(t, p2), len(binlogsBefore)+1) }))},
		// MariaDB silently keeps a log a dump thread has open (the API then
		// refuses): wait until no one reads replica2's binary logs.
		{args: args("-c purge-binary-logs -i " + r2), before: func(t *testing.T) {
			require.Eventually(t, func() bool {
				return f.sqlCount(t, p2, "SELECT COUNT(*) FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'") == 0
			}, 15*time.Second, 100*time.Millisecond, "no dump thread on replica2")
		}, more: func(t *testing.T) []string {
			logs := f.binlogs(t, p2)
			return []string{"-n", logs[len(logs)-1]}
		}, want: all(is(r2), truth(func(t *testing.T) { require.Len(t, f.binlogs(t, p2), 1) }))},
		// A replication error on replica2: a row it has already (MariaDB
		// replicas run DDL idempotently, so it takes DML to break one).
		{args: args("-c refresh -i " + r2), before: func(t *testing.T) {
			f.sqlExec(t, f.pm, "CREATE TABLE sandbox_meta.client_skip (id INT PRIMARY KEY)")
			require.Eventually(t, func() bool {
				return f.sqlCount(t, p2, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'client_skip'") == 1
			}, 10*time.Second, 50*time.Millisecond)
			f.sqlExec(t, p2, "SET SESSION sql_log_bin = 0", "INSERT INTO sandbox_meta.client_skip VALUES (1)")
			f.sqlExec(t, f.pm, "INSERT INTO sandbox_meta.client_skip VALUES (1)")
			require.Eventually(t, func() bool { return f.slaveStatus(t, p2)["Last_SQL_Errno"] != "0" }, 10*time.Second, 50*time.Millisecond)
		}, want: is(r2)},
		{args: args("-c which-broken-replicas -i " + m), want: is(r2)},
		{args: args("-c skip-query -i " + r2), want: all(is(r2), truth(func(t *testing.T) {
			require.Eventually(t, func() bool {
				st := f.slaveStatus(t, p2)
				return st["Last_SQL_Errno"] == "0" && st["Slave_SQL_Running"] == "Yes"
			}, 10*time.Second, 50*time.Millisecond, "replica2 applies again")
			f.sqlExec(t, f.pm, "DROP TABLE sandbox_meta.client_skip")
		}))},
		{args: args("-c refresh -i " + r2), want: is(r2)},
		{args: args("-c which-broken-replicas -i " + m), want: is()},
		{args: args("-c reset-replica -i " + r2), want: all(is(r2), truth(func(t *testing.T) { require.Nil(t, f.slaveStatus(t, p2)) }))},
	}}
}

// errantPhase makes an errant transaction on replica2 and removes it.
func (f *clientFixture) errantPhase() clientPhase {
	r2, p2 := f.r2, f.pr2
	errantDomain := "-" + strconv.Itoa(p2) + "-" // replica2's server_id
	return clientPhase{name: "errant GTID", restore: true, cases: []clientCase{
		{args: args("-c refresh -i " + r2), before: func(t *testing.T) {
			f.sqlExec(t, p2, "CREATE DATABASE IF NOT EXISTS client_errant")
		}, want: is(r2)},
		{args: args("-c which-gtid-errant -i " + r2), want: func(t *testing.T, out []string) {
			require.Len(t, out, 1, "replica2 binlog %s current %s slave %s; master binlog %s", f.variable(t, p2, "gtid_binlog_pos"),
				f.variable(t, p2, "gtid_current_pos"), f.variable(t, p2, "gtid_slave_pos"), f.variable(t, f.pm, "gtid_binlog_pos"))
			require.Contains(t, out[0], errantDomain)
			require.Contains(t, f.variable(t, p2, "gtid_binlog_pos"), out[0], "the errant GTID is in replica2's binlog")
		}},
		{args: args("-c locate-gtid-errant -i " + r2), want: func(t *testing.T, out []string) {
			logs := f.binlogs(t, p2)
			require.Equal(t, []string{logs[len(logs)-1]}, out, "the log replica2 wrote its own transaction to")
		}},
		{args: args("-c gtid-errant-inject-empty -i " + r2), refused: "MariaDB does not log empty transactions"},
		{args: args("-c gtid-errant-reset-master -i " + r2), want: all(is(r2), truth(func(t *testing.T) {
			require.NotContains(t, f.variable(t, p2, "gtid_binlog_pos"), errantDomain)
			f.sqlExec(t, p2, "SET SESSION sql_log_bin = 0", "DROP DATABASE client_errant")
		}), f.threads(p2, "Yes", "Yes"))},
		{args: args("-c refresh -i " + r2), want: is(r2)},
		{args: args("-c which-gtid-errant -i " + r2), want: is()},
	}}
}

func (f *clientFixture) movePhase() clientPhase {
	m, r1, r2, r3 := f.m, f.r1, f.r2, f.r3
	from := f.replicatesFrom
	return clientPhase{name: "moves", restore: true, cases: []clientCase{
		{args: args("-c move-up -i " + r3), want: all(is(r3+"<"+m), from(f.pr3, m))},
		{args: args("-c move-below -i " + r3 + " -d " + r1), want: all(is(r3+"<"+r1), from(f.pr3, r1))},
		{args: args("-c relocate -i " + r3 + " -d " + r2), want: all(is(r3+"<"+r2), from(f.pr3, r2))},
		{args: args("-c move-gtid -i " + r3 + " -d " + r1), want: all(is(r3+"<"+r1), from(f.pr3, r1))},
		{args: args("-c repoint -i " + r3 + " -d " + r1), want: all(is(r3+"<"+r1), from(f.pr3, r1), f.threads(f.pr3, "Yes", "Yes"))},
		{args: args("-c relocate-replicas -i " + r1 + " -d " + r2), want: all(is(r3), from(f.pr3, r2))},
		// The API answers the destination here, as upstream's does.
		{args: args("-c move-replicas-gtid -i " + r2 + " -d " + r1), want: all(is(r1), from(f.pr3, r1))},
		{args: args("-c move-up-replicas -i " + r1), want: all(is(r3), from(f.pr3, m))},
		{args: args("-c move-below -i " + r3 + " -d " + r1), want: all(is(r3+"<"+r1), from(f.pr3, r1))},
		{args: args("-c repoint-replicas -i " + r1), want: all(is(r3), from(f.pr3, r1), f.threads(f.pr3, "Yes", "Yes"))},
		// take-master twice swaps replica1 and replica3 and back.
		{args: args("-c take-master -i " + r3), want: all(is(r3+"<"+m), from(f.pr3, m), from(f.pr1, r3))},
		{args: args("-c enslave-master -i " + r1), want: all(is(r1+"<"+m), from(f.pr1, m), from(f.pr3, r1))},
		{args: args("-c take-siblings -i " + r1), want: all(is(r1+"<"+m), from(f.pr2, r1), from(f.pr3, r1))},
		{args: args("-c regroup-replicas -i " + r1), want: func(t *testing.T, out []string) {
			require.Len(t, out, 1)
			other := map[string]string{r2: r3, r3: r2}[out[0]]
			require.NotEmpty(t, other, "the candidate is a replica of replica1: %v", out)
			from(f.port[other], out[0])(t, out)
		}},
		// Without GTID a move records equivalent positions; move-equivalent
		// goes back through them.
		{args: args("-c move-equivalent -i " + r3 + " -d " + r1), refused: "replicates by GTID"},
		{args: args("-c disable-gtid -i " + r2), before: func(t *testing.T) { f.restore(t) }, want: is(r2)},
		{args: args("-c move-below -i " + r2 + " -d " + r1), want: all(is(r2+"<"+r1), from(f.pr2, r1))},
		{args: args("-c move-equivalent -i " + r2 + " -d " + m), want: all(is(r2+"<"+m), from(f.pr2, m), f.threads(f.pr2, "Yes", "Yes"))},
		{args: args("-c make-co-master -i " + r1), before: func(t *testing.T) { f.restore(t) },
			want: all(is(r1+"<"+m), from(f.pm, r1), from(f.pr1, m))},
	}}
}

// takeoverPhase promotes for real with one command, checks the result on
// the servers, and (with ack) acknowledges the recovery it recorded.
func (f *clientFixture) takeoverPhase(command string, ack bool) clientPhase {
	ph := clientPhase{name: strings.Fields(command)[0], restore: true, cases: []clientCase{
		{args: args("-c " + command), want: f.promoted},
	}}
	if ack {
		ph.cases = append(ph.cases,
			clientCase{args: args("-c ack-cluster-recoveries -i " + f.r1 + " -r client-test"), want: is(f.r1)},
			clientCase{args: args("-c ack-instance-recoveries -i " + f.m + " -r client-test"), want: is(f.m)},
			clientCase{args: args("-c ack-all-recoveries -r client-test"), want: all(is("client-test"), f.recoveriesAcknowledged)})
	}
	return ph
}

// recoverPhase kills replica1 (an intermediate master) and recovers it.
func (f *clientFixture) recoverPhase() clientPhase {
	m, r1 := f.m, f.r1
	return clientPhase{name: "recover", restore: true, cases: []clientCase{
		{args: args("-c recover -i " + m), refused: "NoProblem"},
		{args: args("-c recover-lite -i " + m + " -d " + r1), refused: "NoProblem"},
		{args: args("-c replication-analysis"), before: func(t *testing.T) {
			require.Equal(t, "0", f.variable(t, f.pm, "read_only"), "the master is writable")
			require.NoError(t, f.sb.Kill(f.pr1))
			var last string
			require.Eventually(t, func() bool {
				out, _, code := f.client(t, nil, "-c", "replication-analysis")
				last = out
				return code == 0 && strings.Contains(out, "DeadIntermediateMaster") && len(outputLines(out)) == 1
			}, 30*time.Second, 200*time.Millisecond, "the service sees replica1 dead, and nothing else: %q", &last)
		}, want: func(t *testing.T, out []string) {
			require.Len(t, out, 1)
			require.Regexp(t, "^"+regexp.QuoteMeta(r1+" (cluster "+m+"): DeadIntermediateMaster"), out[0])
		}},
		{args: args("-c recover -i " + r1), want: func(t *testing.T, out []string) {
			require.Len(t, out, 1)
			require.Contains(t, []string{m, f.r2}, out[0], "replica3's new master")
			f.replicatesFrom(f.pr3, out[0])(t, out)
			f.threads(f.pr3, "Yes", "Yes")(t, out)
		}},
	}}
}

func (f *clientFixture) refusalPhase() clientPhase {
	r1, r2, r3 := f.r1, f.r2, f.r3
	const pgtid = "pseudo-GTID and binlog servers are not implemented"
	const raft = "raft is not used"
	return clientPhase{name: "refusals", cases: []clientCase{
		{args: args("-c match -i " + r3 + " -d " + r2), refused: pgtid},
		{args: args("-c match-up -i " + r3), refused: pgtid},
		{args: args("-c match-up-replicas -i " + r1), refused: pgtid},
		{args: args("-c last-pseudo-gtid -i " + r2), refused: pgtid},
		{args: args("-c raft-leader"), refused: raft},
		{args: args("-c raft-health"), refused: raft},
		{args: args("-c raft-leader-hostname"), refused: raft},
		{args: args("-c raft-elect-leader -H " + r1), refused: raft},
	}}
}

// discoveryPhase forgets and rediscovers, ending with the four instances known.
func (f *clientFixture) discoveryPhase() clientPhase {
	m, r3 := f.m, f.r3
	forgotten := truth(func(t *testing.T) {
		var rows []struct{ AuditType string }
		f.apiGet(t, "audit/instance/"+strings.Replace(r3, ":", "/", 1), &rows)
		require.Equal(t, "forget", rows[0].AuditType, "newest audit row of replica3")
	})
	return clientPhase{name: "discovery", cases: []clientCase{
		{args: args("-c forget -i " + r3), want: all(is(), forgotten)},
		{args: args("-c discover -i " + r3), want: all(is(r3), truth(func(t *testing.T) {
			require.Equal(t, r3, fmt.Sprintf("%s:%d", f.instance(t, r3).Key.Hostname, f.instance(t, r3).Key.Port))
		}))},
		{args: args("-c forget-cluster -i " + m), want: all(is(), truth(func(t *testing.T) {
			var names []string
			f.apiGet(t, "clusters", &names)
			require.Empty(t, names)
		}))},
		{args: args("-c async-discover -i " + m), want: all(is(m), truth(func(t *testing.T) { f.waitBaseline(t) }))},
	}}
}

// dispatchedCommands parses the client's run_command case table: every
// label at its first level of indentation.
func dispatchedCommands(t *testing.T) []string {
	data, err := os.ReadFile(clientScript)
	require.NoError(t, err)
	src := strings.ReplaceAll(string(data), "\\\n", " ")
	start := strings.Index(src, "\nrun_command() {")
	require.Positive(t, start)
	body := src[start:]
	body = body[:strings.Index(body, "\n}\n")]
	label := regexp.MustCompile(`(?m)^    ([a-z][a-z0-9 |-]*)\)`)
	var names []string
	for _, m := range label.FindAllStringSubmatch(body, -1) {
		for _, n := range strings.Split(m[1], "|") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	sort.Strings(names)
	return names
}

// TestOrchestratorClientCommandsAllTested: every command the client
// dispatches has a case in TestOrchestratorClient's table, and `-c help`
// and docs/orchestrator-client.md list it.
func TestOrchestratorClientCommandsAllTested(t *testing.T) {
	names := dispatchedCommands(t)
	require.Greater(t, len(names), 100, "parsed the dispatch table: %v", names)
	f := newClientFixture(t, &sandbox.Sandbox{Host: "h"}, nil)
	f.service = &service{} // the table only, nothing runs
	tested := map[string]bool{}
	for _, ph := range f.phases() {
		for _, c := range ph.cases {
			tested[c.command()] = true
		}
	}
	help, err := exec.Command(clientScript, "-c", "help").Output()
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, w := range strings.FieldsFunc(string(help), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		listed[w] = true
	}
	doc, err := os.ReadFile("../../docs/orchestrator-client.md")
	require.NoError(t, err)
	for _, n := range names {
		require.True(t, tested[n], "command %q has no case in client_commands_test.go", n)
		require.True(t, listed[n], "command %q is missing from -c help", n)
		require.Contains(t, string(doc), "`"+n+"`", "command %q is missing from docs/orchestrator-client.md", n)
	}
}
