// Package hatest runs several real orchestrator service processes on the
// sandbox's backend MariaDB and checks leader election end to end: one
// leader at every sample, takeover after kill -9, pause and resume,
// SIGTERM hand-over, backend restart, concurrent CLI processes, and the
// one-service rule on SQLite. See docs/high-availability.md.
package hatest

import (
	"os"
	"testing"

	"orchestrator/go/testutil/service"
)

// binary is the orchestrator binary built once by TestMain (read-only
// afterwards).
var binary string

func TestMain(m *testing.M) { os.Exit(service.Main(m, &binary)) }
