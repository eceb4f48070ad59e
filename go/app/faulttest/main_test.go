// Package faulttest is the reliability and security suite: real
// `orchestrator http` processes on the sandbox's backend MariaDB, managing
// the sandbox topology, while the tests kill, stop and cut off servers and
// service nodes, load the API, feed it bad input, look for leaked secrets
// and try every mutating route without the right credentials. Each test
// is one row of the table in docs/reliability.md.
package faulttest

import (
	"os"
	"testing"

	"orchestrator/go/testutil/service"
)

// binary is the orchestrator binary built once by TestMain (read-only
// afterwards).
var binary string

func TestMain(m *testing.M) { os.Exit(service.Main(m, &binary)) }
