package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

// heldMove is a move-up of replica3 (from below replica1 to below the
// master, by binlog positions) held at a known point: replica1 stopped
// by the operation, which waits for replica3 to execute everything
// replica1 has. replica3 cannot: a backup-like FLUSH TABLES WITH READ
// LOCK on it holds its SQL thread before a write of the master.
type heldMove struct {
	f      *fixture
	node   *service.Node
	ftwrl  *sql.Conn
	result chan moveResult
}

type moveResult struct {
	code int
	body string
	err  error
}

// holdMoveUp switches replica3 to binlog positions, takes the read lock
// on it, writes on the master, asks node for the move-up and waits until
// it is held.
func (f *fixture) holdMoveUp(node *service.Node) *heldMove {
	t := f.T
	t.Helper()
	r1, r3 := f.sb.Replica1Port, f.sb.Replica3Port
	f.writeAndWait(r1, r3) // the table exists everywhere
	_, err := f.sb.SQL(r3, "STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=no; START SLAVE")
	require.NoError(t, err)
	require.NoError(t, f.sb.WaitReplicating(context.Background(), r3))

	db, err := f.sb.DB(r3)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK")
	require.NoError(t, err)
	h := &heldMove{f: f, node: node, ftwrl: conn, result: make(chan moveResult, 1)}
	t.Cleanup(h.unlock)
	f.writeAndWait(r1) // replica3 receives it and cannot apply it

	go func() {
		c := &http.Client{Timeout: 2 * time.Minute}
		resp, err := c.Get(fmt.Sprintf("%s/api/move-up/%s/%d", node.URL(), f.sb.Host, r3))
		if err != nil {
			h.result <- moveResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		h.result <- moveResult{code: resp.StatusCode, body: string(b)}
	}()
	f.Eventually(20*time.Second, "the move-up held: replica1 stopped, replica3 waited for", func() bool {
		out, err := f.sb.SQL(r3, "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT MASTER_POS_WAIT%'")
		return err == nil && out == "1" && slaveStatus(t, f.sb, r1)["Slave_SQL_Running"] == "No"
	})
	return h
}

// unlock ends the read lock on replica3 (the backup is over).
func (h *heldMove) unlock() {
	if h.ftwrl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := h.ftwrl.ExecContext(ctx, "UNLOCK TABLES")
	require.NoError(h.f.T, err)
	_ = h.ftwrl.Close()
	h.ftwrl = nil
}

// wait returns the move's outcome.
func (h *heldMove) wait() moveResult {
	h.f.T.Helper()
	select {
	case r := <-h.result:
		return r
	case <-time.After(90 * time.Second):
		require.FailNow(h.f.T, "the move-up did not return")
	}
	return moveResult{}
}

// audit returns "type port message" lines of the backend's audit rows.
func (f *fixture) audit() []string {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := f.DB.QueryContext(ctx, `SELECT audit_type, port, message FROM audit ORDER BY audit_id`)
	require.NoError(f.T, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, msg string
		var port int
		require.NoError(f.T, rows.Scan(&typ, &port, &msg))
		out = append(out, fmt.Sprintf("%s %d %s", typ, port, msg))
	}
	require.NoError(f.T, rows.Err())
	return out
}

// auditHas reports whether an audit line of typ about port contains text.
func auditHas(lines []string, typ string, port int, text string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, fmt.Sprintf("%s %d ", typ, port)) && strings.Contains(l, text) {
			return true
		}
	}
	return false
}

// waitNoLocks waits until no maintenance lock is active.
func (f *fixture) waitNoLocks(within time.Duration) {
	f.T.Helper()
	f.Eventually(within, "no maintenance lock left", func() bool {
		var n int
		return f.query(`SELECT COUNT(*) FROM database_instance_maintenance WHERE maintenance_active=1`).Scan(&n) == nil && n == 0
	})
}

// follower returns a node that is not the leader.
func (f *fixture) follower() *service.Node {
	leader := f.Leader()
	for _, nd := range f.Nodes {
		if nd != leader {
			return nd
		}
	}
	require.FailNow(f.T, "no follower")
	return nil
}

// TestFaultsDuringRefactoring: a move-up of replica3 by binlog positions,
// asked of a follower node and held with replica1 stopped by it (see
// holdMoveUp), meets a fault.
//
//   - node kill -9: its locks lapse (lease, 10 s); the leader takes them
//     over, restarts replication on replica1 (stopped by the operation),
//     audits the move-up as interrupted and releases them. replica3 stays
//     below replica1.
//   - replica1 kill -9 (the intermediate master the operation stopped):
//     once the read lock ends, the move fails cleanly (an error answer, a
//     "failed" audit row) with replica3 replicating (below the master,
//     where the move had pointed it before failing to start replica1); no
//     recovery runs for replica1 while it is locked nor after.
//   - backend SIGSTOP for 3 s while the read lock ends and the move goes
//     on: the move finishes (its lease outlives the pause), audited, its
//     locks released.
//
// Afterwards: no maintenance lock left, invariants, one leader (sampled).
func TestFaultsDuringRefactoring(t *testing.T) {
	t.Run("node kill -9", func(t *testing.T) {
		f := newFixture(t, 2, nil)
		s := f.StartSampler()
		h := f.holdMoveUp(f.follower())
		h.node.Kill9(t)
		h.unlock()
		r := h.wait()
		require.Error(t, r.err, "the killed node answered: %+v", r)
		f.waitNoLocks(30 * time.Second)
		lines := f.audit()
		t.Logf("audit: %q", lines)
		require.True(t, auditHas(lines, "move-up", f.sb.Replica1Port, "restarted replication"), "audit: %q", lines)
		require.True(t, auditHas(lines, "move-up", f.sb.Replica3Port, "interrupted"), "audit: %q", lines)
		require.Equal(t, fmt.Sprint(f.sb.Replica1Port), masterPortOf(t, f.sb, f.sb.Replica3Port))
		f.writeAndWait(f.sb.Replica1Port, f.sb.Replica3Port)
		require.Empty(t, f.checkInvariants())
		s.Check(t)
	})
	t.Run("intermediate master kill -9", func(t *testing.T) {
		f := newFixture(t, 2, nil)
		s := f.StartSampler()
		h := f.holdMoveUp(f.follower())
		require.NoError(t, f.sb.Kill(f.sb.Replica1Port))
		time.Sleep(3 * time.Second) // detection rounds while the move holds replica1 locked
		h.unlock()
		r := h.wait()
		require.NoError(t, r.err)
		require.NotEqual(t, http.StatusOK, r.code, r.body)
		t.Logf("answer %d: %s", r.code, r.body)
		f.waitNoLocks(10 * time.Second)
		lines := f.audit()
		require.True(t, auditHas(lines, "move-up", f.sb.Replica3Port, "failed"), "audit: %q", lines)
		f.Eventually(10*time.Second, "replica3 replicates", func() bool {
			st := slaveStatus(t, f.sb, f.sb.Replica3Port)
			return st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes"
		})
		t.Logf("replica3 replicates from %s", masterPortOf(t, f.sb, f.sb.Replica3Port))
		f.writeAndWait(f.sb.Replica3Port)
		require.Empty(t, f.checkInvariants(), "no recovery of a locked, then childless, replica1")
		require.NoError(t, f.sb.StartOne(f.sb.Replica1Port))
		s.Check(t)
	})
	t.Run("backend SIGSTOP", func(t *testing.T) {
		f := newFixture(t, 2, nil)
		h := f.holdMoveUp(f.follower())
		require.NoError(t, f.sb.Pause(f.sb.BackendPort))
		h.unlock()
		time.Sleep(3 * time.Second)
		require.NoError(t, f.sb.Resume(f.sb.BackendPort))
		r := h.wait()
		require.NoError(t, r.err)
		require.Equal(t, http.StatusOK, r.code, r.body)
		f.waitNoLocks(10 * time.Second)
		require.True(t, auditHas(f.audit(), "move-up", f.sb.Replica3Port, "moved"), "audit: %q", f.audit())
		require.Equal(t, fmt.Sprint(f.sb.MasterPort), masterPortOf(t, f.sb, f.sb.Replica3Port))
		f.writeAndWait(f.sb.Replica1Port, f.sb.Replica3Port)
		require.Empty(t, f.checkInvariants())
	})
}
