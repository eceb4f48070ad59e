package recovery

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
	"orchestrator/go/testutil/sandbox"
)

// errInjected is the failure faultInjector makes.
var errInjected = errors.New("injected failure")

// faultInjector routes orchestrator's connections and makes one server
// fail right after a statement containing trigger has been sent to it: its
// reply still arrives, then for outage every write on its connections
// fails and new connections are refused.
type faultInjector struct {
	target, trigger string
	outage          time.Duration
	mu              sync.Mutex
	fired           bool
	downUntil       time.Time
}

func (fi *faultInjector) down() bool {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return time.Now().Before(fi.downUntil)
}

func (fi *faultInjector) fire() {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if !fi.fired {
		fi.fired, fi.downUntil = true, time.Now().Add(fi.outage)
	}
}

// heal ends the outage now.
func (fi *faultInjector) heal() {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.downUntil = time.Time{}
}

func (fi *faultInjector) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr == fi.target && fi.down() {
		return nil, errInjected
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil || addr != fi.target {
		return c, err
	}
	return &faultyConn{Conn: c, fi: fi}, nil
}

type faultyConn struct {
	net.Conn
	fi *faultInjector
}

func (c *faultyConn) Write(b []byte) (int, error) {
	if c.fi.down() {
		_ = c.Conn.Close()
		return 0, errInjected
	}
	n, err := c.Conn.Write(b)
	if bytes.Contains(b, []byte(c.fi.trigger)) {
		c.fi.fire()
	}
	return n, err
}

// TestPromotionFailingAfterWritableIsRolledBack: in a takeover onto
// replica2, replica2 stops answering right after read_only=0 was applied.
// The promotion fails before its replication is reset and before any other
// replica is moved: replica2 is set back to read_only=1 as soon as it
// answers again and restarted where it was, replica1 too, the state of
// every server is recorded, and writes on the master reach everyone again.
// When replica2 does not answer again in time, the recovery says that it
// may be writable.
func TestPromotionFailingAfterWritableIsRolledBack(t *testing.T) {
	cases := []struct {
		name     string
		outage   time.Duration
		restored bool
		decision []string
	}{
		{"brief failure: set back read-only", 2 * time.Second, true,
			[]string{"it was set back to read_only=1, its replication settings kept (not reset)"}},
		{"lasting failure: says it may be writable", time.Minute, false,
			[]string{"setting read_only=1 back FAILED", "it may be writable, with its replication settings kept"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := sandbox.Current()
			fi := &faultInjector{target: sb.Addr(sb.Replica2Port), trigger: "SET GLOBAL read_only = 0", outage: tc.outage}
			f := setup(t, nil, fi.dial)
			ctx := context.Background()
			before := f.serverStates(t)

			rec, err := f.rc.ForceMasterTakeover(ctx, f.master.String(), f.r2)
			require.ErrorIs(t, err, ErrNoPromotion)
			require.True(t, fi.fired, "the failure was injected")
			fi.heal()
			require.Nil(t, rec.SuccessorKey)
			text := strings.Join(rec.Decision, "\n")
			require.Contains(t, text, "promotion of "+f.r2.String()+" failed after read_only=0 may have been set")
			require.Contains(t, text, "no replica was moved: each is restarted where it was")
			for _, sub := range tc.decision {
				require.Contains(t, text, sub)
			}
			states := rec.Decision[len(rec.Decision)-1]
			require.Contains(t, states, "state after the failed attempt: ")
			require.Contains(t, states, f.r1.String()+": replicates from "+f.master.String())
			require.Equal(t, f.master.Port, f.masterPortOf(t, f.r1), "replica1 never moved")
			require.Equal(t, f.master.Port, f.masterPortOf(t, f.r2), "replica2's replication was not reset")

			if !tc.restored {
				require.Contains(t, states, f.r2.String()+": does not answer")
				ro, err := f.sb.SQL(f.r2.Port, "SELECT @@read_only")
				require.NoError(t, err)
				require.Equal(t, "0", strings.TrimSpace(ro), "as the recovery says, replica2 may be (and is) writable")
				return
			}
			require.Contains(t, states, f.r2.String()+": replicates from "+f.master.String())
			require.Contains(t, states, "read_only=true")
			require.Eventually(t, func() bool { return assertEqualStates(before, f.serverStates(t)) }, 10*time.Second,
				100*time.Millisecond, "every server as it was")
			f.requireFlows(t, f.master, f.r1, f.r2, f.r3)
			st, err := f.in.ReplicationStatus(ctx, f.r2)
			require.NoError(t, err)
			require.Equal(t, inst.ThreadStateRunning, st.IOThread)
		})
	}
}
