package faulttest

import (
	"strings"

	"orchestrator/go/config"
	orchttp "orchestrator/go/http"
)

// routeTable is the service's route table (paths and flags only).
func routeTable() []orchttp.Route {
	return orchttp.New(config.Defaults(), orchttp.Deps{}).Routes()
}

// samplePath fills a route's parameters with values naming nothing that
// exists (host nosuch.invalid, port 3306, other parameters "x"), so that
// an authorised request reaches the handler and changes nothing.
func samplePath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		name, ok := strings.CutPrefix(p, ":")
		if !ok {
			continue
		}
		switch lower := strings.ToLower(name); {
		case strings.HasSuffix(lower, "host"):
			parts[i] = "nosuch.invalid"
		case strings.HasSuffix(lower, "port"):
			parts[i] = "3306"
		default:
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}
