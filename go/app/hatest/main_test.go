// Package hatest runs several real orchestrator service processes on the
// sandbox's backend MariaDB and checks leader election end to end: one
// leader at every sample, takeover after kill -9, pause and resume,
// SIGTERM hand-over, backend restart, concurrent CLI processes, and the
// one-service rule on SQLite. See docs/high-availability.md.
package hatest

import (
	"fmt"
	"os"
	"testing"

	"orchestrator/go/testutil/sandbox"
	"orchestrator/go/testutil/service"
)

// binary is the orchestrator binary built once by TestMain (read-only
// afterwards).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orchestrator-hatest-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hatest:", err)
		os.Exit(1)
	}
	binary, err = service.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hatest:", err)
		os.Exit(1)
	}
	code := sandbox.Main(m, sandbox.Options{WithBackend: true})
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
