package sandbox

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	currentMu sync.Mutex
	current   *Sandbox
)

// Current returns the sandbox started by Main (nil outside Main).
func Current() *Sandbox {
	currentMu.Lock()
	defer currentMu.Unlock()
	return current
}

// Main is for TestMain: it starts a sandbox, runs the tests and stops it.
//
//	func TestMain(m *testing.M) { os.Exit(sandbox.Main(m, sandbox.Options{})) }
//
// The tests reach the sandbox through Current(). When the sandbox cannot
// start, Main prints why and returns 1: tests that need a database fail
// loudly instead of being skipped. With SANDBOX_KEEP=1 the sandbox is left
// running for debugging (its directory and ports are printed); otherwise
// it is destroyed, and script/sandbox's watchdog also destroys it within a
// second or so if the test binary dies without cleaning up.
func Main(m *testing.M, opts Options) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	t0 := time.Now()
	sb, err := Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandbox: cannot start the MariaDB sandbox: %v\n", err)
		return 1
	}
	if testing.Verbose() || Keep() {
		fmt.Fprintf(os.Stderr, "%s (started in %v)\n", sb, time.Since(t0).Round(time.Millisecond))
	}
	currentMu.Lock()
	current = sb
	currentMu.Unlock()

	code := m.Run()

	if Keep() {
		fmt.Fprintf(os.Stderr, "sandbox: SANDBOX_KEEP set, leaving %s running; remove with: script/sandbox --dir %s destroy\n", sb, sb.Dir)
		return code
	}
	if err := sb.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "sandbox: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
