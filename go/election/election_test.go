package election

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/testutil/sandbox"
)

func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{WithBackend: true})) }

// backends returns, per dialect, a function opening a new store on one
// fresh shared database: each elector gets its own store, as each service
// process has its own pool.
func backends(t *testing.T) map[string]func() *backend.Store {
	t.Helper()
	sq := config.Defaults()
	sq.BackendDB = "sqlite3"
	sq.SQLite3DataFile = filepath.Join(t.TempDir(), "orc.sqlite3")

	sb := sandbox.Current()
	my := config.Defaults()
	my.BackendDB = "mysql"
	my.MySQLOrchestratorHost = sb.Host
	my.MySQLOrchestratorPort = uint(sb.BackendPort)
	my.MySQLOrchestratorDatabase = sb.FreshBackendDatabase(t)
	my.MySQLOrchestratorUser = sb.User
	my.MySQLOrchestratorPassword = sb.Password

	out := map[string]func() *backend.Store{}
	for name, cfg := range map[string]*config.Config{"sqlite3": sq, "mysql": my} {
		out[name] = func() *backend.Store {
			s, err := backend.Open(context.Background(), cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.EnsureSchema(context.Background()))
			return s
		}
	}
	return out
}

// electors builds n electors, each with its own store and token.
func electors(open func() *backend.Store, n int, tick, expire time.Duration) []*Elector {
	out := make([]*Elector, n)
	for i := range out {
		node := backend.Node{Hostname: "node", Token: fmt.Sprintf("token-%d", i), AppVersion: "test", ExtraInfo: "http"}
		out[i] = New(open(), node, tick, expire, nil)
	}
	return out
}

// leaders returns the indexes of electors that claim leadership now.
func leaders(es []*Elector) []int {
	var out []int
	for i, e := range es {
		if e.IsLeader() {
			out = append(out, i)
		}
	}
	return out
}

func tickAll(ctx context.Context, es []*Elector) {
	var wg sync.WaitGroup
	for _, e := range es {
		wg.Add(1)
		go func(e *Elector) { defer wg.Done(); e.Tick(ctx) }(e)
	}
	wg.Wait()
}

func TestExactlyOneLeader(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			es := electors(open, 4, time.Second, 5*time.Second)
			first := -1
			for round := 0; round < 8; round++ {
				tickAll(ctx, es)
				l := leaders(es)
				require.Len(t, l, 1, "round %d: exactly one leader", round)
				if first < 0 {
					first = l[0]
				}
				require.Equal(t, first, l[0], "round %d: the leader keeps its row while it refreshes", round)
				row, err := es[0].store.ActiveNode(ctx)
				require.NoError(t, err)
				require.Equal(t, es[first].node.Token, row.Token, "the backend row names the leader")
			}
			nodes, err := es[0].store.AvailableNodes(ctx, 10)
			require.NoError(t, err)
			require.Len(t, nodes, 4, "every elector registers its health row")
		})
	}
}

// TestExpiryTakeoverAndFencing stops the leader's refreshes by closing its
// store (every statement fails, as when the backend is unreachable): the
// leader must stop claiming leadership before the others can take over,
// and one of them must take over once the row has expired.
func TestExpiryTakeoverAndFencing(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const tick, expire = 250 * time.Millisecond, 2 * time.Second
			es := electors(open, 3, tick, expire)
			es[0].Tick(ctx)
			require.True(t, es[0].IsLeader())
			tickAll(ctx, es[1:])
			require.Equal(t, []int{0}, leaders(es))

			es[0].Tick(ctx)
			refreshed := time.Now() // the refresh was sent before this instant
			require.True(t, es[0].IsLeader())
			require.False(t, es[0].LeaderUntil().After(refreshed.Add(expire-tick)),
				"the fence ends at least one tick before the row can expire")

			require.NoError(t, es[0].store.Close()) // refreshes fail from now on
			lapsed := false
			deadline := time.Now().Add(10 * expire)
			for time.Now().Before(deadline) {
				tickAll(ctx, es)
				l := leaders(es)
				require.LessOrEqual(t, len(l), 1, "never two leaders: %v", l)
				if !es[0].IsLeader() {
					lapsed = true
				}
				if len(l) == 1 && l[0] != 0 {
					require.True(t, lapsed, "the old leader had stopped before the takeover")
					row, err := es[1].store.ActiveNode(ctx)
					require.NoError(t, err)
					require.Equal(t, es[l[0]].node.Token, row.Token)
					return
				}
				time.Sleep(tick)
			}
			t.Fatalf("no takeover within %v", 10*expire)
		})
	}
}

func TestReelectStepsDownSafely(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			es := electors(open, 3, time.Second, 5*time.Second)
			es[0].Tick(ctx)
			tickAll(ctx, es[1:])
			require.Equal(t, []int{0}, leaders(es))

			asked, err := es[2].store.Reelect(ctx)
			require.NoError(t, err)
			require.Equal(t, es[0].node.Token, asked.Token)
			// Others cannot win while the old leader may still act.
			tickAll(ctx, es[1:])
			require.Equal(t, []int{0}, leaders(es), "the marked row is not free for the others yet")

			es[0].Tick(ctx) // notices the request, stops, frees the row
			require.Empty(t, leaders(es))
			_, err = es[0].store.ActiveNode(ctx)
			require.ErrorIs(t, err, backend.ErrNoRows)

			tickAll(ctx, es)
			l := leaders(es)
			require.Len(t, l, 1)
			require.NotEqual(t, 0, l[0], "the node that stepped down sits out the next election")
		})
	}
}

// TestGrabElectionHandsOverSafely: a handover request leaves the leader
// leading until its next tick; then it stops counting itself leader and
// gives the row to the node that asked, which leads from its next tick;
// no other node can take the row meanwhile, and at no point do two
// electors lead.
func TestGrabElectionHandsOverSafely(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			es := electors(open, 3, time.Second, 5*time.Second)
			es[0].Tick(ctx)
			tickAll(ctx, es[1:])
			require.Equal(t, []int{0}, leaders(es))

			asked, err := es[2].store.RequestHandover(ctx, es[2].node.Hostname, es[2].node.Token)
			require.NoError(t, err)
			require.Equal(t, es[0].node.Token, asked.Token)
			tickAll(ctx, es[1:])
			require.Equal(t, []int{0}, leaders(es), "the leader leads until it has noticed")
			again, err := es[1].store.Reelect(ctx)
			require.NoError(t, err)
			require.Equal(t, es[0].node.Token, again.Token, "a reelect meanwhile does not spoil the mark")

			es[0].Tick(ctx) // notices, stops, hands the row over
			require.Empty(t, leaders(es), "nobody leads between the old leader's stop and the new one's tick")
			row, err := es[0].store.ActiveNode(ctx)
			require.NoError(t, err)
			require.Equal(t, es[2].node.Token, row.Token)

			es[1].Tick(ctx)
			require.Empty(t, leaders(es), "the handed-over row is not free for others")
			es[2].Tick(ctx)
			require.Equal(t, []int{2}, leaders(es))
			tickAll(ctx, es)
			require.Equal(t, []int{2}, leaders(es), "the old leader sits out; the new one keeps its row")

			_, err = es[0].store.RequestHandover(ctx, es[0].node.Hostname, "token-gone")
			require.NoError(t, err)
			es[2].Tick(ctx) // hands over to a node that has no health row: the row is freed instead
			_, err = es[2].store.ActiveNode(ctx)
			require.ErrorIs(t, err, backend.ErrNoRows)
		})
	}
}

func TestResignHandsOverAtNextTick(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var mu sync.Mutex
			var changes []bool
			es := electors(open, 2, time.Second, 5*time.Second)
			es[0].onChange = func(l bool) { mu.Lock(); changes = append(changes, l); mu.Unlock() }
			es[0].Tick(ctx)
			es[1].Tick(ctx)
			require.Equal(t, []int{0}, leaders(es))
			es[0].Resign()
			mu.Lock()
			require.Equal(t, []bool{true, false}, changes, "leader work is told to stop before the row goes")
			mu.Unlock()
			es[1].Tick(ctx)
			require.Equal(t, []int{1}, leaders(es))
		})
	}
}
