package http

import (
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

// Deps are the components handlers call. app constructs them.
type Deps struct {
	Store      *backend.Store
	Reader     *topology.Reader
	Discoverer *discovery.Discoverer
	Operator   *topology.Operator
	Recoverer  *recovery.Recoverer
	Node       NodeInfo
	Reloader   Reloader // nil: the process does not reload its configuration
}

// Reloader reloads the service's configuration (app's reloader): the
// files it started from, plus extra when given.
type Reloader interface {
	Reload(extra string) (config.ReloadReport, error)
}

// NodeInfo answers questions about this service node.
type NodeInfo interface {
	IsLeader() bool
	Hostname() string
	Token() string
	AppVersion() string
	Started() string
	Uptime() time.Duration
}
