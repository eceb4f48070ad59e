package http

import (
	"fmt"
	"strconv"
	"time"

	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/metrics"
)

// metricsRoutes serve upstream's internal timing metrics over the last
// :seconds, from the samples the components keep in memory (bounded
// rings): probes (discovery), the poll queue, backend statements, and the
// batch writes of probe results. Field names are upstream's.
func (s *Server) metricsRoutes() []Route {
	route := func(path, doc string, h Handler) Route {
		return Route{Path: path, Bare: true, Handler: h, Doc: doc}
	}
	return []Route{
		route("/api/discovery-metrics-raw/:seconds", "every probe of the last :seconds (at most DiscoveryCollectionRetentionSeconds): server, latencies, error", s.discoveryMetricsRaw),
		route("/api/discovery-metrics-aggregated/:seconds", "probes of the last :seconds aggregated: counts, distinct servers, mean/max/median/95th percentile latencies", s.discoveryMetricsAggregated),
		route("/api/discovery-queue-metrics-raw/:seconds", "the poll queue (probes running, keys waiting), one sample a second while this node polls, the newest :seconds", s.queueMetricsRaw),
		route("/api/discovery-queue-metrics-aggregated/:seconds", "the poll queue samples of the newest :seconds aggregated: min/mean/median/95th percentile/max", s.queueMetricsAggregated),
		route("/api/backend-query-metrics-raw/:seconds", "every backend statement of the last :seconds with its latency and error", s.backendMetricsRaw),
		route("/api/backend-query-metrics-aggregated/:seconds", "backend statements of the last :seconds aggregated: count, max/mean/median/95th percentile latency", s.backendMetricsAggregated),
		route("/api/write-buffer-metrics-raw/:seconds", "every batch write of probe results in the last :seconds: wait, flush time, rows", s.writeMetricsRaw),
		route("/api/write-buffer-metrics-aggregated/:seconds", "batch writes of the last :seconds aggregated: rows, max/mean/median/95th percentile wait and flush", s.writeMetricsAggregated),
	}
}

// maxMetricSeconds bounds :seconds (one day).
const maxMetricSeconds = 86400

// metricSeconds parses :seconds.
func metricSeconds(r *Request) (int, error) {
	n, err := strconv.Atoi(r.Param("seconds"))
	if err != nil || n <= 0 || n > maxMetricSeconds {
		return 0, fmt.Errorf("%w: seconds must be a number from 1 to %d, got %q", inst.ErrBadRequest, maxMetricSeconds, r.Param("seconds"))
	}
	return n, nil
}

// metricsSince is the start of the window: :seconds ago, but no further
// back than DiscoveryCollectionRetentionSeconds.
func (s *Server) metricsSince(r *Request) (time.Time, error) {
	n, err := metricSeconds(r)
	if err != nil {
		return time.Time{}, err
	}
	window := time.Duration(n) * time.Second
	if keep := time.Duration(s.conf().DiscoveryCollectionRetentionSeconds) * time.Second; keep > 0 && window > keep {
		window = keep
	}
	return time.Now().Add(-window), nil
}

func errText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DiscoveryMetric is one probe, as upstream's discovery.MetricJSON.
type DiscoveryMetric struct {
	Timestamp              time.Time
	Hostname               string
	Port                   int
	BackendLatencySeconds  float64
	InstanceLatencySeconds float64
	TotalLatencySeconds    float64
	Err                    *string // null when the probe succeeded
}

func (s *Server) probeSamples(r *Request) ([]discovery.ProbeSample, error) {
	since, err := s.metricsSince(r)
	if err != nil || s.deps.Discoverer == nil {
		return []discovery.ProbeSample{}, err
	}
	return s.deps.Discoverer.ProbeSamples(since), nil
}

func (s *Server) discoveryMetricsRaw(r *Request) (any, string, error) {
	list, err := s.probeSamples(r)
	if err != nil {
		return nil, "", err
	}
	out := make([]DiscoveryMetric, 0, len(list))
	for _, p := range list {
		out = append(out, DiscoveryMetric{Timestamp: p.At, Hostname: p.Key.Hostname, Port: p.Key.Port,
			BackendLatencySeconds: p.BackendLatency.Seconds(), InstanceLatencySeconds: p.InstanceLatency.Seconds(),
			TotalLatencySeconds: (p.BackendLatency + p.InstanceLatency).Seconds(), Err: errText(p.Err)})
	}
	return out, "", nil
}

// AggregatedDiscoveryMetrics are upstream's aggregated probe metrics.
// Unlike upstream's, SuccessfulDiscoveries counts the probes that
// succeeded (upstream: all) and FailedDiscoveries those that failed.
type AggregatedDiscoveryMetrics struct {
	FirstSeen, LastSeen                                                                  time.Time
	DistinctInstanceKeys, DistinctFailedInstanceKeys                                     int
	FailedDiscoveries, SuccessfulDiscoveries                                             uint64
	PollAvgTotalSeconds, PollAvgBackendSeconds, PollAvgInstanceSeconds                   float64
	PollFailedAvgTotalSeconds, PollFailedAvgBackendSeconds, PollFailedAvgInstanceSeconds float64
	PollMaxTotalSeconds, PollMaxBackendSeconds, PollMaxInstanceSeconds                   float64
	PollFailedMaxTotalSeconds, PollFailedMaxBackendSeconds, PollFailedMaxInstanceSeconds float64
	PollMedianTotalSeconds, PollMedianBackendSeconds, PollMedianInstanceSeconds          float64
	PollFailedMedianTotalSeconds, PollFailedMedianBackendSeconds                         float64
	PollFailedMedianInstanceSeconds                                                      float64
	PollQ95TotalSeconds, PollQ95BackendSeconds, PollQ95InstanceSeconds                   float64
	PollFailedQ95TotalSeconds, PollFailedQ95BackendSeconds, PollFailedQ95InstanceSeconds float64
}

// latencies are the total, backend and instance seconds of some probes.
type latencies struct{ total, backend, instance []float64 }

func (l *latencies) add(p discovery.ProbeSample) {
	l.total = append(l.total, (p.BackendLatency + p.InstanceLatency).Seconds())
	l.backend = append(l.backend, p.BackendLatency.Seconds())
	l.instance = append(l.instance, p.InstanceLatency.Seconds())
}

func (l latencies) summaries() (total, backend, instance metrics.Summary) {
	return metrics.Summarize(l.total), metrics.Summarize(l.backend), metrics.Summarize(l.instance)
}

// aggregateProbes computes AggregatedDiscoveryMetrics of some probes.
func aggregateProbes(list []discovery.ProbeSample) AggregatedDiscoveryMetrics {
	var a AggregatedDiscoveryMetrics
	var all, failed latencies
	keys, failedKeys := map[inst.InstanceKey]bool{}, map[inst.InstanceKey]bool{}
	for _, p := range list {
		if a.FirstSeen.IsZero() || p.At.Before(a.FirstSeen) {
			a.FirstSeen = p.At
		}
		if p.At.After(a.LastSeen) {
			a.LastSeen = p.At
		}
		all.add(p)
		if p.Err == "" {
			keys[p.Key] = true
			a.SuccessfulDiscoveries++
			continue
		}
		failedKeys[p.Key] = true
		a.FailedDiscoveries++
		failed.add(p)
	}
	a.DistinctInstanceKeys, a.DistinctFailedInstanceKeys = len(keys), len(failedKeys)
	t, b, i := all.summaries()
	a.PollAvgTotalSeconds, a.PollAvgBackendSeconds, a.PollAvgInstanceSeconds = t.Mean, b.Mean, i.Mean
	a.PollMaxTotalSeconds, a.PollMaxBackendSeconds, a.PollMaxInstanceSeconds = t.Max, b.Max, i.Max
	a.PollMedianTotalSeconds, a.PollMedianBackendSeconds, a.PollMedianInstanceSeconds = t.Median, b.Median, i.Median
	a.PollQ95TotalSeconds, a.PollQ95BackendSeconds, a.PollQ95InstanceSeconds = t.P95, b.P95, i.P95
	t, b, i = failed.summaries()
	a.PollFailedAvgTotalSeconds, a.PollFailedAvgBackendSeconds, a.PollFailedAvgInstanceSeconds = t.Mean, b.Mean, i.Mean
	a.PollFailedMaxTotalSeconds, a.PollFailedMaxBackendSeconds, a.PollFailedMaxInstanceSeconds = t.Max, b.Max, i.Max
	a.PollFailedMedianTotalSeconds, a.PollFailedMedianBackendSeconds, a.PollFailedMedianInstanceSeconds = t.Median, b.Median, i.Median
	a.PollFailedQ95TotalSeconds, a.PollFailedQ95BackendSeconds, a.PollFailedQ95InstanceSeconds = t.P95, b.P95, i.P95
	return a
}

func (s *Server) discoveryMetricsAggregated(r *Request) (any, string, error) {
	list, err := s.probeSamples(r)
	if err != nil {
		return nil, "", err
	}
	return aggregateProbes(list), "", nil
}

// QueueMetric is one sample of the poll queue, as upstream's.
type QueueMetric struct {
	Active int
	Queued int
}

func (s *Server) queueSamples(r *Request) ([]discovery.QueueSample, error) {
	n, err := metricSeconds(r)
	if err != nil || s.deps.Discoverer == nil {
		return []discovery.QueueSample{}, err
	}
	return s.deps.Discoverer.QueueSamples(n), nil
}

func (s *Server) queueMetricsRaw(r *Request) (any, string, error) {
	list, err := s.queueSamples(r)
	if err != nil {
		return nil, "", err
	}
	out := make([]QueueMetric, 0, len(list))
	for _, q := range list {
		out = append(out, QueueMetric{Active: q.Active, Queued: q.Queued})
	}
	return out, "", nil
}

// AggregatedQueueMetrics are upstream's aggregated queue metrics.
type AggregatedQueueMetrics struct {
	ActiveMinEntries, ActiveMeanEntries, ActiveMedianEntries, ActiveP95Entries, ActiveMaxEntries float64
	QueuedMinEntries, QueuedMeanEntries, QueuedMedianEntries, QueuedP95Entries, QueuedMaxEntries float64
}

func aggregateQueue(list []discovery.QueueSample) AggregatedQueueMetrics {
	var active, queued []float64
	for _, q := range list {
		active, queued = append(active, float64(q.Active)), append(queued, float64(q.Queued))
	}
	a, q := metrics.Summarize(active), metrics.Summarize(queued)
	return AggregatedQueueMetrics{ActiveMinEntries: a.Min, ActiveMeanEntries: a.Mean, ActiveMedianEntries: a.Median, ActiveP95Entries: a.P95,
		ActiveMaxEntries: a.Max, QueuedMinEntries: q.Min, QueuedMeanEntries: q.Mean, QueuedMedianEntries: q.Median, QueuedP95Entries: q.P95,
		QueuedMaxEntries: q.Max}
}

func (s *Server) queueMetricsAggregated(r *Request) (any, string, error) {
	list, err := s.queueSamples(r)
	if err != nil {
		return nil, "", err
	}
	return aggregateQueue(list), "", nil
}

// BackendQueryMetric is one backend statement, as upstream's query.Metric
// (durations in nanoseconds). WaitLatency is 0: the wait for a pooled
// connection is not measured apart; it is part of ExecuteLatency.
type BackendQueryMetric struct {
	Timestamp      time.Time
	WaitLatency    time.Duration
	ExecuteLatency time.Duration
	Err            *string
}

func (s *Server) backendMetricsRaw(r *Request) (any, string, error) {
	since, err := s.metricsSince(r)
	if err != nil {
		return nil, "", err
	}
	list := s.deps.Store.QuerySamples(since)
	out := make([]BackendQueryMetric, 0, len(list))
	for _, q := range list {
		out = append(out, BackendQueryMetric{Timestamp: q.At, ExecuteLatency: q.Execute, Err: errText(q.Err)})
	}
	return out, "", nil
}

// AggregatedQueryMetrics are upstream's aggregated backend metrics.
type AggregatedQueryMetrics struct {
	Count                                                                          int
	MaxLatencySeconds, MeanLatencySeconds, MedianLatencySeconds, P95LatencySeconds float64
	MaxWaitSeconds, MeanWaitSeconds, MedianWaitSeconds, P95WaitSeconds             float64
}

func (s *Server) backendMetricsAggregated(r *Request) (any, string, error) {
	since, err := s.metricsSince(r)
	if err != nil {
		return nil, "", err
	}
	list := s.deps.Store.QuerySamples(since)
	var exec []float64
	for _, q := range list {
		exec = append(exec, q.Execute.Seconds())
	}
	e := metrics.Summarize(exec)
	return AggregatedQueryMetrics{Count: len(list), MaxLatencySeconds: e.Max, MeanLatencySeconds: e.Mean, MedianLatencySeconds: e.Median,
		P95LatencySeconds: e.P95}, "", nil
}

// WriteBufferMetric is one batch write of probe results, as upstream's
// (durations in nanoseconds), plus its error.
type WriteBufferMetric struct {
	Timestamp         time.Time
	WaitLatency       time.Duration
	FlushLatency      time.Duration
	EnqueuedInstances int
	Err               *string
}

func (s *Server) writeSamples(r *Request) ([]discovery.WriteSample, error) {
	since, err := s.metricsSince(r)
	if err != nil || s.deps.Discoverer == nil {
		return []discovery.WriteSample{}, err
	}
	return s.deps.Discoverer.WriteSamples(since), nil
}

func (s *Server) writeMetricsRaw(r *Request) (any, string, error) {
	list, err := s.writeSamples(r)
	if err != nil {
		return nil, "", err
	}
	out := make([]WriteBufferMetric, 0, len(list))
	for _, w := range list {
		out = append(out, WriteBufferMetric{Timestamp: w.At, WaitLatency: w.Wait, FlushLatency: w.Flush, EnqueuedInstances: w.Instances, Err: errText(w.Err)})
	}
	return out, "", nil
}

// AggregatedWriteBufferMetric are upstream's aggregated write metrics;
// Count is the number of rows written.
type AggregatedWriteBufferMetric struct {
	Count                                                                  int
	MaxWaitSeconds, MeanWaitSeconds, MedianWaitSeconds, P95WaitSeconds     float64
	MaxFlushSeconds, MeanFlushSeconds, MedianFlushSeconds, P95FlushSeconds float64
}

func aggregateWrites(list []discovery.WriteSample) AggregatedWriteBufferMetric {
	var a AggregatedWriteBufferMetric
	var wait, flush []float64
	for _, w := range list {
		a.Count += w.Instances
		wait, flush = append(wait, w.Wait.Seconds()), append(flush, w.Flush.Seconds())
	}
	ws, fs := metrics.Summarize(wait), metrics.Summarize(flush)
	a.MaxWaitSeconds, a.MeanWaitSeconds, a.MedianWaitSeconds, a.P95WaitSeconds = ws.Max, ws.Mean, ws.Median, ws.P95
	a.MaxFlushSeconds, a.MeanFlushSeconds, a.MedianFlushSeconds, a.P95FlushSeconds = fs.Max, fs.Mean, fs.Median, fs.P95
	return a
}

func (s *Server) writeMetricsAggregated(r *Request) (any, string, error) {
	list, err := s.writeSamples(r)
	if err != nil {
		return nil, "", err
	}
	return aggregateWrites(list), "", nil
}
