package faulttest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/service"
)

const (
	loadRequests = 500
	loadWorkers  = 25
)

// usage is what a node process holds: open file descriptors (sockets
// included) and OS threads, read from /proc.
type usage struct{ FDs, Threads int }

func usageOf(t testing.TB, nd *service.Node) usage {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", nd.PID()))
	require.NoError(t, err)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", nd.PID()))
	require.NoError(t, err)
	u := usage{FDs: len(fds)}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			_, _ = fmt.Sscan(strings.TrimSpace(v), &u.Threads)
		}
	}
	return u
}

// backendThreads is the backend MariaDB's Threads_connected.
func (f *fixture) backendThreads() int {
	f.T.Helper()
	out, err := f.sb.SQL(f.sb.BackendPort, "SHOW GLOBAL STATUS LIKE 'Threads_connected'")
	require.NoError(f.T, err)
	var name string
	var n int
	_, err = fmt.Sscan(out, &name, &n)
	require.NoError(f.T, err, out)
	return n
}

// loadResult is one round of requests.
type loadResult struct {
	lat   []time.Duration // sorted
	codes map[int]int     // status → count (0: no answer)
	odd   map[string]int  // "node path status" → count, for statuses other than 200
}

func (r loadResult) pct(p float64) time.Duration { return r.lat[int(p*float64(len(r.lat)-1))] }

// fire sends n GETs of paths, round robin over the nodes, from
// loadWorkers concurrent workers, and returns when all are answered.
func (f *fixture) fire(n int, paths []string) loadResult {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: loadWorkers}}
	defer client.CloseIdleConnections()
	jobs := make(chan int)
	var mu sync.Mutex
	res := loadResult{codes: map[int]int{}, odd: map[string]int{}}
	var wg sync.WaitGroup
	for w := 0; w < loadWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				nd, path := f.Nodes[i%len(f.Nodes)], paths[i%len(paths)]
				t0 := time.Now()
				code := 0
				if resp, err := client.Get(nd.URL() + path); err == nil {
					code = resp.StatusCode
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				mu.Lock()
				res.lat, res.codes[code] = append(res.lat, time.Since(t0)), res.codes[code]+1
				if code != http.StatusOK {
					res.odd[fmt.Sprintf("%s %s %d", nd.Name, path, code)]++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	slices.Sort(res.lat)
	return res
}

// TestLoadDuringFailover: 500 API requests from 25 concurrent workers,
// spread over three nodes, while the master is killed and recovered →
// every request answered below 500, every node healthy with no panic in
// its log, and file descriptors, OS threads and backend connections no
// higher than after a warm-up round of the same size (pools filled):
// nothing grows with the number of requests. Latencies are logged
// (docs/reliability.md), not asserted.
func TestLoadDuringFailover(t *testing.T) {
	f := newFixture(t, 3, nil)
	master := f.sb.Addr(f.sb.MasterPort)
	paths := []string{"/api/clusters", "/api/clusters-info", "/api/cluster/" + master, "/api/instance/" + strings.Replace(master, ":", "/", 1),
		"/api/replication-analysis", "/api/health", "/api/leader-check", "/api/audit-recovery", "/api/blocked-recoveries", "/metrics", "/api/problems"}
	warm := f.fire(loadRequests, paths)
	t.Logf("warm-up: statuses %v %v; latency p50 %v p99 %v max %v", warm.codes, warm.odd, warm.pct(0.5), warm.pct(0.99), warm.lat[len(warm.lat)-1])
	before := map[string]usage{}
	for _, nd := range f.Nodes {
		before[nd.Name] = usageOf(t, nd)
	}
	threadsBefore := f.backendThreads()

	require.NoError(t, f.sb.Kill(f.sb.MasterPort))
	res := f.fire(loadRequests, paths)
	f.waitRecovery(f.sb.MasterPort, 30*time.Second)
	t.Logf("during failover: %d requests, %d workers, statuses %v %v; latency p50 %v p99 %v max %v",
		len(res.lat), loadWorkers, res.codes, res.odd, res.pct(0.5), res.pct(0.99), res.lat[len(res.lat)-1])
	require.Len(t, res.lat, loadRequests)
	for code, n := range res.codes {
		require.True(t, code >= 200 && code < 500, "%d requests answered %d", n, code)
	}
	for _, nd := range f.Nodes {
		require.True(t, nd.Alive(), nd.Name)
		code, _ := f.Get(nd, "/api/health")
		require.Equal(t, http.StatusOK, code, nd.Name)
		require.NotContains(t, strings.ToLower(nd.LogText()), "panic", nd.Name)
		var last usage
		f.Eventually(20*time.Second, nd.Name+" holds no more descriptors and threads than after the warm-up", func() bool {
			last = usageOf(t, nd)
			return last.FDs <= before[nd.Name].FDs+4 && last.Threads <= before[nd.Name].Threads+4
		})
		t.Logf("%s: after warm-up %+v, after the failover round %+v", nd.Name, before[nd.Name], last)
	}
	var threadsAfter int
	f.Eventually(20*time.Second, "backend connections settle", func() bool {
		threadsAfter = f.backendThreads()
		return threadsAfter <= threadsBefore+4
	})
	t.Logf("backend Threads_connected: after warm-up %d, after the failover round %d", threadsBefore, threadsAfter)
	f.checkInvariants()
}
