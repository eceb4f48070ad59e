package http

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-martini/martini"
	"github.com/martini-contrib/render"
	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// serveLimited serves s on a loopback port with the given limits.
func serveLimited(t *testing.T, s *Server, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewHTTPServer(s, nil, l)
	go func() { _ = Serve(srv, ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// addTestRoute registers rt on s's router as the table's routes are.
func addTestRoute(s *Server, rt Route) {
	s.router.Get(rt.Path, func(params martini.Params, req *http.Request, ren render.Render) { s.serve(rt, params, req, ren) })
}

// TestSlowHeadersAreCutOff: a client that sends its request headers a
// byte at a time and never ends them is disconnected at ReadHeader, and
// the server keeps answering others.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	l := DefaultLimits()
	l.ReadHeader = 300 * time.Millisecond
	addr := serveLimited(t, s, l)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /api/health HTTP/1.1\r\nHost: orchestrator\r\n"))
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // slowloris: one more header byte now and then, never the blank line
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := conn.Write([]byte("X")); err != nil {
					return
				}
			}
		}
	}()
	started := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadAll(conn) // until the server closes the connection
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server did not close the connection: %v", err)
	require.Less(t, time.Since(started), 5*time.Second)

	resp, err := http.Get("http://" + addr + "/api/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestRequestCap: with HTTPMaxConcurrentRequests requests in their
// handlers, a burst of more is answered 503 with the envelope at once;
// load-balancer checks still answer; once the slow requests end, the
// server serves again.
func TestRequestCap(t *testing.T) {
	t.Parallel()
	const capacity = 2
	s := newServer(t, func(c *config.Config) { c.HTTPMaxConcurrentRequests = capacity })
	entered, release := make(chan struct{}, capacity), make(chan struct{})
	addTestRoute(s, Route{Path: "/api/test-slow", Doc: "test", Handler: func(*Request) (any, string, error) {
		entered <- struct{}{}
		<-release
		return "done", "", nil
	}})
	addr := serveLimited(t, s, DefaultLimits())
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) (int, Envelope) {
		resp, err := client.Get("http://" + addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		var env Envelope
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return resp.StatusCode, env
	}

	var slow sync.WaitGroup
	for i := 0; i < capacity; i++ {
		slow.Add(1)
		go func() {
			defer slow.Done()
			code, _ := get("/api/test-slow?n=" + string(rune('a'+i))) // distinct URLs: not coalesced
			require.Equal(t, http.StatusOK, code)
		}()
	}
	for i := 0; i < capacity; i++ {
		<-entered
	}
	var burst sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		burst.Add(1)
		go func() {
			defer burst.Done()
			code, env := get("/api/clusters?n=" + string(rune('a'+i)))
			codes[i] = code
			if code == http.StatusServiceUnavailable {
				require.Equal(t, "ERROR", env.Code)
				require.Contains(t, env.Message, "server busy")
			}
		}()
	}
	burst.Wait()
	for _, code := range codes {
		require.Equal(t, http.StatusServiceUnavailable, code, "beyond the cap")
	}
	for _, path := range []string{"/api/health", "/api/lb-check", "/api/leader-check/503", "/health/ready"} {
		code, _ := get(path)
		require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, code, path)
		if path != "/api/leader-check/503" {
			require.Equal(t, http.StatusOK, code, "%s answers while the cap is reached", path)
		}
	}
	close(release)
	slow.Wait()
	code, _ := get("/api/clusters")
	require.Equal(t, http.StatusOK, code, "the server serves again")
}

// TestLongRouteOutlivesWriteTimeout: a route whose timeout is longer
// than the server's write timeout still delivers its answer.
func TestLongRouteOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	addTestRoute(s, Route{Path: "/api/test-long", Mutates: true, Timeout: 5 * time.Second, Doc: "test",
		Handler: func(r *Request) (any, string, error) {
			time.Sleep(time.Second) // the work takes longer than the server's write timeout
			return "done", "", nil
		}})
	l := DefaultLimits()
	l.Write = 300 * time.Millisecond
	addr := serveLimited(t, s, l)
	resp, err := http.Get("http://" + addr + "/api/test-long")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "done")

	addTestRoute(s, Route{Path: "/api/test-read", Doc: "test", Handler: func(r *Request) (any, string, error) { return "ok", "", nil }})
	resp2, err := http.Get("http://" + addr + "/api/test-read")
	require.NoError(t, err)
	resp2.Body.Close()
	require.Equal(t, http.StatusOK, resp2.StatusCode)
}
