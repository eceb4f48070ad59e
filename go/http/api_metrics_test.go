package http

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/discovery"
	"orchestrator/go/inst"
)

func TestAggregateProbes(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	a, b := inst.InstanceKey{Hostname: "a", Port: 1}, inst.InstanceKey{Hostname: "b", Port: 1}
	probe := func(at int, key inst.InstanceKey, instanceMs, backendMs int, err string) discovery.ProbeSample {
		return discovery.ProbeSample{At: t0.Add(time.Duration(at) * time.Second), Key: key, InstanceLatency: time.Duration(instanceMs) * time.Millisecond,
			BackendLatency: time.Duration(backendMs) * time.Millisecond, Err: err}
	}
	cases := []struct {
		name  string
		list  []discovery.ProbeSample
		check func(t *testing.T, m AggregatedDiscoveryMetrics)
	}{
		{"none", nil, func(t *testing.T, m AggregatedDiscoveryMetrics) { require.Equal(t, AggregatedDiscoveryMetrics{}, m) }},
		{"ok and failed", []discovery.ProbeSample{probe(2, a, 10, 2, ""), probe(1, a, 30, 4, ""), probe(3, b, 100, 6, "refused")},
			func(t *testing.T, m AggregatedDiscoveryMetrics) {
				require.Equal(t, t0.Add(time.Second), m.FirstSeen)
				require.Equal(t, t0.Add(3*time.Second), m.LastSeen)
				require.Equal(t, 1, m.DistinctInstanceKeys)
				require.Equal(t, 1, m.DistinctFailedInstanceKeys)
				require.EqualValues(t, 2, m.SuccessfulDiscoveries)
				require.EqualValues(t, 1, m.FailedDiscoveries)
				require.InDelta(t, 0.106, m.PollMaxTotalSeconds, 1e-9)
				require.InDelta(t, 0.1, m.PollMaxInstanceSeconds, 1e-9)
				require.InDelta(t, 0.030, m.PollMedianInstanceSeconds, 1e-9)
				require.InDelta(t, 0.004, m.PollAvgBackendSeconds, 1e-9)
				require.InDelta(t, 0.1, m.PollFailedAvgInstanceSeconds, 1e-9)
				require.InDelta(t, 0.106, m.PollFailedQ95TotalSeconds, 1e-9)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, aggregateProbes(c.list)) })
	}
}

func TestAggregateQueueAndWrites(t *testing.T) {
	t.Parallel()
	q := aggregateQueue([]discovery.QueueSample{{Active: 1, Queued: 10}, {Active: 3, Queued: 0}, {Active: 2, Queued: 5}})
	require.Equal(t, AggregatedQueueMetrics{ActiveMinEntries: 1, ActiveMeanEntries: 2, ActiveMedianEntries: 2, ActiveP95Entries: 3, ActiveMaxEntries: 3,
		QueuedMinEntries: 0, QueuedMeanEntries: 5, QueuedMedianEntries: 5, QueuedP95Entries: 10, QueuedMaxEntries: 10}, q)
	require.Equal(t, AggregatedQueueMetrics{}, aggregateQueue(nil))
	w := aggregateWrites([]discovery.WriteSample{{Wait: time.Millisecond, Flush: 4 * time.Millisecond, Instances: 3},
		{Wait: 3 * time.Millisecond, Flush: 2 * time.Millisecond, Instances: 1}})
	require.Equal(t, 4, w.Count, "rows written")
	require.InDelta(t, 0.003, w.MaxWaitSeconds, 1e-9)
	require.InDelta(t, 0.002, w.MeanWaitSeconds, 1e-9)
	require.InDelta(t, 0.004, w.MaxFlushSeconds, 1e-9)
	require.InDelta(t, 0.003, w.MedianFlushSeconds, 1e-9)
}

// TestMetricsRoutes: a failed probe shows in the discovery metrics with
// its error, backend statements in the backend metrics, every route
// answers bare JSON of upstream's shape, and a bad :seconds is 400.
func TestMetricsRoutes(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	port := closedPort(t)
	code, _, _ := get(t, s, fmt.Sprintf("/api/discover/127.0.0.1/%d", port), "", "")
	require.Equal(t, 502, code)

	var raw []DiscoveryMetric
	code, _, body := get(t, s, "/api/discovery-metrics-raw/60", "", "")
	require.Equal(t, 200, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &raw))
	require.Len(t, raw, 1)
	require.Equal(t, "127.0.0.1", raw[0].Hostname)
	require.Equal(t, port, raw[0].Port)
	require.NotNil(t, raw[0].Err)
	require.Contains(t, *raw[0].Err, "connection refused")
	require.Positive(t, raw[0].TotalLatencySeconds)

	var agg map[string]any
	_, _, body = get(t, s, "/api/discovery-metrics-aggregated/60", "", "")
	require.NoError(t, json.Unmarshal([]byte(body), &agg))
	require.EqualValues(t, 1, agg["FailedDiscoveries"])
	require.EqualValues(t, 0, agg["SuccessfulDiscoveries"])
	require.EqualValues(t, 1, agg["DistinctFailedInstanceKeys"])
	require.Contains(t, agg, "PollQ95TotalSeconds")

	var queries []map[string]any
	_, _, body = get(t, s, "/api/backend-query-metrics-raw/60", "", "")
	require.NoError(t, json.Unmarshal([]byte(body), &queries))
	require.NotEmpty(t, queries, "the failed check was recorded in the backend")
	require.Contains(t, queries[0], "ExecuteLatency")
	_, _, body = get(t, s, "/api/backend-query-metrics-aggregated/60", "", "")
	require.NoError(t, json.Unmarshal([]byte(body), &agg))
	require.Positive(t, agg["Count"])

	for _, path := range []string{"/api/discovery-queue-metrics-raw/60", "/api/write-buffer-metrics-raw/60"} {
		code, _, body = get(t, s, path, "", "")
		require.Equal(t, 200, code)
		require.JSONEq(t, "[]", body, "%s: nothing polled, nothing stored in batches", path)
	}
	for _, path := range []string{"/api/discovery-queue-metrics-aggregated/60", "/api/write-buffer-metrics-aggregated/60"} {
		code, _, body = get(t, s, path, "", "")
		require.Equal(t, 200, code)
		require.NoError(t, json.Unmarshal([]byte(body), &agg))
	}
	for _, rt := range s.metricsRoutes() {
		for _, bad := range []string{"0", "-5", "x", "86401"} {
			code, env, _ := get(t, s, samplePath(rt.Path)[:len(samplePath(rt.Path))-len("xseconds")]+bad, "", "")
			require.Equal(t, 400, code, "%s %s", rt.Path, bad)
			require.Equal(t, "ERROR", env["Code"])
		}
	}
}
