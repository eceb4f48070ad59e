package http

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/pprof"
	"runtime"
	runtimepprof "runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// profileRoutes serve Go's runtime profiles (for `go tool pprof`) behind
// the same authentication as every other read route. Block and mutex
// profiles are sampled only while a request asks for them (?seconds=N).
func (s *Server) profileRoutes() []Route {
	seconds := func(def string) Param {
		return q("seconds", "length of the profile in seconds, 1 to 300 (default "+def+")")
	}
	debug := q("debug", "1 or 2: text instead of the binary format")
	gc := q("gc", "heap: 1 runs a garbage collection first")
	return []Route{
		{Path: "/debug/pprof", Handler: s.profileIndex, Doc: "HTML index of the runtime profiles"},
		{Path: "/debug/pprof/profile", Handler: seconded(pprof.Profile, 30), Query: []Param{seconds("30")}, Timeout: profileTimeout,
			Doc: "CPU profile for go tool pprof", Example: binaryProfile("go tool pprof http://localhost:3000/debug/pprof/profile?seconds=30")},
		{Path: "/debug/pprof/trace", Handler: seconded(pprof.Trace, 1), Query: []Param{seconds("1")}, Timeout: profileTimeout,
			Doc: "execution trace for go tool trace", Example: binaryProfile("curl -o trace.out 'http://localhost:3000/debug/pprof/trace?seconds=5' && go tool trace trace.out")},
		{Path: "/debug/pprof/:name", Handler: namedProfile, Query: []Param{seconds("10, block and mutex only"), debug, gc}, Timeout: profileTimeout,
			Doc:     "runtime profile by name: heap, allocs, goroutine, threadcreate; block and mutex sampled for ?seconds=",
			Example: textExample("text/plain; charset=utf-8", "goroutine profile: total 38\n12 @ 0x43f2ce 0x44f8a5 ...\n#\t0x4b1e24\tnet/http.(*conn).serve+0x5c4\n...\n(with ?debug=1; without it, the binary format for go tool pprof)")},
		{Path: "/debug/vars", Bare: true, Handler: s.debugVars, Doc: "expvar-style JSON of the process: cmdline, memstats, goroutines and this server's counters"},
	}
}

// binaryProfile is the example of a route that answers a binary profile.
func binaryProfile(use string) *Example {
	return textExample("application/octet-stream", "(binary, gzip-compressed profile) use: "+use)
}

// profileTimeout bounds the profile routes: the longest profile asked
// for (300 s) and the time to write it.
const profileTimeout = maxProfileSeconds*time.Second + 30*time.Second

const maxProfileSeconds = 300

// profileSeconds reads ?seconds= (def when absent) and checks its range.
func profileSeconds(r *Request, def int) (int, error) {
	v := r.Query("seconds")
	if v == "" {
		return def, nil
	}
	secs, err := strconv.Atoi(v)
	if err != nil || secs <= 0 || secs > maxProfileSeconds {
		return 0, fmt.Errorf("%w: seconds must be a number from 1 to %d", inst.ErrBadRequest, maxProfileSeconds)
	}
	return secs, nil
}

// seconded serves a profile that samples for ?seconds=.
func seconded(h http.HandlerFunc, def int) Handler {
	return func(r *Request) (any, string, error) {
		if _, err := profileSeconds(r, def); err != nil {
			return nil, "", err
		}
		return profileHandler(h)(r)
	}
}

// profileIndex lists the profiles with links (under URLPrefix).
func (s *Server) profileIndex(*Request) (any, string, error) {
	var b strings.Builder
	base := html.EscapeString(s.conf().URLPrefix) + "/debug/pprof/"
	b.WriteString("<!DOCTYPE html>\n<html><head><title>/debug/pprof</title></head><body>\n<h1>/debug/pprof</h1>\n<table>\n")
	profiles := runtimepprof.Profiles()
	sort.Slice(profiles, func(a, c int) bool { return profiles[a].Name() < profiles[c].Name() })
	for _, p := range profiles {
		name := html.EscapeString(p.Name())
		fmt.Fprintf(&b, "<tr><td>%d</td><td><a href=\"%s%s?debug=1\">%s</a></td></tr>\n", p.Count(), base, name, name)
	}
	fmt.Fprintf(&b, "<tr><td></td><td><a href=\"%sprofile?seconds=30\">profile</a> (CPU, 30 s)</td></tr>\n", base)
	fmt.Fprintf(&b, "<tr><td></td><td><a href=\"%strace?seconds=1\">trace</a> (1 s)</td></tr>\n</table>\n", base)
	b.WriteString("<p>go tool pprof http://host:port" + base + "heap</p>\n</body></html>\n")
	return Raw{ContentType: "text/html; charset=utf-8", Body: []byte(b.String())}, "", nil
}

// namedProfile serves one of runtime/pprof's named profiles. Block and
// mutex sampling is switched on for the requested window only, so that an
// idle service pays nothing for it.
func namedProfile(r *Request) (any, string, error) {
	name := r.Param("name")
	if _, err := profileSeconds(r, 0); err != nil {
		return nil, "", err
	}
	switch name {
	case "heap", "allocs", "goroutine", "threadcreate":
		return profileHandler(pprof.Handler(name).ServeHTTP)(r)
	case "block", "mutex":
	default:
		return nil, "", fmt.Errorf("%w: no profile %q (heap, allocs, goroutine, threadcreate, block, mutex, profile, trace)", inst.ErrNotFound, name)
	}
	secs, err := profileSeconds(r, 10)
	if err != nil {
		return nil, "", err
	}
	query := r.HTTP.URL.Query()
	query.Set("seconds", strconv.Itoa(secs))
	r.HTTP.URL.RawQuery = query.Encode()
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
		// net/http/pprof refuses a profile longer than the server's
		// WriteTimeout; this route's own deadline (Route.Timeout) is
		// what bounds it, so the server is not handed down.
		h(w, r.HTTP.WithContext(context.WithValue(r.Ctx, http.ServerContextKey, nil)))
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
