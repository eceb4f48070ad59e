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

// loadRequests is the size of one burst: that many requests in flight at
// once, spread over the nodes.
const loadRequests = 500

// usage is what a node process holds: open file descriptors (sockets
// included), OS threads (from /proc) and goroutines (its /metrics).
type usage struct{ FDs, Threads, Goroutines int }

func usageOf(t testing.TB, c *service.Cluster, nd *service.Node) usage {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", nd.PID()))
	require.NoError(t, err)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", nd.PID()))
	require.NoError(t, err)
	u := usage{FDs: len(fds), Goroutines: -1}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			_, _ = fmt.Sscan(strings.TrimSpace(v), &u.Threads)
		}
	}
	code, body := c.Get(nd, "/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			_, _ = fmt.Sscan(v, &u.Goroutines)
		}
	}
	require.GreaterOrEqual(t, u.Goroutines, 1, "go_goroutines in /metrics")
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

// fire sends n GETs of paths at once (n goroutines released together,
// one request each, round robin over the nodes) and returns when all are
// answered.
func (f *fixture) fire(n int, paths []string) loadResult {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	res := loadResult{codes: map[int]int{}, odd: map[string]int{}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nd, path := f.Nodes[i%len(f.Nodes)], paths[i%len(paths)]
			<-start
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
		}()
	}
	close(start)
	wg.Wait()
	slices.Sort(res.lat)
	return res
}

// recovered reports a finished recovery of port.
func (f *fixture) recovered(port int) bool {
	for _, r := range f.recoveries() {
		if r.Port == port && r.Ended {
			return true
		}
	}
	return false
}

// TestLoadDuringFailover: bursts of 500 concurrent API requests, spread
// over three nodes, from the kill -9 of the master until its recovery has
// ended (so the load overlaps detection, promotion and convergence) →
// every request answered below 500, every node healthy with no panic in
// its log, and file descriptors, OS threads, goroutines and backend
// connections back to what they were after a warm-up burst of the same
// size (pools filled): nothing leaks with the number of requests.
// Latencies are logged (docs/reliability.md), not asserted.
func TestLoadDuringFailover(t *testing.T) {
	f := newFixture(t, 3, nil)
	master := f.sb.Addr(f.sb.MasterPort)
	paths := []string{"/api/clusters", "/api/clusters-info", "/api/cluster/" + master, "/api/instance/" + strings.Replace(master, ":", "/", 1),
		"/api/replication-analysis", "/api/health", "/api/leader-check", "/api/audit-recovery", "/api/blocked-recoveries", "/metrics", "/api/problems"}
	warm := f.fire(loadRequests, paths)
	t.Logf("warm-up: statuses %v %v; latency p50 %v p99 %v max %v", warm.codes, warm.odd, warm.pct(0.5), warm.pct(0.99), warm.lat[len(warm.lat)-1])
	before := map[string]usage{}
	for _, nd := range f.Nodes {
		before[nd.Name] = usageOf(t, f.Cluster, nd)
	}
	threadsBefore := f.backendThreads()

	require.NoError(t, f.sb.Kill(f.sb.MasterPort))
	var all loadResult
	bursts := 0
	for ; bursts < 20 && (bursts == 0 || !f.recovered(f.sb.MasterPort)); bursts++ {
		res := f.fire(loadRequests, paths)
		all.lat = append(all.lat, res.lat...)
		all.codes, all.odd = merge(all.codes, res.codes), merge(all.odd, res.odd)
	}
	slices.Sort(all.lat)
	f.waitRecovery(f.sb.MasterPort, 30*time.Second)
	t.Logf("during the failover: %d bursts of %d concurrent requests, statuses %v %v; latency p50 %v p99 %v max %v",
		bursts, loadRequests, all.codes, all.odd, all.pct(0.5), all.pct(0.99), all.lat[len(all.lat)-1])
	require.Len(t, all.lat, bursts*loadRequests)
	for code, n := range all.codes {
		require.True(t, code >= 200 && code < 500, "%d requests answered %d", n, code)
	}
	for _, nd := range f.Nodes {
		require.True(t, nd.Alive(), nd.Name)
		code, _ := f.Get(nd, "/api/health")
		require.Equal(t, http.StatusOK, code, nd.Name)
		require.NotContains(t, strings.ToLower(nd.LogText()), "panic", nd.Name)
		var last usage
		b := before[nd.Name]
		deadline := time.Now().Add(30 * time.Second)
		for {
			last = usageOf(t, f.Cluster, nd)
			// Go keeps the OS threads it made (a busier moment makes a
			// few more, never released): a wider margin for them.
			if last.FDs <= b.FDs+4 && last.Threads <= b.Threads+8 && last.Goroutines <= b.Goroutines+10 {
				break
			}
			require.False(t, time.Now().After(deadline), "%s holds no more descriptors, threads and goroutines than after the warm-up: %+v then, %+v now", nd.Name, b, last)
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("%s: after warm-up %+v, after the failover bursts %+v", nd.Name, b, last)
	}
	var threadsAfter int
	f.Eventually(20*time.Second, "backend connections settle", func() bool {
		threadsAfter = f.backendThreads()
		return threadsAfter <= threadsBefore+4
	})
	t.Logf("backend Threads_connected: after warm-up %d, after the failover bursts %d", threadsBefore, threadsAfter)
	f.checkInvariants()
}

// merge adds b's counts to a.
func merge[K comparable](a, b map[K]int) map[K]int {
	if a == nil {
		a = map[K]int{}
	}
	for k, n := range b {
		a[k] += n
	}
	return a
}
