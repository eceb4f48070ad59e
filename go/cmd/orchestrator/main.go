// Command orchestrator is the MySQL/MariaDB replication topology manager:
// `orchestrator http` runs the service, `orchestrator -c <command>` the CLI.
package main

import (
	"os"

	"github.com/go-martini/martini"

	"orchestrator/go/app"
)

// Set at build time: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	if os.Getenv("MARTINI_ENV") == "" {
		// The HTTP library's development mode recompiles (absent) templates
		// on every request.
		martini.Env = martini.Prod
	}
	os.Exit(app.Run(os.Args, version+" ("+commit+")", os.Stdout, os.Stderr))
}
