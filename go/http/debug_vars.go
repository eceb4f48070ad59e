package http

import (
	"os"
	"runtime"
)

// DebugVars is the body of /debug/vars: what Go's expvar package
// serves (cmdline, memstats), the number of goroutines, and this server's
// counters (the same as /api/debug/metrics). It is built per request from
// the process and the Server, not from expvar's global registry.
type DebugVars struct {
	Cmdline      []string         `json:"cmdline"`
	Memstats     runtime.MemStats `json:"memstats"`
	Goroutines   int              `json:"goroutines"`
	NumCPU       int              `json:"num_cpu"`
	GoVersion    string           `json:"go_version"`
	Orchestrator MetricsSnapshot  `json:"orchestrator"`
}

func (s *Server) debugVars(r *Request) (any, string, error) {
	v := DebugVars{Cmdline: os.Args, Goroutines: runtime.NumGoroutine(), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
		Orchestrator: s.metrics.snapshot(s.gauges(r))}
	runtime.ReadMemStats(&v.Memstats)
	return v, "", nil
}
