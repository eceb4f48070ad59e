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
	b.WriteString("## Invocation\n\n" +
		"| command line | what it does |\n|---|---|\n" +
		"| `orchestrator [flags] http` | the service: HTTP API, web UI, and (on the leader) polling, recovery and cleanup |\n" +
		"| `orchestrator [flags] -c <command> [-i host:port] [-d host:port] ...` | one command against the backend and the servers, then exit |\n" +
		"| `orchestrator -c help` | every command, by section |\n" +
		"| `orchestrator help <command>` | one command: what it needs, its aliases, what it does |\n" +
		"| `orchestrator --help` | the flags |\n" +
		"| `orchestrator --version` | the version and commit |\n\n" +
		"Flags go before the command's arguments. Results go to stdout, one item per line; errors to stderr as one line with exit status 1. " +
		"Warnings about the configuration (unknown keys, credentials files readable by others) go to stderr unless `--quiet`.\n\n" +
		"An instance (`-i`, `-d`) is `host`, `host:port`, `[ipv6]:port` or a bare IPv6 address; the port defaults to `DefaultInstancePort`, " +
		"and `host:` with no port is an error. A host is a dotted-quad IPv4 address (a name of only digits and dots must be one), " +
		"an IPv6 address (stored canonically: `0:0:0:0:0:0:0:1` is `::1`) or a name of dot-separated labels of letters, digits, `-` and `_`, " +
		"each label starting and ending with a letter or digit (`_` is allowed inside a label for container names such as `app_mysql_1`). " +
		"Names are lowercased; `//host` is a detached master host.\n\n" +
		"## Flags\n\n| flag | meaning |\n|---|---|\n")
	for _, f := range globalFlags() {
		name, usage, _ := strings.Cut(f.String(), "\t")
		fmt.Fprintf(&b, "| `%s` | %s |\n", name, cell(usage))
	}
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
			needs := c.Needs.usage()
			if needs != "" {
				needs = "`" + needs + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, strings.ReplaceAll(needs, "|", "\\|"), strings.Join(c.Aliases, ", "), cell(c.Help))
		}
	}
	return b.String()
}

// cell escapes text for a Markdown table cell: a bar would end the cell
// and <word> would be taken for an HTML tag.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
}
