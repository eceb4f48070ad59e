package sim

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// start serves a generated fleet and an Inspector pointed at it.
func start(t *testing.T, sp Spec) (*Simulator, *mysql.Inspector, *config.Config) {
	t.Helper()
	s, err := Start(sp)
	require.NoError(t, err)
	cfg := config.Defaults()
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = "orchestrator", "orch_pass"
	cfg.MySQLDiscoveryReadTimeoutSeconds = 1
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close(); _ = s.Close() })
	return s, mysql.NewInspector(conn, cfg), cfg
}

func key(t *testing.T, addr string) inst.InstanceKey {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return inst.InstanceKey{Hostname: host, Port: p}
}

// TestProbeEveryVersion probes a master and its replica of each simulated
// version with the real Inspector: each takes its own vocabulary (8.4
// rejects SHOW SLAVE STATUS and SHOW MASTER STATUS outright).
func TestProbeEveryVersion(t *testing.T) {
	for _, name := range VersionNames() {
		t.Run(name, func(t *testing.T) {
			s, in, _ := start(t, Spec{Clusters: 1, Depth: 1, FanOut: 2, Versions: []string{name}, GTID: true})
			ctx := context.Background()
			masterAddr := s.Fleet().Masters()[0]
			m, err := in.Probe(ctx, key(t, masterAddr))
			require.NoError(t, err)
			version, _, _ := resolveVersion(name)
			require.Equal(t, version, m.Version)
			require.Equal(t, uint(1), m.ServerID)
			require.False(t, m.ReadOnly)
			require.True(t, m.LogBinEnabled)
			require.False(t, m.IsReplica())
			require.Len(t, m.Replicas, 2)
			require.NotEmpty(t, m.SelfBinlogCoordinates.LogFile)

			r, err := in.Probe(ctx, m.Replicas[0])
			require.NoError(t, err)
			require.True(t, r.IsReplica())
			require.True(t, r.ReadOnly)
			require.Equal(t, m.Key, r.MasterKey)
			require.Equal(t, inst.ThreadStateRunning, r.ReplicationIOThreadState)
			require.Equal(t, inst.ThreadStateRunning, r.ReplicationSQLThreadState)
			require.True(t, r.SecondsBehindMaster.Valid)
			if strings.HasPrefix(name, "mariadb") {
				require.Equal(t, inst.FlavorMariaDB, r.FlavorName)
				require.True(t, r.UsingMariaDBGTID)
				require.Regexp(t, `^0-1-\d+$`, r.MariaDBGtidCurrentPos)
				require.Empty(t, r.ServerUUID)
			} else {
				require.Equal(t, inst.FlavorMySQL, r.FlavorName)
				require.True(t, r.UsingOracleGTID)
				require.True(t, r.SupportsOracleGTID)
				require.NotEmpty(t, r.ServerUUID)
				require.Equal(t, m.ServerUUID, r.MasterUUID)
				require.Contains(t, r.ExecutedGtidSet, m.ServerUUID+":1-")
			}
			if name == "mysql-5.7" {
				require.True(t, r.SuperReadOnly)
			}
			// After the first contact a probe is one round trip.
			before := in.Stats()
			_, err = in.Probe(ctx, m.Key)
			require.NoError(t, err)
			require.Equal(t, uint64(1), in.Stats().RoundTrips-before.RoundTrips)
		})
	}
}

func TestFaults(t *testing.T) {
	s, in, _ := start(t, Spec{Clusters: 1, Depth: 1, FanOut: 2, Versions: []string{"mysql-8.4"}, GTID: true})
	ctx := context.Background()
	control := httptest.NewServer(s.ControlHandler())
	defer control.Close()
	fault := func(f Fault, addr string, extra string) int {
		resp, err := http.Post(control.URL+"/fault/"+string(f)+"?instance="+addr+extra, "", nil)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	masterAddr := s.Fleet().Masters()[0]
	m, err := in.Probe(ctx, key(t, masterAddr))
	require.NoError(t, err)
	r1, r2 := m.Replicas[0], m.Replicas[1]

	require.Equal(t, http.StatusOK, fault(FaultLag, r1.String(), "&seconds=42"))
	require.Equal(t, http.StatusOK, fault(FaultStopSQL, r2.String(), ""))
	i, err := in.Probe(ctx, r1)
	require.NoError(t, err)
	require.Equal(t, int64(42), i.SecondsBehindMaster.Int64)
	i, err = in.Probe(ctx, r2)
	require.NoError(t, err)
	require.Equal(t, inst.ThreadStateStopped, i.ReplicationSQLThreadState)
	require.Equal(t, inst.ThreadStateRunning, i.ReplicationIOThreadState)
	require.False(t, i.SecondsBehindMaster.Valid)

	require.Equal(t, http.StatusOK, fault(FaultKill, masterAddr, ""))
	_, err = in.Probe(ctx, m.Key)
	require.Error(t, err)
	i, err = in.Probe(ctx, r1)
	require.NoError(t, err)
	require.Equal(t, inst.ThreadStateOther, i.ReplicationIOThreadState)
	require.True(t, i.IsFailingToConnectToMaster(), i.LastIOError)

	require.Equal(t, http.StatusOK, fault(FaultHang, r1.String(), ""))
	started := time.Now()
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = in.Probe(tctx, r1)
	cancel()
	require.Error(t, err)
	require.Less(t, time.Since(started), 3*time.Second)
	require.Equal(t, http.StatusOK, fault(FaultUnhang, r1.String(), ""))
	_, err = in.Probe(ctx, r1)
	require.NoError(t, err)

	require.Equal(t, http.StatusNotFound, fault(FaultKill, "127.9.9.9:1", ""))
	require.Equal(t, http.StatusBadRequest, fault("explode", r1.String(), ""))
	require.Equal(t, http.StatusBadRequest, fault(FaultStopIO, masterAddr, ""))
}

// TestFaultsEveryFlavour: on MySQL 5.7, 8.0 and 8.4 and MariaDB, a
// replica's IO thread stopped by stop-io shows stopped (its SQL thread
// running), and a killed master's replicas report an IO error connecting
// to it, in their version's own columns.
func TestFaultsEveryFlavour(t *testing.T) {
	for _, version := range []string{"mysql-5.7", "mysql-8.0", "mysql-8.4", "mariadb-10.11"} {
		t.Run(version, func(t *testing.T) {
			s, in, _ := start(t, Spec{Clusters: 1, Depth: 1, FanOut: 2, Versions: []string{version}, GTID: true})
			ctx := context.Background()
			control := httptest.NewServer(s.ControlHandler())
			defer control.Close()
			fault := func(f Fault, addr string) {
				resp, err := http.Post(control.URL+"/fault/"+string(f)+"?instance="+addr, "", nil)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
			}
			masterAddr := s.Fleet().Masters()[0]
			m, err := in.Probe(ctx, key(t, masterAddr))
			require.NoError(t, err)
			require.Len(t, m.Replicas, 2)
			r1, r2 := m.Replicas[0], m.Replicas[1]

			fault(FaultStopIO, r2.String())
			i, err := in.Probe(ctx, r2)
			require.NoError(t, err)
			require.Equal(t, inst.ThreadStateStopped, i.ReplicationIOThreadState)
			require.Equal(t, inst.ThreadStateRunning, i.ReplicationSQLThreadState)
			fault(FaultStartReplica, r2.String())
			i, err = in.Probe(ctx, r2)
			require.NoError(t, err)
			require.True(t, i.IsReplicating())

			fault(FaultKill, masterAddr)
			for _, r := range []inst.InstanceKey{r1, r2} {
				i, err := in.Probe(ctx, r)
				require.NoError(t, err)
				require.True(t, i.IsFailingToConnectToMaster(), "%s: %s", r, i.LastIOError)
				require.Contains(t, i.LastIOError, masterAddr[:strings.LastIndex(masterAddr, ":")], "the error names the master")
			}
		})
	}
}
