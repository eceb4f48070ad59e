package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

var pathParam = regexp.MustCompile(`:[A-Za-z]+`)

// APIDocs renders docs/api.md from the route table.
func APIDocs(routes []Route) string {
	var b strings.Builder
	b.WriteString("# HTTP API reference\n\nGenerated from the route tables (`go/http/api_*.go`) and the recorded examples " +
		"(`go/http/testdata/api_examples.json`) by `UPDATE_DOCS=1 go test ./go/http -run TestAPIDocs`.\n\n")
	b.WriteString(apiRules)
	sorted := append([]Route(nil), routes...)
	sort.SliceStable(sorted, func(a, c int) bool { return sorted[a].Path < sorted[c].Path })
	b.WriteString("\n## Endpoints\n\n| path | parameters | changes state | response | timeout | what it does |\n|---|---|---|---|---|---|\n")
	for _, rt := range sorted {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s | %s |\n", rt.Path, anchor(rt.Path), paramList(rt), mutatesText(rt), shapeText(rt),
			durationText(rt.timeout()), cell(rt.Doc))
	}
	b.WriteString("\n## Endpoints in detail\n\nEach example is the route's answer on a store seeded with a master `127.0.0.11:3306` and replicas " +
		"`127.0.0.12:3306`, `127.0.0.13:3306` (alias `prod`; no live servers), or, for routes that act on live servers, an answer taken from a service " +
		"watching the sandbox; arrays are cut to their first element and large objects (Instance) to their first fields.\n")
	for _, rt := range sorted {
		writeRoute(&b, rt)
	}
	b.WriteString(apiTail)
	return b.String()
}

// writeRoute renders one route's section: what it does, its parameters,
// its flags and its example.
func writeRoute(b *strings.Builder, rt Route) {
	fmt.Fprintf(b, "\n### `%s`\n\n%s.\n\n", rt.Path, strings.TrimSuffix(rt.Doc, "."))
	for _, p := range pathParam.FindAllString(rt.Path, -1) {
		fmt.Fprintf(b, "- `%s` (path)\n", p)
	}
	for _, p := range rt.Query {
		fmt.Fprintf(b, "- `?%s=` (query, optional): %s\n", p.Name, p.Doc)
	}
	flags := []string{"changes state: " + map[string]string{"": "no", "yes": "yes"}[mutatesText(rt)], "timeout " + durationText(rt.timeout())}
	if rt.MutatesWhen != "" {
		flags[0] = "changes state: with `?" + rt.MutatesWhen + "=true` (then authorised as a change)"
	}
	if rt.Public {
		flags = append(flags, "answers without authentication")
	}
	fmt.Fprintf(b, "- %s\n", strings.Join(flags, "; "))
	ex, ok := exampleFor(rt)
	if !ok {
		return
	}
	if ex.ContentType != "" {
		var text string
		_ = json.Unmarshal(ex.Body, &text)
		fmt.Fprintf(b, "\nExample (%d, `%s`):\n\n```text\n%s\n```\n", ex.Status, ex.ContentType, strings.TrimRight(text, "\n"))
		return
	}
	var out bytes.Buffer
	if err := json.Indent(&out, ex.Body, "", "  "); err != nil {
		out.Write(ex.Body)
	}
	fmt.Fprintf(b, "\nExample (%d):\n\n```json\n%s\n```\n", ex.Status, out.String())
}

// anchor is the GitHub heading anchor of a route's section.
func anchor(path string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(path) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func paramList(rt Route) string {
	params := pathParam.FindAllString(rt.Path, -1)
	for _, p := range rt.Query {
		params = append(params, "?"+p.Name)
	}
	return strings.Join(params, " ")
}

func mutatesText(rt Route) string {
	switch {
	case rt.Mutates:
		return "yes"
	case rt.MutatesWhen != "":
		return "with ?" + rt.MutatesWhen + "=true"
	}
	return ""
}

func shapeText(rt Route) string {
	switch {
	case isRawRoute(rt.Path):
		return "text"
	case rt.Bare:
		return "bare JSON"
	}
	return "envelope"
}

func durationText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d s", int(d/time.Second))
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

const apiRules = "Every route answers `GET` (as upstream's), under `URLPrefix` when configured; a trailing `/` is ignored. " +
	"Routes marked *envelope* answer `{\"Code\": \"OK\"|\"ERROR\", \"Message\": text, \"Details\": value}`; *bare JSON* routes answer the value itself " +
	"when they succeed and the envelope when they fail; *text* routes answer Prometheus text, HTML or a binary profile. " +
	"`/api/openapi.json` describes the same routes as an OpenAPI 3 document.\n\n" +
	"`:host/:port` is an instance key. `:clusterHint` is a cluster name, an alias, or any instance of the cluster as `host:port`. " +
	"Query parameters not listed for a route are ignored.\n\n" +
	"## Errors\n\n" +
	"Every error is the envelope with `Code: \"ERROR\"`; clients should test `Code`. The status says whose fault it is:\n\n" +
	"| status | meaning |\n|---|---|\n" +
	"| 400 | bad input (a malformed key, page, duration, promotion rule, tag, ...) |\n" +
	"| 401 | not authenticated |\n" +
	"| 403 | read-only mode (`ReadOnly`), or a user who may not change anything |\n" +
	"| 404 | unknown instance, cluster, recovery or route; features this orchestrator does not have (raft) |\n" +
	"| 409 | refused: a maintenance lock held, a recovery running or blocked, a precondition of the operation not met |\n" +
	"| 414 | path or query longer than 8 kB |\n" +
	"| 502 | the target MySQL server failed: it could not be reached, refused the connection or failed a probe (the operation or discovery " +
	"that needed it did not happen); orchestrator itself is fine |\n" +
	"| 503 | too many requests at once (see Limits), or `/health/ready` on a node whose backend is unreachable |\n" +
	"| 500 | a fault of orchestrator itself: the backend failed, or a bug; logged once on the node |\n\n" +
	"## Authentication\n\n" +
	"Routes that change state are refused with 403 when `ReadOnly` is set, and need a power user: with `AuthenticationMethod` " +
	"`basic` the configured `HTTPAuthUser`; with `multi` the same user, while user `readonly` (any password) may only read; with `proxy` " +
	"a user named by the `AuthUserHeader` header (default `X-Forwarded-User`) listed in `PowerAuthUsers` (`*` = anyone) or a member of a " +
	"unix group in `PowerAuthGroups`. A read that probes servers (`/api/ui/can-move` with `?live=true`) is authorised as a change: a probe " +
	"is a refresh, which upstream authorises as a change too. Routes marked \"answers without authentication\" (`/api/health`, " +
	"`/api/status` or `StatusEndpoint`, the `leader-check` family, `/api/lb-check`, `/api/_ping`, `/health/*`) are for load balancers.\n\n" +
	"## Limits\n\n" +
	"Request headers must arrive within 10 s (a client that never finishes them is disconnected), at most 64 kB of them; " +
	"the whole request within 30 s; an idle keep-alive connection is closed after 2 min. Each route's handler runs within the timeout " +
	"of the table below (reads 30 s, changes and recoveries 5 min, profiles 5 min 30 s), and its answer must be written within " +
	"that timeout plus 15 s. At most `HTTPMaxConcurrentRequests` (256) requests are served at once; one more is answered at once " +
	"with 503 and the envelope (`server busy`), so a burst cannot pile up work. The load-balancer checks are not counted. " +
	"Request bodies are limited to 1 MB, paths and query strings to 8 kB.\n"

const apiTail = `
## Metrics

` + "`/metrics`" + ` serves Prometheus text: ` + "`orchestrator_http_requests_total{route,code}`" + `,
` + "`orchestrator_http_request_duration_seconds`" + ` (histogram), ` + "`orchestrator_discovery_probes_total{result}`" + `,
` + "`orchestrator_discovery_probe_duration_seconds`" + ` and ` + "`orchestrator_backend_query_duration_seconds`" + ` (histograms), ` + "`orchestrator_instances_known`" + `,
` + "`orchestrator_is_leader`" + `, ` + "`orchestrator_recoveries_total{type,outcome}`" + `, ` + "`orchestrator_uptime_seconds`" + ` and ` + "`go_goroutines`" + `.
` + "`/api/debug/metrics`" + ` (also ` + "`/debug/metrics`" + `) gives the same counters as JSON, ` + "`/debug/vars`" + ` adds the
process's memory statistics and goroutines. Every route, the load-balancer checks included, is counted under its pattern.

Upstream's timing series answer bare JSON over the last ` + "`:seconds`" + ` (1 to 86400), from samples each component keeps
in memory, in a bounded ring (the newest win; nothing is written to the backend): ` + "`/api/discovery-metrics-raw`" + ` and
` + "`-aggregated`" + ` (every probe, by the poll loop or a request: server, time talking to it, time storing the result,
error; at most 10,000 probes and ` + "`DiscoveryCollectionRetentionSeconds`" + ` back), ` + "`/api/discovery-queue-metrics-*`" + `
(probes running and keys waiting, sampled once a second while this node polls: only the leader has samples; the newest
` + "`:seconds`" + ` of at most ` + "`DiscoveryQueueMaxStatisticsSize`" + `), ` + "`/api/backend-query-metrics-*`" + ` (every backend statement; at
most 10,000; ` + "`WaitLatency`" + ` is 0, the pool's wait being inside ` + "`ExecuteLatency`" + `) and ` + "`/api/write-buffer-metrics-*`" + `
(every batch of probe results stored: how long its oldest row waited, how long the write took, rows; at most 2,000).
Aggregates are count, mean, median, 95th percentile (nearest rank) and max; unlike upstream's, ` + "`SuccessfulDiscoveries`" + `
counts only the probes that succeeded, and the write aggregates' wait fields are the waits (upstream overwrote them with
the flush times).

## orchestrator-client

` + "`resources/bin/orchestrator-client`" + ` is a bash script (needs ` + "`curl`" + ` and ` + "`jq`" + `) with the
commands and flags of upstream's client, so scripts written for it keep working:

    export ORCHESTRATOR_API="http://orc1:3000 http://orc2:3000"   # the leader is found via /api/leader-check
    export ORCHESTRATOR_AUTH_USER=dba ORCHESTRATOR_AUTH_PASSWORD=secret
    orchestrator-client -c discover -i db1:3306
    orchestrator-client -c topology -alias prod
    orchestrator-client -c relocate -i db3:3306 -d db1:3306
    orchestrator-client -c begin-downtime -i db2 -owner me -reason upgrade -duration 1h

Flags take one or two dashes (` + "`-alias`" + ` = ` + "`--alias`" + ` = ` + "`-a`" + `): ` + "`-c`" + ` command, ` + "`-i`" + ` instance
(port defaults to ` + "`-D`" + `, 3306), ` + "`-d`" + `/` + "`-s`" + ` destination, ` + "`-a`" + ` alias, ` + "`-o`" + ` owner, ` + "`-r`" + ` reason,
` + "`-u`" + ` duration, ` + "`-p`" + ` pattern, ` + "`-R`" + ` promotion rule, ` + "`-t`" + ` tag, ` + "`-l`" + ` pool, ` + "`-H`" + ` hostname,
` + "`-U`" + ` API URL(s), ` + "`-P`" + ` path for ` + "`-c api`" + `, ` + "`-q`" + ` query, ` + "`-b user:password`" + `, ` + "`-e 'Header: value'`" + `,
` + "`-n`" + ` binlog, ` + "`-S`" + ` seconds, ` + "`-h`" + ` help. ` + "`-c help`" + ` lists the commands. Results go to stdout one per
line (keys as ` + "`host:port`" + `, moves as ` + "`moved<newmaster`" + `); an ERROR answer prints its message on stderr and exits 1.
With several URLs in ` + "`ORCHESTRATOR_API`" + `, the first one answering 200 to ` + "`leader-check`" + ` (then ` + "`routed-leader-check`" + `)
is used. HTTPS (` + "`ORCHESTRATOR_SSL_CA_FILE`" + `, ` + "`CURL_CA_BUNDLE`" + `, ` + "`ORCHESTRATOR_SSL_SKIP_VERIFY`" + `), every command with
the API path it calls and what it prints, and how it is tested: [orchestrator-client.md](orchestrator-client.md).
`
