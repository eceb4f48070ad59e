package discovery

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/testutil/sandbox"
	"orchestrator/go/topology"
)

func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }

type rig struct {
	sb     *sandbox.Sandbox
	cfg    *config.Config
	store  *backend.Store
	d      *Discoverer
	reader *topology.Reader
}

func newRig(t *testing.T, tweak func(*config.Config)) *rig {
	t.Helper()
	sb := sandbox.Current()
	require.NoError(t, sb.Reset(context.Background()))
	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(t.TempDir(), "orc.sqlite3")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	cfg.InstancePollSeconds = 1
	if tweak != nil {
		tweak(cfg)
	}
	store, err := backend.Open(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, store.Migrate(context.Background()))
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close(); _ = store.Close() })
	return &rig{sb: sb, cfg: cfg, store: store, d: New(store, mysql.NewInspector(conn, cfg), cfg), reader: topology.NewReader(store, cfg)}
}

func (r *rig) key(port int) inst.InstanceKey {
	return inst.InstanceKey{Hostname: r.sb.Host, Port: port}
}

func TestDiscoverFindsWholeTopology(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	_, err := r.d.DiscoverTopology(ctx, r.key(r.sb.MasterPort))
	require.NoError(t, err)
	list, err := r.reader.Cluster(ctx, r.key(r.sb.MasterPort).String())
	require.NoError(t, err)
	require.Len(t, list, 4)
	lat := r.d.Stats().ProbeLatency
	require.GreaterOrEqual(t, lat.Count, int64(4), "every probe is timed")
	require.Equal(t, lat.Count, lat.Buckets[len(lat.Buckets)-1], "loopback probes take under 10 s")
	byPort := map[int]*inst.Instance{}
	for _, i := range list {
		byPort[i.Key.Port] = i
		require.True(t, i.IsLastCheckValid, i.Key.String())
		require.Equal(t, r.key(r.sb.MasterPort).String(), i.ClusterName)
		require.Contains(t, i.Version, "MariaDB")
		require.Equal(t, inst.FlavorMariaDB, i.FlavorName)
	}
	m := byPort[r.sb.MasterPort]
	require.False(t, m.IsReplica())
	require.False(t, m.ReadOnly)
	require.Equal(t, uint(0), m.ReplicationDepth)
	require.ElementsMatch(t, []inst.InstanceKey{r.key(r.sb.Replica1Port), r.key(r.sb.Replica2Port)}, m.Replicas)
	for port, master := range map[int]int{r.sb.Replica1Port: r.sb.MasterPort, r.sb.Replica2Port: r.sb.MasterPort, r.sb.Replica3Port: r.sb.Replica1Port} {
		i := byPort[port]
		require.Equal(t, r.key(master), i.MasterKey, "master of %d", port)
		require.True(t, i.ReadOnly)
		require.True(t, i.IsReplicating())
		require.True(t, i.UsingMariaDBGTID)
		require.NotEmpty(t, i.MariaDBGtidCurrentPos)
	}
	require.Equal(t, uint(2), byPort[r.sb.Replica3Port].ReplicationDepth)
	text := inst.TopologyText(list, false)
	require.Contains(t, text, "+ "+r.key(r.sb.Replica1Port).String())
	require.Contains(t, text, "  + "+r.key(r.sb.Replica3Port).String())
}

func TestDiscoverFromAReplica(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	_, err := r.d.DiscoverTopology(ctx, r.key(r.sb.Replica3Port))
	require.NoError(t, err)
	list, err := r.reader.Cluster(ctx, r.key(r.sb.Replica3Port).String())
	require.NoError(t, err)
	require.Len(t, list, 4, "found bottom-up, converged to one cluster named after the master")
	for _, i := range list {
		require.Equal(t, r.key(r.sb.MasterPort).String(), i.ClusterName)
	}
}

func TestStoppedSQLThreadAndKilledReplica(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	t.Cleanup(func() { _ = r.sb.Reset(context.Background()) })
	_, err := r.d.DiscoverTopology(ctx, r.key(r.sb.MasterPort))
	require.NoError(t, err)

	_, err = r.sb.SQL(r.sb.Replica2Port, "STOP SLAVE SQL_THREAD")
	require.NoError(t, err)
	_, err = r.d.Probe(ctx, r.key(r.sb.Replica2Port))
	require.NoError(t, err)
	i, err := r.reader.Instance(ctx, r.key(r.sb.Replica2Port))
	require.NoError(t, err)
	require.Equal(t, inst.ThreadStateStopped, i.ReplicationSQLThreadState)
	require.Equal(t, inst.ThreadStateRunning, i.ReplicationIOThreadState)
	require.Contains(t, i.Problems, "not_replicating")

	require.NoError(t, r.sb.Kill(r.sb.Replica1Port))
	_, err = r.d.Probe(ctx, r.key(r.sb.Replica1Port))
	require.Error(t, err)
	require.Contains(t, err.Error(), r.key(r.sb.Replica1Port).String())
	i, err = r.reader.Instance(ctx, r.key(r.sb.Replica1Port))
	require.NoError(t, err)
	require.False(t, i.IsLastCheckValid)
	require.Contains(t, i.Problems, "last_check_invalid")
	m, err := r.reader.Instance(ctx, r.key(r.sb.MasterPort))
	require.NoError(t, err)
	require.True(t, m.IsLastCheckValid, "the others stay valid")
}

func TestClusterAliasFromQuery(t *testing.T) {
	r := newRig(t, func(c *config.Config) {
		c.DetectClusterAliasQuery = "SELECT alias FROM meta.cluster LIMIT 1"
	})
	ctx := context.Background()
	t.Cleanup(func() { _, _ = r.sb.SQL(r.sb.MasterPort, "DROP DATABASE IF EXISTS meta") })
	_, err := r.sb.SQL(r.sb.MasterPort, "CREATE DATABASE IF NOT EXISTS meta; CREATE TABLE IF NOT EXISTS meta.cluster (alias VARCHAR(64)); DELETE FROM meta.cluster; INSERT INTO meta.cluster VALUES ('sandbox')")
	require.NoError(t, err)
	_, err = r.d.DiscoverTopology(ctx, r.key(r.sb.MasterPort))
	require.NoError(t, err)
	m, err := r.store.ReadInstance(ctx, r.key(r.sb.MasterPort))
	require.NoError(t, err)
	require.Equal(t, "sandbox", m.SuggestedClusterAlias)
	list, err := r.reader.Cluster(ctx, "sandbox")
	require.NoError(t, err, "the alias is a cluster hint")
	require.Len(t, list, 4)
	require.Equal(t, "sandbox", list[0].ClusterAlias)
}

func TestUnreachableHostIsRecorded(t *testing.T) {
	r := newRig(t, func(c *config.Config) { c.MySQLConnectTimeoutSeconds = 1 })
	ctx := context.Background()
	key := inst.InstanceKey{Hostname: "127.0.0.1", Port: 1}
	started := time.Now()
	_, err := r.d.Probe(ctx, key)
	require.Error(t, err)
	require.Less(t, time.Since(started), 10*time.Second)
	i, err := r.store.ReadInstance(ctx, key)
	require.NoError(t, err, "the attempt is recorded")
	require.NotEmpty(t, i.LastProbeError)
	require.False(t, i.LastCheckValid(r.reader.Freshness()))
}
