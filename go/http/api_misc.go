package http

// miscRoutes: the remaining reference endpoints (tags, candidates, hostname
// resolution, metrics, ...).
func (s *Server) miscRoutes() []Route { return nil }
