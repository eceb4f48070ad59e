package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/outbrain/golib/log"

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
		{Path: "/api/grab-election", Mutates: true, Handler: s.grabElection,
			Doc: "make this node the leader now: the current leader is asked to hand over, stops acting, then gives this node the leader row; answers once this node leads"},
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

// grabElection makes this node the leader, safely: the current leader
// must have stopped acting before this node acts. A missing or expired
// leader row (its holder's fencing window has passed) is taken at once;
// a live leader is asked to hand over (backend.RequestHandover): at its
// next election tick it finds its row marked, stops counting itself
// leader (its leader work is fenced from then on), and gives the row to
// this node, whose next tick refreshes it. The answer comes once this
// node leads, or with a 409 when it did not within the expiry and a few
// ticks (the leader's row expired and another node took it meanwhile).
func (s *Server) grabElection(r *Request) (any, string, error) {
	n := s.deps.Node
	if n.IsLeader() {
		return n.Hostname(), "This node is the leader", nil
	}
	cfg := s.conf()
	won, err := s.deps.Store.AttemptElection(r.Ctx, n.Hostname(), n.Token(), int(cfg.ActiveNodeExpire().Seconds()))
	if err != nil {
		return nil, "", fmt.Errorf("grab election: %w", err)
	}
	if !won {
		asked, err := s.deps.Store.RequestHandover(r.Ctx, n.Hostname(), n.Token())
		if err != nil && !errors.Is(err, backend.ErrNoRows) { // no row now: the next tick elects, maybe this node
			return nil, "", err
		}
		if err == nil {
			log.Infof("grab-election: asked %s (token %s) to hand leadership over to this node", asked.Hostname, asked.Token)
		}
	}
	within := cfg.ActiveNodeExpire() + 3*cfg.HealthPoll()
	if err := waitFor(r.Ctx, within, n.IsLeader); err != nil {
		return nil, "", fmt.Errorf("%w: grab election: this node did not become the leader within %s (%v); see /api/status", inst.ErrRefused, within, err)
	}
	return n.Hostname(), "This node is now the leader", nil
}

// waitFor polls cond every 20 ms until it holds, within passes or ctx ends.
func waitFor(ctx context.Context, within time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
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
