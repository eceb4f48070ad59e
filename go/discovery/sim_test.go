package discovery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/sim"
	"orchestrator/go/topology"
)

// simRig is a Discoverer on SQLite over a simulated fleet; MySQL 8.x
// cannot run here, the simulator answers as it does.
type simRig struct {
	sim     *sim.Simulator
	control *httptest.Server
	cfg     *config.Config
	store   *backend.Store
	d       *Discoverer
	reader  *topology.Reader
}

func newSimRig(t *testing.T, sp sim.Spec) *simRig {
	t.Helper()
	s, err := sim.Start(sp)
	require.NoError(t, err)
	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(t.TempDir(), "orc.sqlite3")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = "orchestrator", "orch_pass"
	cfg.InstancePollSeconds = 1
	store, err := backend.Open(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, store.Migrate(context.Background()))
	conn := mysql.NewConnector(cfg)
	control := httptest.NewServer(s.ControlHandler())
	t.Cleanup(func() { control.Close(); _ = conn.Close(); _ = store.Close(); _ = s.Close() })
	return &simRig{sim: s, control: control, cfg: cfg, store: store,
		d: New(store, mysql.NewInspector(conn, cfg), cfg), reader: topology.NewReader(store, cfg)}
}

func (r *simRig) fault(t *testing.T, f sim.Fault, key inst.InstanceKey) {
	t.Helper()
	resp, err := http.Post(r.control.URL+"/fault/"+string(f)+"?instance="+key.String(), "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func (r *simRig) masterKey(t *testing.T) inst.InstanceKey {
	t.Helper()
	key, err := inst.ParseInstanceKey(r.sim.Fleet().Masters()[0], 3306)
	require.NoError(t, err)
	return key
}

// TestDiscoverSimulatedMySQL8 discovers a master, 2 replicas and 4
// second-level replicas of MySQL 8.0 and 8.4 from the master and checks
// what the store holds for each.
func TestDiscoverSimulatedMySQL8(t *testing.T) {
	for _, version := range []string{"mysql-8.0", "mysql-8.4"} {
		t.Run(version, func(t *testing.T) {
			r := newSimRig(t, sim.Spec{Clusters: 1, Depth: 2, FanOut: 2, Versions: []string{version}, GTID: true})
			ctx := context.Background()
			master := r.masterKey(t)
			_, err := r.d.DiscoverTopology(ctx, master)
			require.NoError(t, err)
			list, err := r.reader.Cluster(ctx, master.String())
			require.NoError(t, err)
			require.Len(t, list, 7)
			servers := map[string]sim.Server{}
			for _, s := range r.sim.Fleet().Servers() {
				servers[s.Addr()] = s
			}
			depths := map[uint]int{}
			for _, i := range list {
				s := servers[i.Key.String()]
				require.Equal(t, s.Version, i.Version, i.Key)
				require.Equal(t, inst.FlavorMySQL, i.FlavorName)
				require.Equal(t, uint(s.ServerID), i.ServerID)
				require.Equal(t, s.UUID, i.ServerUUID)
				require.Equal(t, s.ReadOnly, i.ReadOnly)
				require.Equal(t, s.ReadOnly, i.SuperReadOnly)
				require.True(t, i.LogBinEnabled)
				require.True(t, i.LogReplicationUpdatesEnabled)
				require.Equal(t, "ON", i.GTIDMode)
				require.Equal(t, master.String(), i.ClusterName)
				require.True(t, i.IsLastCheckValid, i.Key)
				require.Len(t, i.Replicas, len(s.Replicas), i.Key)
				require.Contains(t, i.ExecutedGtidSet, servers[master.String()].UUID+":1-")
				depths[i.ReplicationDepth]++
				if s.Master == "" {
					require.False(t, i.IsReplica())
					require.NotEmpty(t, i.SelfBinlogCoordinates.LogFile)
					continue
				}
				require.Equal(t, s.Master, i.MasterKey.String())
				require.True(t, i.UsingOracleGTID)
				require.Equal(t, servers[s.Master].UUID, i.MasterUUID)
				require.Equal(t, inst.ThreadStateRunning, i.ReplicationIOThreadState)
				require.Equal(t, inst.ThreadStateRunning, i.ReplicationSQLThreadState)
				require.True(t, i.SecondsBehindMaster.Valid)
				require.NotEmpty(t, i.ReadBinlogCoordinates.LogFile)
			}
			require.Equal(t, map[uint]int{0: 1, 1: 2, 2: 4}, depths)
		})
	}
}

// TestDeadSimulatedMySQL84Master kills a MySQL 8.4 master through the
// control endpoint, re-probes the cluster and expects analysis to call
// it DeadMaster.
func TestDeadSimulatedMySQL84Master(t *testing.T) {
	r := newSimRig(t, sim.Spec{Clusters: 2, Depth: 1, FanOut: 3, Versions: []string{"mysql-8.4"}, GTID: true})
	ctx := context.Background()
	master := r.masterKey(t)
	_, err := r.d.DiscoverTopology(ctx, master)
	require.NoError(t, err)

	r.fault(t, sim.FaultKill, master)
	_, err = r.d.Probe(ctx, master)
	require.Error(t, err)
	replicas, err := r.reader.Replicas(ctx, master)
	require.NoError(t, err)
	require.Len(t, replicas, 3)
	for _, rep := range replicas {
		i, err := r.d.Probe(ctx, rep.Key)
		require.NoError(t, err)
		require.True(t, i.IsFailingToConnectToMaster(), i.LastIOError)
	}

	list, err := r.reader.Instances(ctx, backend.InstanceFilter{})
	require.NoError(t, err)
	got := analysis.Analyze(analysis.Snapshot{Instances: list, Now: time.Now()},
		analysis.Options{Freshness: r.reader.Freshness(), ReasonableReplicationLagSeconds: 10})
	var dead []analysis.ReplicationAnalysis
	for _, a := range got {
		if a.Analysis == analysis.DeadMaster {
			dead = append(dead, a)
		}
	}
	require.Len(t, dead, 1, "%+v", got)
	require.Equal(t, master, dead[0].AnalyzedInstanceKey)
	require.Equal(t, master.String(), dead[0].ClusterDetails.ClusterName)
}

// TestFailingInstanceBacksOff: a dead server waits out a growing back-off
// before the poll loop tries it again; once it answers (explicit probe),
// it is polled normally again.
func TestFailingInstanceBacksOff(t *testing.T) {
	r := newSimRig(t, sim.Spec{Clusters: 1, Depth: 1, FanOut: 1, Versions: []string{"mariadb-10.11"}})
	ctx := context.Background()
	master := r.masterKey(t)
	_, err := r.d.DiscoverTopology(ctx, master)
	require.NoError(t, err)
	r.fault(t, sim.FaultKill, master)
	for n := 1; n <= 3; n++ {
		_, err = r.d.Probe(ctx, master)
		require.Error(t, err)
	}
	require.False(t, r.d.due(master))
	r.d.mu.Lock()
	wait := time.Until(r.d.retryAt[master])
	r.d.mu.Unlock()
	require.Greater(t, wait, 3*time.Second, "third failure waits 4 poll intervals")
	require.Positive(t, r.d.Stats().BackedOff)

	r.fault(t, sim.FaultRevive, master)
	_, err = r.d.Probe(ctx, master)
	require.NoError(t, err)
	r.d.mu.Lock()
	_, backing := r.d.retryAt[master]
	r.d.mu.Unlock()
	require.False(t, backing)
}
