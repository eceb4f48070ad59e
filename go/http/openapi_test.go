package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// TestOpenAPI fetches /api/openapi.json through the server and checks it
// parses, has the OpenAPI top-level fields, and describes every route of
// the table with its parameters, summary and response shape.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	cfg := config.Defaults()
	cfg.AuthenticationMethod, cfg.HTTPAuthUser, cfg.HTTPAuthPassword = "basic", "dba", "pw"
	s := New(cfg, Deps{})
	code, body := call(t, s, "/api/openapi.json", []string{"dba", "pw"}, nil)
	require.Equal(t, http.StatusOK, code, body)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Title, Version string }
		Paths   map[string]map[string]struct {
			Summary     string
			OperationID string `json:"operationId"`
			Security    *[]any
			Parameters  []struct {
				Name, In string
				Required bool
			}
			Responses map[string]struct {
				Content map[string]struct {
					Schema  map[string]any
					Example json.RawMessage
				}
			}
		}
		Components struct {
			Schemas         map[string]any
			SecuritySchemes map[string]struct{ Type, Scheme string }
		}
		Security []map[string][]string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."), doc.OpenAPI)
	require.Equal(t, "orchestrator", doc.Info.Title)
	require.NotEmpty(t, doc.Info.Version)
	require.Contains(t, doc.Components.Schemas, "Envelope")
	require.Equal(t, "basic", doc.Components.SecuritySchemes["basicAuth"].Scheme)
	require.Equal(t, []map[string][]string{{"basicAuth": {}}}, doc.Security)
	require.Len(t, doc.Paths, len(s.Routes()), "one path per route")
	ids := map[string]string{}
	for _, rt := range s.Routes() {
		p := openAPIPath(rt.Path)
		require.NotContains(t, p, ":", rt.Path)
		op, ok := doc.Paths[p]["get"]
		require.True(t, ok, "route %s missing from the OpenAPI document", rt.Path)
		require.Equal(t, rt.Doc, op.Summary)
		require.NotContains(t, ids, op.OperationID, "operationId of %s repeats %s", rt.Path, ids[op.OperationID])
		ids[op.OperationID] = rt.Path
		require.Len(t, op.Parameters, strings.Count(rt.Path, "/:")+len(rt.Query), rt.Path)
		for n, prm := range op.Parameters {
			if n < strings.Count(rt.Path, "/:") {
				require.Contains(t, p, "{"+prm.Name+"}")
				require.Equal(t, "path", prm.In)
				require.True(t, prm.Required)
				continue
			}
			require.Equal(t, "query", prm.In, rt.Path)
			require.Equal(t, rt.Query[n-strings.Count(rt.Path, "/:")].Name, prm.Name)
			require.False(t, prm.Required)
		}
		ok200 := op.Responses["200"].Content["application/json"]
		if !rt.Bare && !isRawRoute(rt.Path) {
			require.Equal(t, "#/components/schemas/Envelope", ok200.Schema["$ref"], rt.Path)
		}
		require.Equal(t, "#/components/schemas/Envelope", op.Responses["4XX"].Content["application/json"].Schema["$ref"], rt.Path)
		if s.public(rt) {
			require.NotNil(t, op.Security, "%s answers without authentication", rt.Path)
			require.Empty(t, *op.Security)
		}
		ex, has := exampleFor(rt)
		require.True(t, has, "%s has no example", rt.Path)
		media := op.Responses[strconv.Itoa(ex.Status)].Content
		require.NotEmpty(t, media, "%s: no response for its example's status %d", rt.Path, ex.Status)
		for _, m := range media {
			require.True(t, json.Valid(m.Example), "example of %s", rt.Path)
		}
	}
}
