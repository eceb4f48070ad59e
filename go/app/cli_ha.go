package app

import (
	"errors"
	"fmt"

	"orchestrator/go/backend"
)

// haCommands: service-node and election commands.
func haCommands() []Command {
	const s = "Meta"
	return []Command{
		{Name: "reelect", Section: s, Help: "ask the leader to step down so that another node is elected (as /api/reelect)", Run: cliReelect},
		{Name: "leader", Section: s, Help: "print the leader node: hostname, token, app version, first and last seen", Run: cliLeader},
	}
}

func cliReelect(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	n, err := s.Reelect(e.Ctx)
	if errors.Is(err, backend.ErrNoRows) {
		e.println("no active leader; the next election tick elects one")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "asked %s (token %s) to step down\n", n.Hostname, n.Token)
	return nil
}

func cliLeader(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	n, err := s.ActiveNode(e.Ctx)
	if errors.Is(err, backend.ErrNoRows) {
		return errors.New("no active leader")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "%s\t%s\t%s\t%s\t%s\n", n.Hostname, n.Token, n.AppVersion, n.FirstSeenActive, n.LastSeenActive)
	return nil
}
