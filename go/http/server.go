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
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-martini/martini"
	"github.com/martini-contrib/render"
	"github.com/outbrain/golib/log"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Server is the HTTP front end.
type Server struct {
	cfg       atomic.Pointer[config.Config] // replaced whole by ApplyConfig
	deps      Deps
	routes    []Route
	router    martini.Router
	mux       http.Handler
	metrics   *Metrics
	coalescer *coalescer
	views     *views  // in-memory answers of the hottest reads (snapshot.go)
	limits    *limits // the cap on requests served at once (limits.go)
}

// New builds the server and its routes.
func New(cfg *config.Config, deps Deps) *Server {
	s := &Server{deps: deps, metrics: newMetrics(), coalescer: newCoalescer()}
	s.cfg.Store(cfg)
	s.views = newViews(&s.deps, s.coalescer)
	s.limits = newLimits(cfg.HTTPMaxConcurrentRequests)
	s.routes = append(s.routeTable(), s.openAPIRoutes()...)
	if ep := cfg.StatusEndpoint; ep != "" && !s.hasRoute(ep) {
		s.routes = append(s.routes, Route{Path: ep, Public: true, Handler: s.health, Doc: "StatusEndpoint: same as /api/health"})
	}
	s.mux = s.build()
	return s
}

// conf is the configuration the server runs with now.
func (s *Server) conf() *config.Config { return s.cfg.Load() }

// ApplyConfig takes a reloaded configuration: ReadOnly, the
// authentication keys (AuthenticationMethod, HTTPAuthUser,
// HTTPAuthPassword, AuthUserHeader, PowerAuthUsers, PowerAuthGroups),
// WebMessage and the recovery filters it reports apply from the next
// request. The routes, URLPrefix, StatusEndpoint, TLS and the listen
// address were set at start: the reloader hands it a configuration
// where they are unchanged. A configuration that names basic or multi
// authentication without both credentials is refused.
func (s *Server) ApplyConfig(cfg *config.Config) error {
	if (cfg.AuthenticationMethod == "basic" || cfg.AuthenticationMethod == "multi") && (cfg.HTTPAuthUser == "" || cfg.HTTPAuthPassword == "") {
		return fmt.Errorf("http: AuthenticationMethod %q needs HTTPAuthUser and HTTPAuthPassword", cfg.AuthenticationMethod)
	}
	s.cfg.Store(cfg)
	return nil
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
	prefix := s.conf().URLPrefix
	for _, rt := range s.routes {
		rt := rt
		router.Get(prefix+rt.Path, func(params martini.Params, req *http.Request, ren render.Render) {
			s.serve(rt, params, req, ren)
		})
	}
	s.uiWebRoutes(router, prefix)
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
		m.ServeHTTP(w, withRawWriter(r, w))
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

// public routes answer without authentication, for load balancers.
func (s *Server) public(rt Route) bool { return rt.Public && !rt.Mutates }

func (s *Server) serve(rt Route, params martini.Params, req *http.Request, ren render.Render) {
	start := time.Now()
	status := s.respond(rt, params, req, ren)
	s.metrics.observeRequest(rt.Path, status, time.Since(start))
}

func (s *Server) respond(rt Route, params martini.Params, req *http.Request, ren render.Render) int {
	if !s.public(rt) {
		release, ok := s.limits.admit()
		if !ok {
			return s.fail(ren, rt, req, fmt.Errorf("%w: %d requests are being served; try again shortly", errBusy, s.limits.cap()), nil)
		}
		defer release()
	}
	s.limits.extendDeadlines(req, rt.timeout())
	var user string
	var err error
	if !s.public(rt) {
		user, err = s.authorize(req, rt.mutates(req))
	}
	if err != nil {
		if statusOf(err) == http.StatusUnauthorized && s.basicAuth() {
			ren.Header().Set("WWW-Authenticate", `Basic realm="orchestrator"`)
		}
		return s.fail(ren, rt, req, err, nil)
	}
	if err := validText(params, req); err != nil {
		return s.fail(ren, rt, req, err, nil)
	}
	details, message, err := s.call(rt, params, req, user)
	if err != nil {
		return s.fail(ren, rt, req, err, details)
	}
	switch v := details.(type) {
	case Raw:
		ren.Header().Set("Content-Type", v.ContentType)
		ren.Data(http.StatusOK, v.Body)
		return http.StatusOK
	case Status:
		ren.JSON(v.Code, v.Body)
		return v.Code
	}
	if rt.Bare {
		ren.JSON(http.StatusOK, details)
		return http.StatusOK
	}
	ren.JSON(http.StatusOK, Envelope{Code: "OK", Message: message, Details: details})
	return http.StatusOK
}

// fail renders an error in the envelope with the status of its kind. The
// wrapper is where a request gives up, so this is where a failure that is
// not the caller's (5xx) is logged, once.
func (s *Server) fail(ren render.Render, rt Route, req *http.Request, err error, details any) int {
	status := statusOf(err)
	msg := s.redact(err.Error())
	switch {
	case status == http.StatusBadGateway:
		log.Warningf("%s: %s", strings.ToValidUTF8(req.URL.Path, "?"), msg)
	case status >= 500 && status != http.StatusServiceUnavailable:
		log.Errorf("%s: %s", strings.ToValidUTF8(req.URL.Path, "?"), msg)
	}
	ren.JSON(status, Envelope{Code: "ERROR", Message: msg, Details: details})
	return status
}

// call runs the route's handler within its timeout. Reads are coalesced
// (see coalescer): the shared call is not cancelled by one caller going
// away, only by its timeout. Text routes (metrics, profiles) and the
// header echo always run on their own.
func (s *Server) call(rt Route, params martini.Params, req *http.Request, user string) (any, string, error) {
	run := func(parent context.Context) func() (any, string, error) {
		return func() (any, string, error) {
			ctx, cancel := context.WithTimeout(parent, rt.timeout())
			defer cancel()
			return rt.Handler(&Request{Ctx: ctx, Params: params, HTTP: req, User: user, route: rt})
		}
	}
	mutates := rt.mutates(req)
	if mutates {
		defer s.coalescer.mutated()
	}
	if mutates || isRawRoute(rt.Path) || rt.Path == "/api/headers" { // headers: the answer depends on more than the URL
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
	case errors.Is(err, inst.ErrServerFailed):
		return http.StatusBadGateway
	case errors.Is(err, errBusy):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) redact(msg string) string {
	for _, secret := range s.conf().Secrets() {
		msg = strings.ReplaceAll(msg, secret, "********")
	}
	return msg
}
