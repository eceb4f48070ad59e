package http

// routeTable assembles every API route from the per-resource tables.
func (s *Server) routeTable() []Route {
	var all []Route
	for _, group := range [][]Route{s.statusRoutes(), s.instanceRoutes(), s.clusterRoutes(), s.topologyRoutes(),
		s.auditRoutes(), s.recoveryRoutes(), s.miscRoutes(), s.uiRoutes(), s.unsupportedRoutes(), s.maintenanceRoutes(), s.profileRoutes(), s.leaderRoutes(), s.metricsRoutes()} {
		all = append(all, group...)
	}
	return all
}
