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
	"slices"
	"strings"
	"time"

	"github.com/go-martini/martini"
	"github.com/martini-contrib/render"

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

// Server is the HTTP front end.
type Server struct {
	cfg    *config.Config
	deps   Deps
	routes []Route
	mux    http.Handler
}

// New builds the server and its routes.
func New(cfg *config.Config, deps Deps) *Server {
	s := &Server{cfg: cfg, deps: deps}
	s.routes = s.routeTable()
	s.mux = s.build()
	return s
}

// Routes exposes the route table (docs, tests).
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) build() http.Handler {
	m := martini.New()
	m.Use(martini.Recovery())
	m.Use(render.Renderer(render.Options{IndentJSON: false}))
	router := martini.NewRouter()
	prefix := s.cfg.URLPrefix
	for _, rt := range s.routes {
		rt := rt
		router.Get(prefix+rt.Path, func(params martini.Params, req *http.Request, ren render.Render) {
			s.serve(rt, params, req, ren)
		})
	}
	s.webRoutes(router, prefix)
	m.Action(router.Handle)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
			r.URL.Path = strings.TrimRight(r.URL.Path, "/")
		}
		if len(r.URL.RawQuery) > 8192 || len(r.URL.Path) > 8192 {
			writeJSON(w, http.StatusRequestURITooLong, Envelope{Code: "ERROR", Message: "request too long"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		m.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(rt Route, params martini.Params, req *http.Request, ren render.Render) {
	user, err := s.authorize(req, rt.Mutates)
	if err != nil {
		ren.JSON(statusOf(err), Envelope{Code: "ERROR", Message: err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), 5*time.Minute)
	defer cancel()
	details, message, err := rt.Handler(&Request{Ctx: ctx, Params: params, HTTP: req, User: user})
	if err != nil {
		ren.JSON(statusOf(err), Envelope{Code: "ERROR", Message: s.redact(err.Error()), Details: details})
		return
	}
	if rt.Bare {
		ren.JSON(http.StatusOK, details)
		return
	}
	ren.JSON(http.StatusOK, Envelope{Code: "OK", Message: message, Details: details})
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
	case errors.Is(err, inst.ErrReadOnly):
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

// authorize applies AuthenticationMethod and read-only mode.
func (s *Server) authorize(req *http.Request, mutates bool) (string, error) {
	if mutates && s.cfg.ReadOnly {
		return "", fmt.Errorf("orchestrator is in read-only mode: %w", inst.ErrReadOnly)
	}
	switch s.cfg.AuthenticationMethod {
	case "basic", "multi":
		user, pass, ok := req.BasicAuth()
		if !ok {
			return "", fmt.Errorf("authentication required: %w", inst.ErrUnauthorized)
		}
		if s.cfg.AuthenticationMethod == "multi" && user == "readonly" {
			if mutates {
				return user, fmt.Errorf("user readonly may not change anything: %w", inst.ErrUnauthorized)
			}
			return user, nil
		}
		if !constantTimeEqual(user, s.cfg.HTTPAuthUser) || !constantTimeEqual(pass, s.cfg.HTTPAuthPassword) {
			return "", fmt.Errorf("invalid credentials: %w", inst.ErrUnauthorized)
		}
		return user, nil
	case "proxy":
		user := req.Header.Get(s.cfg.AuthUserHeader)
		if mutates && !slices.Contains(s.cfg.PowerAuthUsers, "*") && !slices.Contains(s.cfg.PowerAuthUsers, user) {
			return user, fmt.Errorf("user %q may not change anything: %w", user, inst.ErrUnauthorized)
		}
		return user, nil
	}
	return "", nil
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
