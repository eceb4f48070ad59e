package service

import (
	"fmt"
	"os"
	"testing"

	"orchestrator/go/testutil/sandbox"
)

// Main is for TestMain of a package that runs service processes: it
// builds the binary once into a temporary directory and stores its path
// in *binary, starts a sandbox with a backend MariaDB, runs the tests and
// cleans up. It returns the exit code.
//
//	func TestMain(m *testing.M) { os.Exit(service.Main(m, &binary)) }
func Main(m *testing.M, binary *string) int {
	dir, err := os.MkdirTemp("", "orchestrator-service-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	*binary, err = Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		return 1
	}
	return sandbox.Main(m, sandbox.Options{WithBackend: true})
}
