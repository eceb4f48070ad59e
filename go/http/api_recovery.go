package http

// recoveryRoutes: replication analysis, recoveries, acknowledgements.
func (s *Server) recoveryRoutes() []Route { return nil }
