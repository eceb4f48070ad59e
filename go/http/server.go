// Package http serves orchestrator's JSON API and web UI: a route table,
// one wrapper for auth, read-only mode and the response envelope, and
// handlers that parse, call one domain function and present.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/user"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-martini/martini"
	"github.com/martini-contrib/render"
	"github.com/outbrain/golib/log"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Request is what a handler receives.
type Request struct {
	Ctx    context.Context
	Params martini.Params
	HTTP   *http.Request
	User   string
}

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.Params[name] }

// Query returns a query-string parameter.
func (r *Request) Query(name string) string { return r.HTTP.URL.Query().Get(name) }

// Handler is our small handler signature: details to render, a message,
// or an error whose kind decides the status.
type Handler func(r *Request) (details any, message string, err error)

// Route is one API path.
type Route struct {
	Path    string
	Mutates bool // refused in read-only mode and for read-only users
	Bare    bool // render details as bare JSON (no envelope), as upstream does for reads
	Handler Handler
	Doc     string
}

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

// errForbidden: an authenticated user who may not change anything.
var errForbidden = errors.New("forbidden")

// Server is the HTTP front end.
type Server struct {
	cfg       *config.Config
	deps      Deps
	routes    []Route
	router    martini.Router
	mux       http.Handler
	metrics   *Metrics
	coalescer *coalescer
	views     *views // in-memory answers of the hottest reads (snapshot.go)
}

// New builds the server and its routes.
func New(cfg *config.Config, deps Deps) *Server {
	s := &Server{cfg: cfg, deps: deps, metrics: newMetrics(), coalescer: newCoalescer()}
	s.views = newViews(&s.deps, s.coalescer)
	s.routes = append(s.routeTable(), s.openAPIRoutes()...)
	s.mux = s.build()
	return s
}

// Metrics returns the counters served at /metrics; recovery code records
// its outcomes through it (see Metrics.RecordRecovery).
func (s *Server) Metrics() *Metrics { return s.metrics }

// Routed reports whether a GET of path (including URLPrefix) reaches a
// route: a table route, a load-balancer check or a web UI path.
func (s *Server) Routed(path string) bool {
	return slices.Contains(s.router.(martini.Routes).MethodsFor(path), http.MethodGet)
}

// Routes exposes the route table (docs, tests).
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) build() http.Handler {
	m := martini.New()
	m.Use(recoverPanics)
	m.Use(render.Renderer(render.Options{IndentJSON: false}))
	router := martini.NewRouter()
	s.router = router
	prefix := s.cfg.URLPrefix
	for _, rt := range s.routes {
		rt := rt
		router.Get(prefix+rt.Path, func(params martini.Params, req *http.Request, ren render.Render) {
			s.serve(rt, params, req, ren)
		})
	}
	if ep := s.cfg.StatusEndpoint; ep != "" && !s.hasRoute(ep) {
		rt := Route{Path: ep, Handler: s.health, Doc: "StatusEndpoint: same as /api/health"}
		router.Get(prefix+ep, func(params martini.Params, req *http.Request, ren render.Render) {
			s.serve(rt, params, req, ren)
		})
	}
	s.webRoutes(router, prefix)
	router.NotFound(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusNotFound, Envelope{Code: "ERROR", Message: "no such route: " + strings.ToValidUTF8(req.URL.Path, "?")})
	})
	m.Action(router.Handle)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
			r.URL.Path = strings.TrimRight(r.URL.Path, "/")
		}
		if len(r.URL.RawQuery) > 8192 || len(r.URL.Path) > 8192 {
			writeJSON(w, http.StatusRequestURITooLong, Envelope{Code: "ERROR", Message: "request too long"})
			return
		}
		if err := s.checkOU(r); err != nil {
			writeJSON(w, http.StatusUnauthorized, Envelope{Code: "ERROR", Message: err.Error()})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		m.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a JSON 500 (never a stack trace
// in the response) and logs it once.
func recoverPanics(c martini.Context, w http.ResponseWriter, req *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			log.Errorf("panic serving %s: %v\n%s", req.URL.Path, p, debug.Stack())
			writeJSON(w, http.StatusInternalServerError, Envelope{Code: "ERROR", Message: "internal error"})
		}
	}()
	c.Next()
}

// validText refuses path and query parameters that are not UTF-8: no
// handler can use them (names, owners and reasons are stored as UTF-8
// text), and the backend would refuse them half-way with a 500.
func validText(params martini.Params, req *http.Request) error {
	for name, v := range params {
		if !utf8.ValidString(v) {
			return fmt.Errorf("%w: parameter %s is not valid UTF-8", inst.ErrBadRequest, name)
		}
	}
	for name, vs := range req.URL.Query() {
		for _, v := range vs {
			if !utf8.ValidString(name) || !utf8.ValidString(v) {
				return fmt.Errorf("%w: query parameter %q is not valid UTF-8", inst.ErrBadRequest, strings.ToValidUTF8(name, "?"))
			}
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) hasRoute(path string) bool {
	return slices.ContainsFunc(s.routes, func(rt Route) bool { return rt.Path == path })
}

// basicAuth reports an AuthenticationMethod that asks for a user and
// password (a 401 then says so, for curl -u and browsers).
func (s *Server) basicAuth() bool {
	return s.cfg.AuthenticationMethod == "basic" || s.cfg.AuthenticationMethod == "multi"
}

// public routes answer without authentication, for load balancers.
func (s *Server) public(rt Route) bool {
	return !rt.Mutates && (rt.Path == "/api/health" || rt.Path == "/api/status" || rt.Path == s.cfg.StatusEndpoint)
}

func (s *Server) serve(rt Route, params martini.Params, req *http.Request, ren render.Render) {
	start := time.Now()
	status := s.respond(rt, params, req, ren)
	s.metrics.observeRequest(rt.Path, status, time.Since(start))
}

func (s *Server) respond(rt Route, params martini.Params, req *http.Request, ren render.Render) int {
	var user string
	var err error
	if !s.public(rt) {
		user, err = s.authorize(req, rt.Mutates)
	}
	if err != nil {
		if statusOf(err) == http.StatusUnauthorized && s.basicAuth() {
			ren.Header().Set("WWW-Authenticate", `Basic realm="orchestrator"`)
		}
		ren.JSON(statusOf(err), Envelope{Code: "ERROR", Message: s.redact(err.Error())})
		return statusOf(err)
	}
	if err := validText(params, req); err != nil {
		ren.JSON(statusOf(err), Envelope{Code: "ERROR", Message: err.Error()})
		return statusOf(err)
	}
	details, message, err := s.call(rt, params, req, user)
	if err != nil {
		ren.JSON(statusOf(err), Envelope{Code: "ERROR", Message: s.redact(err.Error()), Details: details})
		return statusOf(err)
	}
	if raw, ok := details.(Raw); ok {
		ren.Header().Set("Content-Type", raw.ContentType)
		ren.Data(http.StatusOK, raw.Body)
		return http.StatusOK
	}
	if rt.Bare {
		ren.JSON(http.StatusOK, details)
		return http.StatusOK
	}
	ren.JSON(http.StatusOK, Envelope{Code: "OK", Message: message, Details: details})
	return http.StatusOK
}

// call runs the route's handler. Reads are coalesced (see coalescer): the
// shared call is not cancelled by one caller going away, only by its
// timeout. Text routes (metrics, profiles) and the header echo always run
// on their own.
func (s *Server) call(rt Route, params martini.Params, req *http.Request, user string) (any, string, error) {
	run := func(parent context.Context) func() (any, string, error) {
		return func() (any, string, error) {
			ctx, cancel := context.WithTimeout(parent, 5*time.Minute)
			defer cancel()
			return rt.Handler(&Request{Ctx: ctx, Params: params, HTTP: req, User: user})
		}
	}
	if rt.Mutates {
		defer s.coalescer.mutated()
	}
	if rt.Mutates || isRawRoute(rt.Path) || rt.Path == "/api/headers" { // headers: the answer depends on more than the URL
		return run(req.Context())()
	}
	return s.coalescer.do(rt.Path+"\x00"+req.URL.RequestURI()+"\x00"+user, run(context.WithoutCancel(req.Context())))
}

// statusOf maps error kinds to HTTP statuses, in one place.
func statusOf(err error) int {
	switch {
	case errors.Is(err, inst.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, inst.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, inst.ErrLocked), errors.Is(err, inst.ErrRefused):
		return http.StatusConflict
	case errors.Is(err, inst.ErrReadOnly), errors.Is(err, errForbidden):
		return http.StatusForbidden
	case errors.Is(err, inst.ErrUnauthorized):
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

func (s *Server) redact(msg string) string {
	for _, secret := range s.cfg.Secrets() {
		msg = strings.ReplaceAll(msg, secret, "********")
	}
	return msg
}

// authorize applies AuthenticationMethod, then, for mutating routes,
// read-only mode and the power-user rules. It returns the user's name.
func (s *Server) authorize(req *http.Request, mutates bool) (string, error) {
	user, power, err := s.authenticate(req)
	if err != nil || !mutates {
		return user, err
	}
	if s.cfg.ReadOnly {
		return user, fmt.Errorf("orchestrator is in read-only mode: %w", inst.ErrReadOnly)
	}
	if !power {
		return user, fmt.Errorf("user %q may not change anything: %w", user, errForbidden)
	}
	return user, nil
}

// authenticate identifies the user and says whether they may mutate.
func (s *Server) authenticate(req *http.Request) (user string, power bool, err error) {
	switch s.cfg.AuthenticationMethod {
	case "basic", "multi":
		user, pass, ok := req.BasicAuth()
		if !ok {
			return "", false, fmt.Errorf("authentication required: %w", inst.ErrUnauthorized)
		}
		if s.cfg.AuthenticationMethod == "multi" && user == "readonly" {
			return user, false, nil
		}
		if !constantTimeEqual(user, s.cfg.HTTPAuthUser) || !constantTimeEqual(pass, s.cfg.HTTPAuthPassword) {
			return "", false, fmt.Errorf("invalid credentials: %w", inst.ErrUnauthorized)
		}
		return user, true, nil
	case "proxy":
		user := req.Header.Get(s.proxyHeader())
		return user, s.isPowerUser(user), nil
	}
	return "", true, nil
}

func (s *Server) proxyHeader() string {
	if s.cfg.AuthUserHeader == "" {
		return "X-Forwarded-User"
	}
	return s.cfg.AuthUserHeader
}

// isPowerUser applies PowerAuthUsers ("*" = anyone) and PowerAuthGroups
// (unix groups of the named user on this host).
func (s *Server) isPowerUser(name string) bool {
	if slices.Contains(s.cfg.PowerAuthUsers, "*") || (name != "" && slices.Contains(s.cfg.PowerAuthUsers, name)) {
		return true
	}
	if name == "" || len(s.cfg.PowerAuthGroups) == 0 {
		return false
	}
	u, err := user.Lookup(name)
	if err != nil {
		return false
	}
	gids, err := u.GroupIds()
	if err != nil {
		return false
	}
	for _, gid := range gids {
		if g, err := user.LookupGroupId(gid); err == nil && slices.Contains(s.cfg.PowerAuthGroups, g.Name) {
			return true
		}
	}
	return false
}

func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// CanMutate reports whether a request may use mutating routes (web UI).
func (s *Server) CanMutate(req *http.Request) bool {
	_, err := s.authorize(req, true)
	return err == nil
}
