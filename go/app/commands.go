// Package app wires orchestrator together: the CLI command table, the
// service, signals. It is the only place that constructs components.
package app

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Needs says which flags a command requires.
type Needs uint

const (
	NeedInstance Needs = 1 << iota
	NeedDestination
	NeedPattern
	NeedReason
	NeedClusterHint // -i or --alias
)

// Command is one CLI command: adding a command is one entry in a section's
// table, and help, docs and dispatch are generated from it.
type Command struct {
	Name    string
	Section string
	Help    string
	Needs   Needs
	Aliases []string
	Run     func(e *Env) error
}

// Sections in display order.
var sectionOrder = []string{"Smart relocation", "Classic relocation", "GTID relocation", "Replication control",
	"Replication information", "Instance", "Binary logs", "Maintenance and downtime", "Information",
	"Discovery", "Recovery", "Meta"}

// commandTable is every command, assembled from the per-section tables.
func commandTable() []Command {
	var all []Command
	for _, section := range [][]Command{discoveryCommands(), informationCommands(), metaCommands(), hostnameCommands(), topologyCommands(), recoveryCommands(),
		auditCommands(), haCommands()} {
		all = append(all, section...)
	}
	return all
}

// findCommand looks a command up by name or alias (legacy "slave" names).
func findCommand(table []Command, name string) (Command, bool) {
	for _, c := range table {
		if c.Name == name {
			return c, true
		}
		for _, a := range c.Aliases {
			if a == name {
				return c, true
			}
		}
	}
	return Command{}, false
}

// checkNeeds validates the flags a command requires.
func checkNeeds(c Command, e *Env) error {
	switch {
	case c.Needs&NeedInstance != 0 && e.Flags.Instance == "":
		return fmt.Errorf("command %s needs -i <host:port>", c.Name)
	case c.Needs&NeedClusterHint != 0 && e.Flags.Instance == "" && e.Flags.Alias == "":
		return fmt.Errorf("command %s needs -i <host:port> or --alias <cluster>", c.Name)
	case c.Needs&NeedDestination != 0 && e.Flags.Destination == "":
		return fmt.Errorf("command %s needs -d <host:port>", c.Name)
	case c.Needs&NeedPattern != 0 && e.Flags.Pattern == "":
		return fmt.Errorf("command %s needs --pattern <regexp>", c.Name)
	case c.Needs&NeedReason != 0 && e.Flags.Reason == "":
		return fmt.Errorf("command %s needs --reason <text>", c.Name)
	}
	return nil
}

func (n Needs) usage() string {
	var parts []string
	if n&NeedInstance != 0 {
		parts = append(parts, "-i <instance>")
	}
	if n&NeedClusterHint != 0 {
		parts = append(parts, "-i <instance>|--alias <cluster>")
	}
	if n&NeedDestination != 0 {
		parts = append(parts, "-d <instance>")
	}
	if n&NeedPattern != 0 {
		parts = append(parts, "--pattern <regexp>")
	}
	if n&NeedReason != 0 {
		parts = append(parts, "--reason <text>")
	}
	return strings.Join(parts, " ")
}

// helpText lists every command grouped by section.
func helpText(table []Command) string {
	bySection := map[string][]Command{}
	for _, c := range table {
		bySection[c.Section] = append(bySection[c.Section], c)
	}
	var b strings.Builder
	b.WriteString("Usage: orchestrator [global flags] -c <command> [-i instance] [-d destination] ...\n       orchestrator [global flags] http\n")
	sections := append([]string{}, sectionOrder...)
	for s := range bySection {
		if !slices.Contains(sections, s) {
			sections = append(sections, s)
		}
	}
	for _, s := range sections {
		cmds := bySection[s]
		if len(cmds) == 0 {
			continue
		}
		sort.Slice(cmds, func(a, b int) bool { return cmds[a].Name < cmds[b].Name })
		fmt.Fprintf(&b, "\n%s:\n", s)
		for _, c := range cmds {
			fmt.Fprintf(&b, "  %-36s %s\n", c.Name, c.Help)
		}
	}
	b.WriteString("\nRun 'orchestrator help <command>' for one command.\n")
	return b.String()
}

// commandHelp explains one command.
func commandHelp(c Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n  %s\n", c.Name, c.Section, c.Help)
	if u := c.Needs.usage(); u != "" {
		fmt.Fprintf(&b, "  usage: orchestrator -c %s %s\n", c.Name, u)
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, "  aliases: %s\n", strings.Join(c.Aliases, ", "))
	}
	return b.String()
}
