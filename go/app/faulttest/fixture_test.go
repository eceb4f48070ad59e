package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
	"orchestrator/go/testutil/service"
)

// recoveryConfig turns automated recovery on for every cluster, with a
// long anti-flapping block and 1 s timeouts so that a stopped server is
// noticed quickly.
func recoveryConfig(cfg map[string]any) {
	cfg["RecoverMasterClusterFilters"] = []string{".*"}
	cfg["RecoverIntermediateMasterClusterFilters"] = []string{".*"}
	cfg["RecoveryPeriodBlockSeconds"] = 3600
	cfg["MySQLConnectTimeoutSeconds"] = 1
	cfg["MySQLDiscoveryReadTimeoutSeconds"] = 1
}

// fixture is a recovering service cluster on the sandbox, with the
// sandbox reset to its baseline before the test and after the nodes are
// gone.
type fixture struct {
	*service.Cluster
	sb *sandbox.Sandbox
}

func newFixture(t *testing.T, nodes int, tweak func(map[string]any)) *fixture {
	t.Helper()
	return newFixtureWith(t, nodes, tweak, nil)
}

// newFixtureWith is newFixture with prepare applied to the cluster before
// its nodes start (service.NewWith).
func newFixtureWith(t *testing.T, nodes int, tweak func(map[string]any), prepare func(testing.TB, *service.Cluster)) *fixture {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb)
	require.NoError(t, sb.Reset(context.Background()))
	// Registered first, so it runs after the cluster's nodes are killed.
	t.Cleanup(func() {
		if !sb.Running(sb.BackendPort) {
			_ = sb.StartOne(sb.BackendPort)
		}
		require.NoError(t, sb.Reset(context.Background()))
	})
	c := service.NewWith(t, binary, nodes, func(cfg map[string]any) {
		recoveryConfig(cfg)
		if tweak != nil {
			tweak(cfg)
		}
	}, prepare)
	f := &fixture{Cluster: c, sb: sb}
	f.WaitLeader(20*time.Second, nil)
	f.waitDiscovered()
	return f
}

// waitDiscovered waits until the leader has polled all four topology
// servers successfully, replica3 below replica1.
func (f *fixture) waitDiscovered() {
	f.T.Helper()
	f.Eventually(30*time.Second, "the sandbox topology is discovered", func() bool {
		var n int
		err := f.query(`SELECT COUNT(*) FROM database_instance WHERE port IN (?,?,?,?) AND last_seen IS NOT NULL AND last_checked <= last_seen`,
			f.sb.MasterPort, f.sb.Replica1Port, f.sb.Replica2Port, f.sb.Replica3Port).Scan(&n)
		return err == nil && n == 4
	})
}

func (f *fixture) query(q string, args ...any) *sql.Row {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	f.T.Cleanup(cancel)
	return f.DB.QueryRowContext(ctx, q, args...)
}

// recoveryRow is one row of topology_recovery.
type recoveryRow struct {
	Port, SuccessorPort   int
	Analysis, LostSlaves  string
	Successful, Ended     bool
	Interrupted           bool
	ProcessingNodeToken   string
	ClusterName, AllError string
}

// recoveries reads every recovery row of the cluster's backend.
func (f *fixture) recoveries() []recoveryRow {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := f.DB.QueryContext(ctx, `SELECT port, successor_port, analysis, COALESCE(lost_slaves,''), is_successful,
		end_recovery IS NOT NULL, interrupted, processcing_node_token, cluster_name, COALESCE(all_errors,'') FROM topology_recovery ORDER BY recovery_id`)
	require.NoError(f.T, err)
	defer rows.Close()
	var out []recoveryRow
	for rows.Next() {
		var r recoveryRow
		require.NoError(f.T, rows.Scan(&r.Port, &r.SuccessorPort, &r.Analysis, &r.LostSlaves, &r.Successful, &r.Ended,
			&r.Interrupted, &r.ProcessingNodeToken, &r.ClusterName, &r.AllError))
		out = append(out, r)
	}
	require.NoError(f.T, rows.Err())
	return out
}

// waitRecovery waits for a finished, successful recovery of port and
// returns it.
func (f *fixture) waitRecovery(port int, within time.Duration) recoveryRow {
	f.T.Helper()
	var got recoveryRow
	f.Eventually(within, fmt.Sprintf("a successful recovery of %d", port), func() bool {
		for _, r := range f.recoveries() {
			if r.Port == port && r.Ended && r.Successful {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// checkInvariants asserts what must hold after any fault: at most one
// successful recovery per failed server, every recovery ended (successful,
// failed or interrupted), and no replica that is still running (and not
// listed as lost) left with a replication thread stopped.
func (f *fixture) checkInvariants() []recoveryRow {
	f.T.Helper()
	rows := f.recoveries()
	promotions := map[int]int{}
	lost := map[int]bool{}
	for _, r := range rows {
		require.True(f.T, r.Ended || r.Interrupted, "recovery of %d neither ended nor recorded as interrupted: %+v", r.Port, r)
		if r.Successful {
			promotions[r.Port]++
		}
		for _, p := range f.sb.Ports() {
			if strings.Contains(r.LostSlaves, fmt.Sprintf(":%d", p)) {
				lost[p] = true
			}
		}
	}
	for port, n := range promotions {
		require.Equal(f.T, 1, n, "successful recoveries of %d", port)
	}
	for _, p := range f.sb.Ports() {
		if lost[p] || !f.sb.Running(p) {
			continue
		}
		st := slaveStatus(f.T, f.sb, p)
		require.NotEqual(f.T, "No", st["Slave_IO_Running"], "IO thread of %d left stopped", p)
		require.NotEqual(f.T, "No", st["Slave_SQL_Running"], "SQL thread of %d left stopped", p)
	}
	return rows
}

// slaveStatus returns the first row of SHOW SLAVE STATUS on port by
// column name (nil when the server is not a replica).
func slaveStatus(t testing.TB, sb *sandbox.Sandbox, port int) map[string]string {
	t.Helper()
	db, err := sb.DB(port)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	require.NoError(t, err, "SHOW SLAVE STATUS on %d", port)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	if !rows.Next() {
		return nil
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	require.NoError(t, rows.Scan(ptrs...))
	st := map[string]string{}
	for i, c := range cols {
		st[c] = string(vals[i])
	}
	return st
}

// masterPortOf reads Master_Port on the server itself ("" when it is not
// a replica).
func masterPortOf(t testing.TB, sb *sandbox.Sandbox, port int) string {
	return slaveStatus(t, sb, port)["Master_Port"]
}
