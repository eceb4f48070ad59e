package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ControlHandler is the simulator's control endpoint (serve it on
// loopback):
//
//	GET  /servers                                   every server's state
//	GET  /masters                                   the top masters' addresses
//	GET  /stats                                     statements answered
//	POST /fault/{fault}?instance=host:port[&seconds=N]
//
// where fault is kill, revive, hang, unhang, lag (seconds=N), stop-io,
// stop-sql or start-replica. Errors are {"error": "..."} with status 400
// or 404.
func (sim *Simulator) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /servers", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, sim.fleet.Servers())
	})
	mux.HandleFunc("GET /masters", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, sim.fleet.Masters())
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"servers": sim.fleet.Len(), "queries": sim.Queries()})
	})
	mux.HandleFunc("POST /fault/{fault}", func(w http.ResponseWriter, r *http.Request) {
		addr := r.URL.Query().Get("instance")
		if sim.fleet.Lookup(addr) == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no simulated server " + strconv.Quote(addr)})
			return
		}
		var seconds int64
		if v := r.URL.Query().Get("seconds"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "seconds: not a number: " + strconv.Quote(v)})
				return
			}
			seconds = n
		}
		if err := sim.fleet.Apply(addr, Fault(r.PathValue("fault")), seconds); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"instance": addr, "fault": r.PathValue("fault")})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
