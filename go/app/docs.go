package app

import (
	"fmt"
	"sort"
	"strings"
)

// cliDocs renders docs/cli.md from the command table.
func cliDocs(table []Command) string {
	var b strings.Builder
	b.WriteString("# CLI reference\n\nGenerated from the command table (`go/app/cli_*.go`) by `UPDATE_DOCS=1 go test ./go/app -run TestCLIDocs`.\n\n")
	b.WriteString("Invocation: `orchestrator [--config file] -c <command> [-i host:port] [-d host:port] [--alias cluster] [--pattern regexp] [--owner name] [--reason text] [--duration 10m]`.\n")
	b.WriteString("Results go to stdout, one item per line; errors to stderr as one line with exit status 1.\n")
	bySection := map[string][]Command{}
	for _, c := range table {
		bySection[c.Section] = append(bySection[c.Section], c)
	}
	for _, s := range sectionOrder {
		cmds := bySection[s]
		if len(cmds) == 0 {
			continue
		}
		sort.Slice(cmds, func(a, b int) bool { return cmds[a].Name < cmds[b].Name })
		fmt.Fprintf(&b, "\n## %s\n\n| command | needs | aliases | what it does |\n|---|---|---|---|\n", s)
		for _, c := range cmds {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Needs.usage(), strings.Join(c.Aliases, ", "), c.Help)
		}
	}
	return b.String()
}
