package app

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCLIDocs keeps docs/cli.md in step with the command table.
func TestCLIDocs(t *testing.T) {
	want := cliDocs(commandTable())
	const path = "../../docs/cli.md"
	if os.Getenv("UPDATE_DOCS") == "1" {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "docs/cli.md is stale: run UPDATE_DOCS=1 go test ./go/app -run TestCLIDocs")
}
