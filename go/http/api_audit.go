package http

// auditRoutes: audit log, downtimed instances.
func (s *Server) auditRoutes() []Route { return nil }
