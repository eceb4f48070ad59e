// Command migrate is a helper of go/backend's TestMigrationTwoProcesses: it
// loads a config file, waits until a start file exists (so that several
// copies begin together), migrates the backend and prints the schema
// version. Built by the test; not part of orchestrator.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/config"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: migrate CONFIG START_FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run(configPath, startFile string) error {
	cfg, _, err := config.Load([]string{configPath}, true)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		if _, err := os.Stat(startFile); err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("start file %s never appeared", startFile)
		}
		time.Sleep(2 * time.Millisecond)
	}
	s, err := backend.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	v, err := s.DeployedVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("schema version %d\n", v)
	return nil
}
