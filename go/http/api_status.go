package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-martini/martini"
	"github.com/martini-contrib/render"

	"orchestrator/go/backend"
)

// HealthStatus is the body of /api/health and /api/status.
type HealthStatus struct {
	Healthy        bool
	Hostname       string
	Token          string
	IsActiveNode   bool
	ActiveNode     backend.Node
	Error          string
	AvailableNodes []backend.Node
	AppVersion     string
	Started        string
	DBBackend      string
	UptimeSeconds  int64 // ours: seconds since this node started
}

func (s *Server) statusRoutes() []Route {
	return []Route{
		{Path: "/api/health", Handler: s.health, Doc: "node health: backend reachable, leader, available nodes, version, uptime"},
		{Path: "/api/status", Handler: s.health, Doc: "same as /api/health"},
		{Path: "/api/reelect", Mutates: true, Handler: s.reelect, Doc: "ask the leader to step down so that a new election happens (within about a second)"},
	}
}

// reelect asks the current leader to step down. The leader stops acting
// at its next tick and frees the row; it does not take part in the
// election that follows.
func (s *Server) reelect(r *Request) (any, string, error) {
	n, err := s.deps.Store.Reelect(r.Ctx)
	if errors.Is(err, backend.ErrNoRows) {
		return nil, "No active leader; the next election tick elects one", nil
	}
	if err != nil {
		return nil, "", err
	}
	return n, fmt.Sprintf("Asked %s (token %s) to step down; a new leader is elected", n.Hostname, n.Token), nil
}

func (s *Server) healthStatus(ctx context.Context) HealthStatus {
	h := HealthStatus{Hostname: s.deps.Node.Hostname(), Token: s.deps.Node.Token(), AppVersion: s.deps.Node.AppVersion(),
		Started: s.deps.Node.Started(), IsActiveNode: s.deps.Node.IsLeader(), DBBackend: s.cfg.BackendDB, AvailableNodes: []backend.Node{},
		UptimeSeconds: int64(s.deps.Node.Uptime().Seconds())}
	if err := s.deps.Store.Ping(ctx); err != nil {
		h.Error = s.redact(err.Error())
		return h
	}
	h.Healthy = true
	if n, err := s.deps.Store.ActiveNode(ctx); err == nil {
		h.ActiveNode = n
	}
	if nodes, err := s.deps.Store.AvailableNodes(ctx, 2*s.cfg.HealthPollSeconds+1); err == nil {
		h.AvailableNodes = nodes
	}
	return h
}

func (s *Server) health(r *Request) (any, string, error) {
	h := s.healthStatus(r.Ctx)
	if !h.Healthy {
		return h, "", errUnhealthy{h.Error}
	}
	return h, "Application node is healthy", nil
}

type errUnhealthy struct{ msg string }

func (e errUnhealthy) Error() string { return "Application node is unhealthy: " + e.msg }

// leaderRoutes are plain-status checks for load balancers.
func (s *Server) leaderRoutes(router martini.Router, prefix string) {
	ok := func(ren render.Render) { ren.JSON(http.StatusOK, "OK") }
	router.Get(prefix+"/api/lb-check", ok)
	router.Get(prefix+"/api/_ping", ok)
	router.Get(prefix+"/health/live", ok)
	leader := func(params martini.Params, ren render.Render) {
		if s.deps.Node.IsLeader() {
			ren.JSON(http.StatusOK, "OK")
			return
		}
		code := http.StatusNotFound
		if c := params["errorStatusCode"]; c != "" {
			if n, err := parseStatus(c); err == nil {
				code = n
			}
		}
		ren.JSON(code, "Not leader")
	}
	router.Get(prefix+"/api/leader-check", leader)
	router.Get(prefix+"/api/leader-check/:errorStatusCode", leader)
	router.Get(prefix+"/api/routed-leader-check", leader)
	router.Get(prefix+"/health/leader", leader)
	router.Get(prefix+"/health/ready", func(req *http.Request, ren render.Render) {
		if err := s.deps.Store.Ping(req.Context()); err != nil {
			ren.JSON(http.StatusServiceUnavailable, "backend unreachable")
			return
		}
		if v, err := s.deps.Store.DeployedVersion(req.Context()); err != nil || v < backend.SchemaVersion() {
			ren.JSON(http.StatusServiceUnavailable, "schema not current")
			return
		}
		ren.JSON(http.StatusOK, "OK")
	})
}

func parseStatus(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, errUnhealthy{"bad status"}
	}
	return n, nil
}
