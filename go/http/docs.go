package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var pathParam = regexp.MustCompile(`:[A-Za-z]+`)

// APIDocs renders docs/api.md from the route table.
func APIDocs(routes []Route) string {
	var b strings.Builder
	b.WriteString("# HTTP API reference\n\nGenerated from the route tables (`go/http/api_*.go`) by `UPDATE_DOCS=1 go test ./go/http -run TestAPIDocs`.\n\n")
	b.WriteString(apiRules)
	sorted := append([]Route(nil), routes...)
	sort.SliceStable(sorted, func(a, c int) bool { return sorted[a].Path < sorted[c].Path })
	b.WriteString("\n## Endpoints\n\n| path | parameters | changes state | response | what it does |\n|---|---|---|---|---|\n")
	for _, rt := range sorted {
		params := strings.Join(pathParam.FindAllString(rt.Path, -1), " ")
		mutates, shape := "", "envelope"
		if rt.Mutates {
			mutates = "yes"
		}
		if rt.Bare {
			shape = "bare JSON"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", rt.Path, params, mutates, shape, strings.ReplaceAll(rt.Doc, "|", `\|`))
	}
	writeExamples(&b, sorted)
	b.WriteString(apiTail)
	return b.String()
}

// writeExamples renders the example responses of docs_examples.go, in
// route order.
func writeExamples(b *strings.Builder, sorted []Route) {
	b.WriteString("\n## Example responses\n\nTaken from a service watching the sandbox (`script/demo`); Instance objects are shortened to a few fields. " +
		"An error, e.g. `/api/instance/nosuch/3306` (404):\n\n```json\n" +
		`{"Code": "ERROR", "Message": "Cannot read instance nosuch:3306: instance nosuch:3306 is unknown: not found", "Details": null}` + "\n```\n")
	for _, rt := range sorted {
		ex, ok := exampleFor(rt.Path)
		if !ok {
			continue
		}
		var out bytes.Buffer
		if err := json.Indent(&out, []byte(ex), "", "  "); err != nil {
			out.WriteString(ex)
		}
		fmt.Fprintf(b, "\n### `%s`\n\n```json\n%s\n```\n", rt.Path, out.String())
	}
}

const apiRules = "Every route answers `GET` (as upstream's), under `URLPrefix` when configured; a trailing `/` is ignored. " +
	"Routes marked *envelope* answer `{\"Code\": \"OK\"|\"ERROR\", \"Message\": text, \"Details\": value}`; *bare JSON* routes answer the value itself " +
	"when they succeed and the envelope when they fail. Errors use 4xx statuses for the caller's mistakes " +
	"(400 bad input, 401 not authenticated, 403 read-only mode or not a power user, 404 unknown instance or cluster, 409 locked or refused) " +
	"and 5xx only for server faults; clients should test `Code`. `/api/openapi.json` describes the same routes as an OpenAPI 3 document.\n\n" +
	"`:host/:port` is an instance key. `:clusterHint` is a cluster name, an alias, or any instance of the cluster as `host:port`. " +
	"Routes that change state are refused with 403 when `ReadOnly` is set, and need a power user: with `AuthenticationMethod` " +
	"`basic` the configured `HTTPAuthUser`; with `multi` the same user, while user `readonly` (any password) may only read; with `proxy` " +
	"a user named by the `AuthUserHeader` header (default `X-Forwarded-User`) listed in `PowerAuthUsers` (`*` = anyone) or a member of a " +
	"unix group in `PowerAuthGroups`. `/api/health`, `/api/status` (or `StatusEndpoint`), `/api/leader-check`, `/api/lb-check` and `/api/_ping` " +
	"answer without authentication, for load balancers.\n\n" +
	"Served outside the tables: `/api/leader-check` (200 `\"OK\"` on the leader, 404 `\"Not leader\"` elsewhere), `/api/leader-check/:errorStatusCode` " +
	"(the non-leader status of your choice), `/api/routed-leader-check`, `/api/lb-check` and `/api/_ping` (always 200), `/health/live`, " +
	"`/health/ready`, `/health/leader`, and the web UI under `/web/`.\n"

const apiTail = `
## Metrics

` + "`/metrics`" + ` serves Prometheus text: ` + "`orchestrator_http_requests_total{route,code}`" + `,
` + "`orchestrator_http_request_duration_seconds`" + ` (histogram), ` + "`orchestrator_discovery_probes_total{result}`" + `,
` + "`orchestrator_discovery_probe_duration_seconds`" + ` and ` + "`orchestrator_backend_query_duration_seconds`" + ` (histograms), ` + "`orchestrator_instances_known`" + `,
` + "`orchestrator_is_leader`" + `, ` + "`orchestrator_recoveries_total{type,outcome}`" + `, ` + "`orchestrator_uptime_seconds`" + ` and ` + "`go_goroutines`" + `.
` + "`/api/debug/metrics`" + ` (also ` + "`/debug/metrics`" + `) gives the same counters as JSON.

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
