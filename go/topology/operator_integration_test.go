package topology

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/testutil/sandbox"
)

func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }

type fixture struct {
	sb                 *sandbox.Sandbox
	op                 *Operator
	disc               *discovery.Discoverer
	store              *backend.Store
	master, r1, r2, r3 inst.InstanceKey
}

func setup(t *testing.T) *fixture {
	t.Helper()
	sb := sandbox.Current()
	require.NotNil(t, sb)
	ctx := context.Background()
	require.NoError(t, sb.Reset(ctx))
	t.Cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })

	cfg := config.Defaults()
	cfg.BackendDB = "sqlite3"
	cfg.SQLite3DataFile = filepath.Join(t.TempDir(), "orchestrator.sqlite3")
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = sb.User, sb.Password
	cfg.InstancePollSeconds = 1
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.EnsureSchema(ctx))
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	in := mysql.NewInspector(conn, cfg)
	ap := mysql.NewApplier(conn, cfg, in)
	d := discovery.New(store, in, cfg)
	key := func(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: sb.Host, Port: port} }
	f := &fixture{sb: sb, disc: d, store: store, master: key(sb.MasterPort), r1: key(sb.Replica1Port), r2: key(sb.Replica2Port), r3: key(sb.Replica3Port)}
	f.op = NewOperator(store, NewReader(store, cfg), in, ap, d.Probe, cfg, backend.LockHolder{Hostname: "test", Token: "t"})
	_, err = d.DiscoverTopology(ctx, f.master)
	require.NoError(t, err)
	for _, k := range []inst.InstanceKey{f.r1, f.r2, f.r3} {
		_, err := f.op.reader.Instance(ctx, k)
		require.NoError(t, err, "discovered %s", k)
	}
	return f
}

// masterPort reads Master_Port from SHOW SLAVE STATUS on the server itself.
func (f *fixture) masterPort(t *testing.T, k inst.InstanceKey) int {
	t.Helper()
	out, err := f.sb.SQL(k.Port, "SELECT 1")
	require.NoError(t, err, out)
	st, err := f.op.in.ReplicationStatus(context.Background(), k)
	require.NoError(t, err)
	return st.MasterKey.Port
}

// requireFlows writes a row on the master and waits for it on each of
// keys — on every replica of the sandbox when none is named, each of them
// then also checked to replicate (both threads running).
func (f *fixture) requireFlows(t *testing.T, keys ...inst.InstanceKey) {
	t.Helper()
	all := len(keys) == 0
	if all {
		keys = []inst.InstanceKey{f.r1, f.r2, f.r3}
	}
	marker := strconv.FormatInt(time.Now().UnixNano(), 10)
	_, err := f.sb.SQL(f.master.Port, "CREATE DATABASE IF NOT EXISTS optest; CREATE TABLE IF NOT EXISTS optest.t (v VARCHAR(40) PRIMARY KEY); INSERT INTO optest.t VALUES ('"+marker+"')")
	require.NoError(t, err)
	for _, k := range keys {
		require.Eventually(t, func() bool {
			out, err := f.sb.SQL(k.Port, "SELECT COUNT(*) FROM optest.t WHERE v='"+marker+"'")
			return err == nil && strings.TrimSpace(out) == "1"
		}, 20*time.Second, 100*time.Millisecond, "row written on master reaches %s", k)
		if all {
			st, err := f.op.in.ReplicationStatus(context.Background(), k)
			require.NoError(t, err)
			require.True(t, st.IOThread == inst.ThreadStateRunning && st.SQLThread == inst.ThreadStateRunning, "%s replicates", k)
		}
	}
}

func (f *fixture) disableGTID(t *testing.T, keys ...inst.InstanceKey) {
	t.Helper()
	for _, k := range keys {
		_, err := f.sb.SQL(k.Port, "STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=no; START SLAVE")
		require.NoError(t, err)
		require.NoError(t, f.sb.WaitReplicating(context.Background(), k.Port), "%s replicates again", k)
		_, err = f.disc.Probe(context.Background(), k)
		require.NoError(t, err)
	}
}

func TestRelocateBelowMaster(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	i, err := f.op.Relocate(ctx, f.r3, f.master)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	require.Equal(t, f.master.Port, f.masterPort(t, f.r3))
	f.requireFlows(t, f.r3)
	audit, err := f.store.ReadAudit(ctx, 0, &f.r3)
	require.NoError(t, err)
	require.Len(t, audit, 2)
	require.Equal(t, "relocate", audit[0].AuditType)
	require.Contains(t, audit[0].Message, "by move-below-gtid")
	require.Equal(t, "move-below-gtid", audit[1].AuditType)
	f.requireFlows(t) // a row written on the master reaches every replica
}

// TestRelocateBinlogPositions: replicas by binlog coordinates stay so
// where a classic move reaches the target (grandparent, sibling); a
// target only GTID reaches is reached by GTID, and the audit says how.
func TestRelocateBinlogPositions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r1, f.r2, f.r3)
	i, err := f.op.Relocate(ctx, f.r3, f.master) // its grandparent
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	require.False(t, i.UsingGTID(), "still by binlog coordinates")
	f.requireFlows(t, f.r3)
	f.requireAudit(t, f.r3, "relocate", "by move-up")

	i, err = f.op.Relocate(ctx, f.r3, f.r2) // a sibling now
	require.NoError(t, err)
	require.Equal(t, f.r2.Port, f.masterPort(t, f.r3))
	require.False(t, i.UsingGTID())
	f.requireFlows(t, f.r3)
	f.requireAudit(t, f.r3, "relocate", "by move-below")

	i, err = f.op.Relocate(ctx, f.r3, f.r1) // a cousin: only GTID gets there
	require.NoError(t, err)
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r3))
	require.True(t, i.UsingGTID())
	f.requireFlows(t, f.r3)
	f.requireAudit(t, f.r3, "relocate", "by move-below-gtid")
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestMovesGTID(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	i, err := f.op.MoveUp(ctx, f.r3)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	i, err = f.op.MoveBelow(ctx, f.r3, f.r2)
	require.NoError(t, err)
	require.Equal(t, f.r2, i.MasterKey)
	require.Equal(t, f.r2.Port, f.masterPort(t, f.r3))
	f.requireFlows(t, f.r3)
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestMovesBinlogPositions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.disableGTID(t, f.r1, f.r2, f.r3)
	i, err := f.op.MoveUp(ctx, f.r3)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	require.False(t, i.UsingGTID())
	f.requireFlows(t, f.r3)
	i, err = f.op.MoveBelow(ctx, f.r3, f.r2)
	require.NoError(t, err)
	require.Equal(t, f.r2, i.MasterKey)
	require.False(t, i.UsingGTID())
	f.requireFlows(t, f.r3)
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestTakeMaster(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	i, err := f.op.TakeMaster(ctx, f.r3)
	require.NoError(t, err)
	require.Equal(t, f.master, i.MasterKey)
	require.Equal(t, f.r3.Port, f.masterPort(t, f.r1))
	f.requireFlows(t, f.r1)
	f.requireFlows(t) // a row written on the master reaches every replica
}

func TestRefusals(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := f.op.Relocate(ctx, f.master, f.r1)
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "cycle")
	f.requireAudit(t, f.master, "relocate", "failed: relocate "+f.master.String())
	_, err = f.op.Relocate(ctx, f.r1, f.r1)
	require.ErrorIs(t, err, inst.ErrBadRequest)
	_, err = f.op.Relocate(ctx, inst.InstanceKey{Hostname: "nowhere.invalid", Port: 3306}, f.master)
	require.ErrorIs(t, err, inst.ErrNotFound)
	_, err = f.op.TakeMaster(ctx, f.r1)
	require.ErrorIs(t, err, inst.ErrRefused)
	_, err = f.op.BeginMaintenance(ctx, f.r3, "someone", "testing", time.Minute)
	require.NoError(t, err)
	_, err = f.op.MoveUp(ctx, f.r3)
	require.ErrorIs(t, err, inst.ErrLocked)
	require.Equal(t, f.r1.Port, f.masterPort(t, f.r3), "nothing changed")
	f.requireAudit(t, f.r3, "move-up", "instance is under maintenance by someone: testing")
	require.NoError(t, f.op.EndMaintenance(ctx, f.r3))
}

func TestConcurrentMovesOneWins(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for n := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[n] = f.op.MoveBelowGTID(ctx, f.r3, f.master) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.True(t, errors.Is(err, inst.ErrLocked), "%v", err)
		require.Contains(t, err.Error(), "under maintenance")
	}
	require.Equal(t, 1, ok, fmt.Sprint(errs))
	require.Equal(t, f.master.Port, f.masterPort(t, f.r3))
}

func TestReplicationControl(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	i, err := f.op.StopReplica(ctx, f.r2)
	require.NoError(t, err)
	require.True(t, i.IsReplicationStopped())
	i, err = f.op.StartReplica(ctx, f.r2)
	require.NoError(t, err)
	require.True(t, i.IsReplicating())
	i, err = f.op.SetReadOnly(ctx, f.r2, false)
	require.NoError(t, err)
	require.False(t, i.ReadOnly)
	i, err = f.op.SetReadOnly(ctx, f.r2, true)
	require.NoError(t, err)
	require.True(t, i.ReadOnly)
	_, err = f.op.StopReplica(ctx, f.master)
	require.ErrorIs(t, err, inst.ErrRefused)
}
