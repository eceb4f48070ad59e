package http

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/go-martini/martini"
)

// Route is one API path.
type Route struct {
	Path    string
	Mutates bool // refused in read-only mode and for read-only users
	// MutatesWhen names a query parameter that, set to "true", makes a
	// read route act like a mutating one (it probes servers and stores
	// what it finds): the route is then authorised as Mutates.
	MutatesWhen string
	Bare        bool          // render details as bare JSON (no envelope), as upstream does for reads
	Public      bool          // answers without authentication and outside the request cap (load-balancer checks)
	Query       []Param       // query-string parameters the handler reads; reading another one is a bug
	Timeout     time.Duration // bounds the handler; 0: readTimeout or mutateTimeout
	Handler     Handler
	Doc         string
	// Example is the route's example response when the recorded one
	// (docs_examples.go) cannot show it: routes that act on live servers.
	Example *Example
}

// Param is a query-string parameter of a route.
type Param struct {
	Name string
	Doc  string
}

// Per-route handler timeouts. A route's request and response deadlines on
// the connection are its timeout plus deadlineMargin (limits.go).
const (
	readTimeout   = 30 * time.Second
	mutateTimeout = 5 * time.Minute
)

// timeout is how long the route's handler may run.
func (rt Route) timeout() time.Duration {
	switch {
	case rt.Timeout > 0:
		return rt.Timeout
	case rt.Mutates || rt.MutatesWhen != "":
		return mutateTimeout
	}
	return readTimeout
}

// mutates reports whether this request of the route changes state.
func (rt Route) mutates(req *http.Request) bool {
	return rt.Mutates || (rt.MutatesWhen != "" && req.URL.Query().Get(rt.MutatesWhen) == "true")
}

// q is a query parameter.
func q(name, doc string) Param { return Param{Name: name, Doc: doc} }

// Request is what a handler receives.
type Request struct {
	Ctx    context.Context
	Params martini.Params
	HTTP   *http.Request
	User   string
	route  Route
}

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.Params[name] }

// Query returns a query-string parameter. The route must declare it (so
// that docs/api.md and the OpenAPI document list it).
func (r *Request) Query(name string) string {
	r.declared(name)
	return r.HTTP.URL.Query().Get(name)
}

// Has reports whether a declared query-string parameter is present.
func (r *Request) Has(name string) bool {
	r.declared(name)
	return r.HTTP.URL.Query().Has(name)
}

func (r *Request) declared(name string) {
	if r.route.MutatesWhen == name || slices.ContainsFunc(r.route.Query, func(p Param) bool { return p.Name == name }) {
		return
	}
	panic(fmt.Sprintf("route %s reads query parameter %q, which its table entry does not declare", r.route.Path, name))
}

// Handler is our small handler signature: details to render, a message,
// or an error whose kind decides the status.
type Handler func(r *Request) (details any, message string, err error)

// Envelope is upstream's response object.
type Envelope struct {
	Code    string
	Message string
	Details any
}

// Raw is a handler result written as-is instead of as JSON (Prometheus
// text, plain files).
type Raw struct {
	ContentType string
	Body        []byte
}

// Status is a handler result written as bare JSON with its own status
// code: the load-balancer checks answer "Not leader" with 404 (or the
// status asked for) without being an error.
type Status struct {
	Code int
	Body any
}
