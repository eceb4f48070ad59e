package http

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Limits of the HTTP server: no request can hold a connection, a handler
// slot or the server for long.
//
//   - A client must send its request headers within ReadHeader, at most
//     MaxHeaderBytes of them, and the whole request within Read; an idle
//     keep-alive connection is closed after Idle.
//   - The response must be written within Write of the end of the
//     headers. A table route moves both connection deadlines to its own
//     timeout (Route.timeout: reads 30 s, mutations and recoveries 5 min,
//     profiles 5.5 min) plus deadlineMargin when it starts.
//   - At most HTTPMaxConcurrentRequests requests are served at once; one
//     more is answered 503 with the envelope at once. The load-balancer
//     checks (Public routes) are outside the cap, so that a busy node is
//     not taken for a dead one.
type Limits struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}

// DefaultLimits are the service's limits.
func DefaultLimits() Limits {
	return Limits{ReadHeader: 10 * time.Second, Read: readTimeout, Write: readTimeout + deadlineMargin, Idle: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10}
}

// deadlineMargin is the time a route has, beyond its handler's timeout,
// to write its answer.
const deadlineMargin = 15 * time.Second

// defaultMaxInFlight is the request cap when HTTPMaxConcurrentRequests is 0.
const defaultMaxInFlight = 256

// errBusy: the request cap is reached (503).
var errBusy = errors.New("server busy")

// limits is the request cap of one Server.
type limits struct {
	slots chan struct{}
}

func newLimits(max int) *limits {
	if max <= 0 {
		max = defaultMaxInFlight
	}
	return &limits{slots: make(chan struct{}, max)}
}

func (l *limits) cap() int { return cap(l.slots) }

// admit takes a slot without waiting; ok is false when none is free.
func (l *limits) admit() (release func(), ok bool) {
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, true
	default:
		return nil, false
	}
}

// extendDeadlines sets the connection's read and write deadlines to the
// route's timeout plus deadlineMargin: a route whose handler may run
// longer than the server's timeouts gets the time it needs, and no
// longer. Writers that cannot (tests' recorders) are left alone.
func (l *limits) extendDeadlines(req *http.Request, timeout time.Duration) {
	w, ok := req.Context().Value(rawWriterKey{}).(http.ResponseWriter)
	if !ok {
		return
	}
	rc := http.NewResponseController(w)
	at := time.Now().Add(timeout + deadlineMargin)
	_ = rc.SetReadDeadline(at)
	_ = rc.SetWriteDeadline(at)
}

// rawWriterKey carries the connection's own ResponseWriter past martini's
// wrapper, for http.ResponseController.
type rawWriterKey struct{}

func withRawWriter(r *http.Request, w http.ResponseWriter) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), rawWriterKey{}, w))
}
