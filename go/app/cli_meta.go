package app

import (
	"encoding/json"
	"fmt"
)

func metaCommands() []Command {
	const s = "Meta"
	return []Command{
		{Name: "help", Section: s, Help: "list every command", Run: func(e *Env) error { fmt.Fprint(e.Out, helpText(commandTable())); return nil }},
		{Name: "dump-config", Section: s, Help: "print the effective configuration as JSON (secrets redacted)", Run: cliDumpConfig},
		{Name: "redeploy-internal-db", Section: s, Help: "apply backend schema migrations now", Run: cliRedeploy},
		{Name: "active-nodes", Section: s, Help: "list live orchestrator nodes", Run: cliActiveNodes},
	}
}

func cliDumpConfig(e *Env) error {
	b, err := json.MarshalIndent(e.Config.Redacted(), "", "  ")
	if err != nil {
		return err
	}
	e.println(string(b))
	return nil
}

func cliRedeploy(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	if err := s.Migrate(e.Ctx); err != nil {
		return err
	}
	v, err := s.DeployedVersion(e.Ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "schema version %d\n", v)
	return nil
}

func cliActiveNodes(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	nodes, err := s.AvailableNodes(e.Ctx, 2*e.Config.HealthPollSeconds+1)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		fmt.Fprintf(e.Out, "%s\t%s\t%s\t%s\n", n.Hostname, n.Token, n.AppVersion, n.ExtraInfo)
	}
	return nil
}
