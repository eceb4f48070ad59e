package http

import (
	"fmt"

	"orchestrator/go/inst"
)

// unsupportedRoutes answer reference endpoints of features this
// orchestrator does not have (raft, legacy promotions) with a clear 4xx
// JSON error, so that tools calling them get a reason instead of a 404
// page.
func (s *Server) unsupportedRoutes() []Route {
	raft := unsupported("raft is not used: leadership is a heartbeat row in the shared backend (see /api/status, /api/leader-check)")
	routes := []Route{
		{Path: "/api/make-master/:host/:port", Mutates: true, Handler: unsupported("make-master is not supported: use graceful-master-takeover"), Doc: "not supported: use graceful-master-takeover"},
		{Path: "/api/make-local-master/:host/:port", Mutates: true, Handler: unsupported("make-local-master is not supported: use take-master or regroup-replicas"), Doc: "not supported: use take-master or regroup-replicas"},
	}
	for _, p := range []string{"/api/raft-state", "/api/raft-leader", "/api/raft-health", "/api/raft-yield-hint/:hint", "/api/raft-yield/:node",
		"/api/raft-peers", "/api/raft-status", "/api/raft-snapshot", "/api/raft-add-peer/:addr", "/api/raft-remove-peer/:addr",
		"/api/raft-follower-health-report/:authenticationToken/:raftBind/:raftAdvertise"} {
		routes = append(routes, Route{Path: p, Handler: raft, Doc: "not supported: no raft"})
	}
	return routes
}

func unsupported(why string) Handler {
	return func(*Request) (any, string, error) {
		return nil, "", fmt.Errorf("%w: %s", inst.ErrNotFound, why)
	}
}

// maintenanceRoutes: the remaining maintenance and query endpoints.
func (s *Server) maintenanceRoutes() []Route {
	return []Route{
		{Path: "/api/end-maintenance/:maintenanceKey", Mutates: true, Handler: s.endMaintenanceByID, Doc: "end one maintenance lock by its id"},
		{Path: "/api/kill-query/:host/:port/:process", Mutates: true, Handler: s.killQuery,
			Example: envelopeExample("Query killed on 127.0.0.1:24102: connection 42", exampleKey), Doc: "KILL QUERY of one connection id"},
	}
}

func (s *Server) endMaintenanceByID(r *Request) (any, string, error) {
	id, err := idParam(r, "maintenanceKey")
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Operator.EndMaintenanceByID(r.Ctx, id); err != nil {
		return nil, "", err
	}
	return id, fmt.Sprintf("Maintenance ended: %d", id), nil
}

func (s *Server) killQuery(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	id, err := idParam(r, "process")
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Operator.KillQuery(r.Ctx, key, id); err != nil {
		return nil, "", err
	}
	return key, fmt.Sprintf("Query killed on %s: connection %d", key, id), nil
}
