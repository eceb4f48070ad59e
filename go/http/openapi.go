package http

import (
	"net/http"
	"strconv"
	"strings"
)

// openAPIRoutes serves the OpenAPI document of the route table.
func (s *Server) openAPIRoutes() []Route {
	return []Route{
		{Path: "/api/openapi.json", Bare: true, Handler: s.openAPI, Doc: "OpenAPI 3 description of every route in this table, generated from it"},
	}
}

func (s *Server) openAPI(_ *Request) (any, string, error) { return s.OpenAPI(), "", nil }

// OpenAPI describes the route table as an OpenAPI 3.0 document: one GET per
// path (":name" becomes "{name}"), the route's Doc as summary, the envelope
// schema for enveloped routes, the security scheme of AuthenticationMethod
// (the load-balancer checks need none) and the examples of docs/api.md.
func (s *Server) OpenAPI() map[string]any {
	version := "dev"
	if s.deps.Node != nil {
		version = s.deps.Node.AppVersion()
	}
	routes, prefix := s.routes, s.conf().URLPrefix
	schemes, security := securitySchemes(s.conf().AuthenticationMethod, s.proxyHeader())
	paths := map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":           rt.Doc,
			"operationId":       operationID(rt.Path),
			"responses":         responses(rt),
			"x-mutates":         rt.Mutates,
			"x-timeout-seconds": int(rt.timeout().Seconds()),
		}
		if rt.MutatesWhen != "" {
			op["x-mutates-when"] = rt.MutatesWhen + "=true"
		}
		if params := parameters(rt); len(params) > 0 {
			op["parameters"] = params
		}
		if s.public(rt) {
			op["security"] = []any{}
		}
		paths[openAPIPath(rt.Path)] = map[string]any{"get": op}
	}
	server := prefix
	if server == "" {
		server = "/"
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "orchestrator",
			"version":     version,
			"description": "MySQL/MariaDB replication topology manager; paths, envelope and field names follow upstream orchestrator. Every route answers GET.",
		},
		"servers": []any{map[string]any{"url": server}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         map[string]any{"Envelope": envelopeSchema()},
			"securitySchemes": schemes,
		},
	}
	if security != nil {
		doc["security"] = security
	}
	return doc
}

func securitySchemes(method, header string) (map[string]any, []any) {
	switch method {
	case "basic", "multi":
		return map[string]any{"basicAuth": map[string]any{"type": "http", "scheme": "basic",
			"description": "HTTPAuthUser/HTTPAuthPassword; with multi, user readonly (any password) may only read"}}, []any{map[string]any{"basicAuth": []any{}}}
	case "proxy":
		return map[string]any{"proxyUser": map[string]any{"type": "apiKey", "in": "header", "name": header,
			"description": "user name set by an authenticating reverse proxy; PowerAuthUsers/PowerAuthGroups may change state"}}, []any{map[string]any{"proxyUser": []any{}}}
	}
	return map[string]any{}, nil
}

func envelopeSchema() map[string]any {
	return map[string]any{
		"type":     "object",
		"required": []any{"Code", "Message", "Details"},
		"properties": map[string]any{
			"Code":    map[string]any{"type": "string", "enum": []any{"OK", "ERROR"}},
			"Message": map[string]any{"type": "string"},
			"Details": map[string]any{"description": "the result; null or partial on errors"},
		},
	}
}

func responses(rt Route) map[string]any {
	envelope := func() map[string]any {
		return map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Envelope"}}}
	}
	ok := map[string]any{"description": "success", "content": envelope()}
	switch {
	case isRawRoute(rt.Path):
		ok["content"] = map[string]any{contentTypeOf(rt): map[string]any{"schema": map[string]any{"type": "string"}}}
	case rt.Bare:
		ok["description"] = "success: the value itself, without the envelope"
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{}}}
	}
	out := map[string]any{
		"200": ok,
		"4XX": map[string]any{"description": "bad input (400), not authenticated (401), read-only or not a power user (403), unknown instance or cluster (404), locked or refused (409)", "content": envelope()},
		"5XX": map[string]any{"description": "the target MySQL server failed (502), too many requests (503), a fault of orchestrator (500)", "content": envelope()},
	}
	if ex, found := exampleFor(rt); found {
		status := strconv.Itoa(ex.Status)
		if _, listed := out[status]; !listed {
			out[status] = map[string]any{"description": http.StatusText(ex.Status), "content": map[string]any{"application/json": map[string]any{}}}
		}
		content := out[status].(map[string]any)["content"].(map[string]any)
		for _, media := range content {
			media.(map[string]any)["example"] = ex.Body
		}
	}
	return out
}

// parameters are the route's path parameters (required) and its query
// parameters (optional).
func parameters(rt Route) []any {
	var out []any
	for _, p := range pathParam.FindAllString(rt.Path, -1) {
		out = append(out, map[string]any{"name": p[1:], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, p := range rt.Query {
		out = append(out, map[string]any{"name": p.Name, "in": "query", "required": false, "description": p.Doc, "schema": map[string]any{"type": "string"}})
	}
	return out
}

func openAPIPath(path string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string { return "{" + p[1:] + "}" })
}

func operationID(path string) string {
	id := strings.NewReplacer("/", "_", ":", "", "-", "_", ".", "_").Replace(strings.TrimPrefix(path, "/"))
	return strings.Trim(id, "_")
}

// contentTypeOf is the media type of a text route's answer.
func contentTypeOf(rt Route) string {
	if ex, ok := exampleFor(rt); ok && ex.ContentType != "" {
		media, _, _ := strings.Cut(ex.ContentType, ";")
		return media
	}
	return "text/plain"
}

// isRawRoute: routes that answer text, not JSON.
func isRawRoute(path string) bool {
	return path == "/metrics" || strings.HasPrefix(path, "/debug/pprof")
}
