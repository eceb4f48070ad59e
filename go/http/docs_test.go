package http

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// TestAPIDocs keeps docs/api.md in step with the route table: a route
// without docs, or docs without a route, fails here.
func TestAPIDocs(t *testing.T) {
	s := New(config.Defaults(), Deps{})
	for _, rt := range s.Routes() {
		require.NotEmpty(t, rt.Doc, "route %s has no Doc", rt.Path)
	}
	want := APIDocs(s.Routes())
	const path = "../../docs/api.md"
	if os.Getenv("UPDATE_DOCS") == "1" {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "docs/api.md is stale: run UPDATE_DOCS=1 go test ./go/http -run TestAPIDocs")
}
