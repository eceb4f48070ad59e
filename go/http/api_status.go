package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
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
		{Path: "/api/health", Public: true, Handler: s.health, Doc: "node health: backend reachable, leader, available nodes, version, uptime"},
		{Path: "/api/status", Public: true, Handler: s.health, Doc: "same as /api/health"},
		{Path: "/api/reload-configuration", Mutates: true, Handler: s.reloadConfiguration, Query: []Param{q("config", "an extra .json file on this node, read after the service's own")},
			Doc: "read the configuration files again and apply the keys that reload (config.Reloadable); Details says what was applied and what needs a restart",
			Example: envelopeExample("Config reloaded", `{"Files":["/etc/orchestrator.conf.json"],"Applied":["ReadOnly","RecoverMasterClusterFilters"],`+
				`"NeedRestart":["ListenAddress"],"Refused":null}`)},
		{Path: "/api/reelect", Mutates: true, Handler: s.reelect, Doc: "ask the leader to step down so that a new election happens (within about a second)"},
	}
}

// reloadConfiguration reloads this node's configuration (each node reloads
// its own: ask every node, or send each a SIGHUP).
func (s *Server) reloadConfiguration(r *Request) (any, string, error) {
	if s.deps.Reloader == nil {
		return nil, "", fmt.Errorf("%w: this process does not reload its configuration", inst.ErrNotFound)
	}
	report, err := s.deps.Reloader.Reload(r.Query("config"))
	if err != nil {
		return nil, "", err
	}
	return report, "Config reloaded", nil
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
		Started: s.deps.Node.Started(), IsActiveNode: s.deps.Node.IsLeader(), DBBackend: s.conf().BackendDB, AvailableNodes: []backend.Node{},
		UptimeSeconds: int64(s.deps.Node.Uptime().Seconds())}
	if err := s.deps.Store.Ping(ctx); err != nil {
		h.Error = s.redact(err.Error())
		return h
	}
	h.Healthy = true
	if n, err := s.deps.Store.ActiveNode(ctx); err == nil {
		h.ActiveNode = n
	}
	if nodes, err := s.deps.Store.AvailableNodes(ctx, 2*s.conf().HealthPollSeconds+1); err == nil {
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

// leaderRoutes are the load-balancer checks: bare JSON strings with a
// status code of their own, answered without authentication.
func (s *Server) leaderRoutes() []Route {
	check := func(path string, h Handler, doc string) Route {
		return Route{Path: path, Public: true, Bare: true, Handler: h, Doc: doc}
	}
	return []Route{
		check("/api/lb-check", alwaysOK, "always 200 \"OK\" while the process serves HTTP"),
		check("/api/_ping", alwaysOK, "always 200 \"OK\" (same as lb-check)"),
		check("/health/live", alwaysOK, "liveness: always 200 \"OK\""),
		check("/api/leader-check", s.leaderCheck, "200 \"OK\" on the leader, 404 \"Not leader\" elsewhere"),
		check("/api/leader-check/:errorStatusCode", s.leaderCheck, "same, answering :errorStatusCode (100-599) instead of 404 on other nodes"),
		check("/api/routed-leader-check", s.leaderCheck, "same as leader-check (no raft: no routing to do)"),
		check("/health/leader", s.leaderCheck, "same as leader-check"),
		check("/health/ready", s.ready, "readiness: 200 \"OK\" when the backend answers and its schema is current, else 503 with the reason"),
	}
}

func alwaysOK(*Request) (any, string, error) { return Status{Code: http.StatusOK, Body: "OK"}, "", nil }

func (s *Server) leaderCheck(r *Request) (any, string, error) {
	if s.deps.Node.IsLeader() {
		return Status{Code: http.StatusOK, Body: "OK"}, "", nil
	}
	code := http.StatusNotFound
	if c := r.Param("errorStatusCode"); c != "" {
		if n, err := parseStatus(c); err == nil {
			code = n
		}
	}
	return Status{Code: code, Body: "Not leader"}, "", nil
}

func (s *Server) ready(r *Request) (any, string, error) {
	if err := s.deps.Store.Ping(r.Ctx); err != nil {
		return Status{Code: http.StatusServiceUnavailable, Body: "backend unreachable"}, "", nil
	}
	if v, err := s.deps.Store.DeployedVersion(r.Ctx); err != nil || v < backend.SchemaVersion() {
		return Status{Code: http.StatusServiceUnavailable, Body: "schema not current"}, "", nil
	}
	return Status{Code: http.StatusOK, Body: "OK"}, "", nil
}

func parseStatus(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, errUnhealthy{"bad status"}
	}
	return n, nil
}
