package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/testutil/sandbox"
)

// uiFixture is a real HTTP server with real components (SQLite store,
// discovery, operator) on a MariaDB sandbox whose topology is discovered.
type uiFixture struct {
	sb                 *sandbox.Sandbox
	store              *backend.Store
	deps               Deps
	in                 *mysql.Inspector
	url                string // of a read-write server
	master, r1, r2, r3 inst.InstanceKey
}

// startSandbox returns the package's sandbox (reset to the baseline
// after the test) when a TestMain started one, else starts one for this
// test.
func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	if sb := sandbox.Current(); sb != nil {
		t.Cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })
		return sb
	}
	sb, err := sandbox.Start(sandbox.Options{})
	require.NoError(t, err, "start the MariaDB sandbox")
	t.Cleanup(func() { require.NoError(t, sb.Stop()) })
	return sb
}

func newUIFixture(t *testing.T, sb *sandbox.Sandbox) *uiFixture {
	t.Helper()
	require.NoError(t, sb.Reset(context.Background()))
	cfg := uiConfig(t, sb, nil)
	ld := newLiveDeps(t, sb, cfg)
	ld.Node = fakeNode{leader: true}
	f := &uiFixture{sb: sb, store: ld.Store, deps: ld.Deps, in: ld.in, master: ld.master, r1: ld.r1, r2: ld.r2, r3: ld.r3}
	f.url = f.serve(t, cfg)
	return f
}

// uiConfig is the UI tests' configuration: a fresh SQLite store, the
// sandbox credentials (and its replication user), two data centers (by
// port parity) and automated recovery of intermediate masters only
// (masters are recovered by hand in the tests).
func uiConfig(t *testing.T, sb *sandbox.Sandbox, tweak func(*config.Config)) *config.Config {
	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(t.TempDir(), "orchestrator.sqlite3")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	cfg.DetectDataCenterQuery = "SELECT IF(@@port % 2 = 0, 'dc-east', 'dc-west')"
	cfg.RecoverIntermediateMasterClusterFilters = []string{"."}
	cfg.ReplicationCredentialsQuery = fmt.Sprintf("SELECT '%s', '%s'", sandbox.ReplUser, sandbox.ReplPassword) // make-co-master
	if tweak != nil {
		tweak(cfg)
	}
	return cfg
}

// serve starts an HTTP server with the fixture's components and cfg.
func (f *uiFixture) serve(t *testing.T, cfg *config.Config) string {
	t.Helper()
	srv := httptest.NewServer(New(cfg, f.deps))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *uiFixture) keys() []inst.InstanceKey { return []inst.InstanceKey{f.master, f.r1, f.r2, f.r3} }

// api calls a route of the read-write server and requires an OK envelope.
func (f *uiFixture) api(t *testing.T, path string) map[string]any {
	t.Helper()
	resp, err := http.Get(f.url + path) //nolint:noctx // test against loopback
	require.NoError(t, err)
	defer resp.Body.Close()
	var env map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env), path)
	require.Equal(t, 200, resp.StatusCode, "%s: %v", path, env)
	require.Equal(t, "OK", env["Code"], "%s: %v", path, env)
	return env
}

// restore resets the sandbox to its baseline and waits until the store
// shows it: every instance probed, the baseline masters, one cluster.
func (f *uiFixture) restore(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, f.sb.Reset(ctx))
	want := map[inst.InstanceKey]inst.InstanceKey{f.r1: f.master, f.r2: f.master, f.r3: f.r1}
	require.Eventually(t, func() bool {
		for _, k := range f.keys() { // the master first: replicas take its cluster name
			if _, err := f.deps.Discoverer.Probe(ctx, k); err != nil {
				return false
			}
		}
		list, err := f.deps.Reader.Instances(ctx, backend.InstanceFilter{})
		if err != nil || len(list) != 4 {
			return false
		}
		for _, i := range list {
			if i.ClusterName != f.master.String() || i.MasterKey != want[i.Key] || i.IsDowntimed || i.IsMaintenance {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "the store shows the baseline topology")
}

// slaveStatus is SHOW SLAVE STATUS on the server itself (nil when it
// does not replicate).
func (f *uiFixture) slaveStatus(t *testing.T, k inst.InstanceKey) map[string]string {
	t.Helper()
	db, err := f.sb.DB(k.Port)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := sandbox.SlaveStatus(ctx, db)
	require.NoError(t, err)
	return st
}

// replicatesFrom requires k to replicate from master on the server, and
// both threads to be running within seconds (the IO thread of a replica
// just pointed elsewhere is "Preparing", then "Connecting").
func (f *uiFixture) replicatesFrom(t *testing.T, k, master inst.InstanceKey) {
	t.Helper()
	st := f.slaveStatus(t, k)
	for deadline := time.Now().Add(15 * time.Second); (st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		st = f.slaveStatus(t, k)
	}
	require.Equal(t, fmt.Sprint(master.Port), st["Master_Port"], "%s replicates from %s", k, master)
	require.Equal(t, "Yes", st["Slave_IO_Running"], "%s IO thread: %s", k, st["Last_IO_Error"])
	require.Equal(t, "Yes", st["Slave_SQL_Running"], "%s SQL thread: %s", k, st["Last_SQL_Error"])
}

// readOnly is @@global.read_only on the server itself.
func (f *uiFixture) readOnly(t *testing.T, k inst.InstanceKey) bool {
	t.Helper()
	out, err := f.sb.SQL(k.Port, "SELECT @@global.read_only")
	require.NoError(t, err)
	return out == "1"
}
