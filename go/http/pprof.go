package http

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"

	"orchestrator/go/inst"
)

// profileRoutes serve Go's runtime profiles (for `go tool pprof`) behind
// the same authentication as every other read route. Block and mutex
// profiles are sampled only while a request asks for them (?seconds=N).
func (s *Server) profileRoutes() []Route {
	return []Route{
		{Path: "/debug/pprof/profile", Handler: profileHandler(pprof.Profile), Doc: "CPU profile for go tool pprof (?seconds=, default 30)"},
		{Path: "/debug/pprof/trace", Handler: profileHandler(pprof.Trace), Doc: "execution trace for go tool trace (?seconds=, default 1)"},
		{Path: "/debug/pprof/:name", Handler: namedProfile, Doc: "runtime profile by name: heap, allocs, goroutine, threadcreate; block and mutex sampled for ?seconds= (default 10)"},
	}
}

// namedProfile serves one of runtime/pprof's named profiles. Block and
// mutex sampling is switched on for the requested window only, so that an
// idle service pays nothing for it.
func namedProfile(r *Request) (any, string, error) {
	name := r.Param("name")
	switch name {
	case "heap", "allocs", "goroutine", "threadcreate":
		return profileHandler(pprof.Handler(name).ServeHTTP)(r)
	case "block", "mutex":
	default:
		return nil, "", fmt.Errorf("%w: no profile %q (heap, allocs, goroutine, threadcreate, block, mutex, profile, trace)", inst.ErrNotFound, name)
	}
	q := r.HTTP.URL.Query()
	if q.Get("seconds") == "" {
		q.Set("seconds", "10")
		r.HTTP.URL.RawQuery = q.Encode()
	}
	if secs, err := strconv.Atoi(q.Get("seconds")); err != nil || secs <= 0 || secs > 300 {
		return nil, "", fmt.Errorf("%w: seconds must be a number from 1 to 300", inst.ErrBadRequest)
	}
	if name == "block" {
		runtime.SetBlockProfileRate(int(1e5)) // one sample per 100 µs blocked
		defer runtime.SetBlockProfileRate(0)
	} else {
		runtime.SetMutexProfileFraction(5)
		defer runtime.SetMutexProfileFraction(0)
	}
	return profileHandler(pprof.Handler(name).ServeHTTP)(r)
}

// profileHandler runs a net/http/pprof handler into a buffer and returns
// its body raw; its own error statuses become our error kinds.
func profileHandler(h http.HandlerFunc) Handler {
	return func(r *Request) (any, string, error) {
		w := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		h(w, r.HTTP.WithContext(r.Ctx))
		if w.status != http.StatusOK {
			return nil, "", fmt.Errorf("%w: %s", inst.ErrBadRequest, bytes.TrimSpace(w.body.Bytes()))
		}
		return Raw{ContentType: w.header.Get("Content-Type"), Body: w.body.Bytes()}, "", nil
	}
}

// bufferedResponse is an http.ResponseWriter that keeps what is written.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
