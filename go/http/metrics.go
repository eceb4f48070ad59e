package http

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"orchestrator/go/metrics"
)

// latencyBuckets are the upper bounds (seconds) of the request latency
// histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics counts what the service does, for /metrics (Prometheus text)
// and /api/debug/metrics (JSON). Discovery counters are read from the
// Discoverer at scrape time; recoveries are recorded by whoever runs them.
type Metrics struct {
	mu         sync.Mutex
	started    time.Time
	requests   map[requestLabel]int64
	buckets    []int64 // cumulative counts per latencyBuckets entry
	count      int64
	sum        float64
	recoveries map[recoveryLabel]int64
}

type requestLabel struct {
	Route  string
	Status int
}

type recoveryLabel struct{ Type, Outcome string }

func newMetrics() *Metrics {
	return &Metrics{started: time.Now(), requests: map[requestLabel]int64{}, buckets: make([]int64, len(latencyBuckets)),
		recoveries: map[recoveryLabel]int64{}}
}

func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestLabel{route, status}]++
	secs := d.Seconds()
	m.count++
	m.sum += secs
	for n, le := range latencyBuckets {
		if secs <= le {
			m.buckets[n]++
		}
	}
}

// RecordRecovery counts one recovery by type (e.g. "MasterRecovery") and
// outcome (e.g. "success", "failure", "blocked").
func (m *Metrics) RecordRecovery(recoveryType, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recoveries[recoveryLabel{recoveryType, outcome}]++
}

// MetricsSnapshot is the JSON form of the counters.
type MetricsSnapshot struct {
	UptimeSeconds      int64
	IsLeader           bool
	InstancesKnown     int64
	HTTPRequests       int64
	HTTPRequestSeconds float64
	RequestsByRoute    map[string]int64
	DiscoveryProbesOK  int64
	DiscoveryProbesBad int64
	DiscoveryLatency   float64 // mean seconds per probe
	Recoveries         map[string]int64
}

// gauges are values read at scrape time from other components.
type gauges struct {
	isLeader               bool
	instances              int64
	probesOK, probesFailed int64
	probeSeconds           float64
	instancesErr           bool
	probeLatency           metrics.Snapshot // every probe's duration
	queryLatency           metrics.Snapshot // backend statements
}

// histogram writes one Prometheus histogram family.
func histogram(b *strings.Builder, name, help string, s metrics.Snapshot) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	for n, le := range metrics.LatencyBounds {
		if n < len(s.Buckets) {
			fmt.Fprintf(b, "%s_bucket{le=\"%g\"} %d\n", name, le, s.Buckets[n])
		}
	}
	fmt.Fprintf(b, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", name, s.Count, name, s.Sum, name, s.Count)
}

func (m *Metrics) snapshot(g gauges) MetricsSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := MetricsSnapshot{UptimeSeconds: int64(time.Since(m.started).Seconds()), IsLeader: g.isLeader, InstancesKnown: g.instances,
		HTTPRequests: m.count, HTTPRequestSeconds: m.sum, RequestsByRoute: map[string]int64{}, Recoveries: map[string]int64{},
		DiscoveryProbesOK: g.probesOK, DiscoveryProbesBad: g.probesFailed}
	if n := g.probesOK + g.probesFailed; n > 0 {
		out.DiscoveryLatency = g.probeSeconds / float64(n)
	}
	for l, n := range m.requests {
		out.RequestsByRoute[l.Route] += n
	}
	for l, n := range m.recoveries {
		out.Recoveries[l.Type+":"+l.Outcome] = n
	}
	return out
}

// prometheus renders the counters in the Prometheus text format.
func (m *Metrics) prometheus(g gauges) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	family := func(name, kind, help string) { fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind) }

	family("orchestrator_http_requests_total", "counter", "API requests by route pattern and status.")
	reqs := make([]requestLabel, 0, len(m.requests))
	for l := range m.requests {
		reqs = append(reqs, l)
	}
	sort.Slice(reqs, func(a, c int) bool {
		if reqs[a].Route != reqs[c].Route {
			return reqs[a].Route < reqs[c].Route
		}
		return reqs[a].Status < reqs[c].Status
	})
	for _, l := range reqs {
		fmt.Fprintf(&b, "orchestrator_http_requests_total{route=%q,code=\"%d\"} %d\n", l.Route, l.Status, m.requests[l])
	}
	family("orchestrator_http_request_duration_seconds", "histogram", "API request latency.")
	for n, le := range latencyBuckets {
		fmt.Fprintf(&b, "orchestrator_http_request_duration_seconds_bucket{le=\"%g\"} %d\n", le, m.buckets[n])
	}
	fmt.Fprintf(&b, "orchestrator_http_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", m.count)
	fmt.Fprintf(&b, "orchestrator_http_request_duration_seconds_sum %g\norchestrator_http_request_duration_seconds_count %d\n", m.sum, m.count)

	family("orchestrator_discovery_probes_total", "counter", "Instance probes by result.")
	fmt.Fprintf(&b, "orchestrator_discovery_probes_total{result=\"ok\"} %d\norchestrator_discovery_probes_total{result=\"failed\"} %d\n", g.probesOK, g.probesFailed)
	histogram(&b, "orchestrator_discovery_probe_duration_seconds", "Duration of instance probes (ok and failed).", g.probeLatency)
	histogram(&b, "orchestrator_backend_query_duration_seconds", "Duration of backend statements.", g.queryLatency)
	if !g.instancesErr {
		family("orchestrator_instances_known", "gauge", "Instances in the backend.")
		fmt.Fprintf(&b, "orchestrator_instances_known %d\n", g.instances)
	}
	family("orchestrator_is_leader", "gauge", "1 when this node is the active (leader) node.")
	fmt.Fprintf(&b, "orchestrator_is_leader %d\n", boolGauge(g.isLeader))

	family("orchestrator_recoveries_total", "counter", "Recoveries by type and outcome.")
	recs := make([]recoveryLabel, 0, len(m.recoveries))
	for l := range m.recoveries {
		recs = append(recs, l)
	}
	sort.Slice(recs, func(a, c int) bool { return recs[a].Type+recs[a].Outcome < recs[c].Type+recs[c].Outcome })
	for _, l := range recs {
		fmt.Fprintf(&b, "orchestrator_recoveries_total{type=%q,outcome=%q} %d\n", l.Type, l.Outcome, m.recoveries[l])
	}
	family("orchestrator_uptime_seconds", "gauge", "Seconds since this server started.")
	fmt.Fprintf(&b, "orchestrator_uptime_seconds %d\n", int64(time.Since(m.started).Seconds()))
	family("go_goroutines", "gauge", "Goroutines that currently exist.")
	fmt.Fprintf(&b, "go_goroutines %d\n", runtime.NumGoroutine())
	return b.String()
}

func boolGauge(b bool) int {
	if b {
		return 1
	}
	return 0
}
