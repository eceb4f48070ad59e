// Command orchestrator is the MySQL/MariaDB replication topology manager:
// `orchestrator http` runs the service, `orchestrator -c <command>` the CLI.
package main

import (
	"os"

	"orchestrator/go/app"
)

// Set at build time: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(app.Run(os.Args, version+" ("+commit+")", os.Stdout, os.Stderr))
}
