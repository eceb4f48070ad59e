package http

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// The freshness rules of the in-memory view (snapshot.go), on a real
// SQLite store. Backend statements are counted with the store's
// QueryLatency histogram.

// viewServer returns a server with the seeded topology whose views live
// minAge (when the factor allows) and at most maxAge.
func viewServer(t *testing.T, factor, maxAge time.Duration) *Server {
	t.Helper()
	s := newServer(t, nil)
	seedTopology(t, s)
	s.views.factor, s.views.maxAge = factor, maxAge
	return s
}

func queries(s *Server) int64 { return s.deps.Store.QueryLatency().Count }

// writeCluster stores a one-instance cluster named host:3306.
func writeCluster(t *testing.T, store *backend.Store, host string) {
	t.Helper()
	i := &inst.Instance{Key: inst.InstanceKey{Hostname: host, Port: 3306}, ClusterName: host + ":3306", Version: "10.11.6-MariaDB",
		IsLastCheckValid: true, LastSeen: time.Now(), LastChecked: time.Now()}
	require.NoError(t, store.WriteInstances(context.Background(), []*inst.Instance{i}))
}

func okBody(t *testing.T, s *Server, path string) string {
	t.Helper()
	code, _, body := get(t, s, path, "", "")
	require.Equal(t, 200, code, "%s: %s", path, body)
	return body
}

func TestViewWithinMinAgeNoBackendQuery(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 1e9, time.Hour) // minimum age: an hour
	before := okBody(t, s, "/api/clusters-info")
	okBody(t, s, "/api/cluster/m:3306")
	writeCluster(t, s.deps.Store, "late")
	n := queries(s)
	require.Equal(t, before, okBody(t, s, "/api/clusters-info"), "within the minimum age the view is served as it was")
	okBody(t, s, "/api/cluster/m:3306")
	okBody(t, s, "/api/clusters")
	okBody(t, s, "/api/all-instances")
	require.NotContains(t, okBody(t, s, "/api/ui/clusters"), "late", "the clusters page reads the view too")
	require.Equal(t, n, queries(s), "no backend statement within the minimum age")
}

func TestViewMutationOfThisNodeSeenAtOnce(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 1e9, time.Hour)
	require.Contains(t, okBody(t, s, "/api/clusters-info"), `"ClusterAlias":"m:3306"`)
	code, _, body := get(t, s, "/api/cluster/prod", "", "")
	require.Equal(t, 404, code, body)
	okBody(t, s, "/api/set-cluster-alias/m:3306?alias=prod")
	require.Contains(t, okBody(t, s, "/api/clusters-info"), `"ClusterAlias":"prod"`, "a mutation through the API is seen by the next read")
	require.Contains(t, okBody(t, s, "/api/ui/clusters"), `"ClusterAlias":"prod"`)
	require.Equal(t, okBody(t, s, "/api/cluster/m:3306"), okBody(t, s, "/api/cluster/prod"))
}

func TestViewCommitByAnotherConnectionSeen(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, time.Hour) // no minimum age: only the change mark decides
	require.NotContains(t, okBody(t, s, "/api/clusters"), "late")
	n := queries(s)
	okBody(t, s, "/api/clusters")
	require.Equal(t, n, queries(s), "no commit: the view is kept (only the change mark was asked)")
	writeCluster(t, s.deps.Store, "late")
	require.Contains(t, okBody(t, s, "/api/clusters"), `"late:3306"`, "a commit through the pool is seen by the next read")
	require.Equal(t, okBody(t, s, "/api/cluster/late:3306"), okBody(t, s, "/api/cluster/late"))
}

func TestViewCommitByAnotherProcessSeen(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, time.Hour)
	require.NotContains(t, okBody(t, s, "/api/all-instances"), `"cli"`)
	cli, err := backend.Open(context.Background(), s.conf()) // what a CLI run opens
	require.NoError(t, err)
	t.Cleanup(func() { _ = cli.Close() })
	writeCluster(t, cli, "cli")
	require.Contains(t, okBody(t, s, "/api/all-instances"), `"Hostname":"cli"`, "a commit by a second store on the file is seen by the next read")
	require.Contains(t, okBody(t, s, "/api/clusters-info"), `"ClusterName":"cli:3306"`)
}

func TestViewMaxAge(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, 0) // every view is too old at once
	okBody(t, s, "/api/clusters-info")
	n := queries(s)
	okBody(t, s, "/api/clusters-info")
	require.Greater(t, queries(s), n, "a view past its maximum age is read again, changed or not")
}

// TestViewResolvesHints: every form of hint gives the answer of the
// cluster's name; unknown hints get the backend's error.
func TestViewResolvesHints(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, time.Hour)
	okBody(t, s, "/api/set-cluster-alias/m:3306?alias=prod")
	want := okBody(t, s, "/api/cluster/m:3306")
	require.Contains(t, want, `"Hostname":"r2"`)
	for _, hint := range []string{"prod", "r2:3306", "r1", "m", "%20m:3306"} {
		require.Equal(t, want, okBody(t, s, "/api/cluster/"+hint), hint)
	}
	code, env, _ := get(t, s, "/api/cluster/nosuch", "", "")
	require.Equal(t, 404, code)
	require.Contains(t, env["Message"], `cluster "nosuch" is unknown`)
	code, _, _ = get(t, s, "/api/cluster/r", "", "")
	require.Equal(t, 200, code, "a prefix of one cluster's hostnames")
	writeCluster(t, s.deps.Store, "rx")
	code, _, body := get(t, s, "/api/cluster/r", "", "")
	require.Equal(t, 404, code, "a prefix of two clusters' hostnames: %s", body)
}

// TestViewConcurrentReadersAndWriter: readers sharing views while the
// store is written; once writes stop, every route shows the last one.
func TestViewConcurrentReadersAndWriter(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, time.Hour)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for n := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths := []string{"/api/clusters-info", "/api/cluster/m:3306", "/api/all-instances", "/api/clusters"}
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, paths[n%len(paths)], nil))
				if rec.Code != http.StatusOK {
					t.Errorf("%s: %d %s", paths[n%len(paths)], rec.Code, rec.Body)
					return
				}
			}
		}()
	}
	for n := range 20 {
		writeCluster(t, s.deps.Store, fmt.Sprintf("w%d", n))
	}
	close(stop)
	wg.Wait()
	require.Contains(t, okBody(t, s, "/api/clusters"), `"w19:3306"`)
	require.Contains(t, okBody(t, s, "/api/clusters-info"), `"ClusterName":"w19:3306"`)
	require.Contains(t, okBody(t, s, "/api/all-instances"), `"Hostname":"w19"`)
}

// TestViewKnownCurrentMovesForward: a mark check that finds no commit
// makes the view known current from then, so the mark is not asked again
// (and a later commit not seen) until the minimum age has passed again.
func TestViewKnownCurrentMovesForward(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, 3*time.Hour)
	okBody(t, s, "/api/clusters")
	cur := s.views.cur.Load()
	cur.taken, cur.minAge = cur.taken.Add(-2*time.Hour), time.Hour // read two hours ago, minimum age one hour
	okBody(t, s, "/api/clusters")
	require.Same(t, cur, s.views.cur.Load(), "no commit: the view is kept")
	require.Greater(t, cur.current.Load(), int64(time.Hour), "known current as of the mark check")
	writeCluster(t, s.deps.Store, "late")
	require.NotContains(t, okBody(t, s, "/api/clusters"), "late", "within the minimum age of the check the mark is not asked")
	cur.current.Store(0)
	require.Contains(t, okBody(t, s, "/api/clusters"), "late", "past it, the mark shows the commit")
}

// TestViewLargeFleetServedWhileRead: a view whose read was slow (a large
// fleet) is served at once when it goes stale, while one read runs in the
// background; the next reads see what that read found. A mutation of this
// node still makes the next read wait for a view that shows it.
func TestViewLargeFleetServedWhileRead(t *testing.T) {
	t.Parallel()
	s := viewServer(t, 0, 0) // every view is stale at once
	okBody(t, s, "/api/clusters")
	cur := s.views.cur.Load()
	cur.readDur = time.Hour // as if reading every instance took an hour
	writeCluster(t, s.deps.Store, "late")
	require.NotContains(t, okBody(t, s, "/api/clusters"), "late", "the stale view answers at once")
	require.Eventually(t, func() bool { return s.views.cur.Load() != cur && !s.views.refreshing.Load() }, 10*time.Second, time.Millisecond,
		"a background read published the next view")
	require.Contains(t, okBody(t, s, "/api/clusters"), "late:3306", "the next reads see what it found")

	s.views.cur.Load().readDur = time.Hour
	okBody(t, s, "/api/set-cluster-alias/m:3306?alias=prod")
	require.Contains(t, okBody(t, s, "/api/clusters-info"), `"ClusterAlias":"prod"`, "this node's mutation is read at once, large fleet or not")

	s.views.cur.Load().readDur = time.Millisecond
	writeCluster(t, s.deps.Store, "later")
	require.Contains(t, okBody(t, s, "/api/clusters"), "later:3306", "a small fleet's stale view is read again before answering")
}
