package http

import (
	"fmt"
	"strconv"

	"orchestrator/go/inst"
)

// auditRoutes: audit log, downtimed instances. All bare JSON arrays.
func (s *Server) auditRoutes() []Route {
	read := func(path, doc string, h Handler) Route { return Route{Path: path, Bare: true, Handler: h, Doc: doc} }
	return []Route{
		read("/api/audit", "the newest audit rows (one page)", s.auditLog),
		read("/api/audit/:page", "a page of audit rows, newest first", s.auditLog),
		read("/api/audit/instance/:host/:port", "the newest audit rows of one instance", s.auditLog),
		read("/api/audit/instance/:host/:port/:page", "a page of audit rows of one instance", s.auditLog),
		read("/api/downtimed", "downtimed instances", s.downtimed),
		read("/api/downtimed/:clusterHint", "downtimed instances of a cluster", s.downtimed),
	}
}

func (s *Server) auditLog(r *Request) (any, string, error) {
	page := 0
	if p := r.Param("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("%w: invalid page %q", inst.ErrBadRequest, p)
		}
		page = n
	}
	var key *inst.InstanceKey
	if r.Param("host") != "" {
		k, err := requestKey(r)
		if err != nil {
			return nil, "", err
		}
		key = &k
	}
	list, err := s.deps.Store.ReadAudit(r.Ctx, page, key)
	return list, "", err
}

func (s *Server) downtimed(r *Request) (any, string, error) {
	list, err := s.deps.Reader.Downtimed(r.Ctx, r.Param("clusterHint"))
	return list, "", err
}
