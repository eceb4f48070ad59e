package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCommandTableWellFormed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range commandTable() {
		require.NotEmpty(t, c.Name)
		require.NotEmpty(t, c.Help, c.Name)
		require.NotNil(t, c.Run, c.Name)
		require.Contains(t, sectionOrder, c.Section, "%s has an unknown section", c.Name)
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			require.False(t, seen[n], "duplicate command name %s", n)
			seen[n] = true
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	text := helpText(commandTable())
	for _, c := range commandTable() {
		require.Contains(t, text, c.Name)
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(append([]string{"orchestrator"}, args...), "test", &out, &errOut)
	return code, out.String(), errOut.String()
}

// sqliteConfig writes a config on a fresh SQLite file, with extra JSON
// members appended.
func sqliteConfig(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "conf.json")
	members := append([]string{`"BackendDB":"sqlite3"`, `"SQLite3DataFile":"` + filepath.Join(dir, "o.db") + `"`}, extra...)
	require.NoError(t, os.WriteFile(p, []byte("{"+strings.Join(members, ",")+"}"), 0o600))
	return p
}

func TestCLIErrors(t *testing.T) {
	t.Parallel()
	conf := sqliteConfig(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"--config", conf, "-c", "nope"}, `unknown command "nope"`},
		{"missing -i", []string{"--config", conf, "-c", "which-master"}, "needs -i"},
		{"bad key", []string{"--config", conf, "-c", "which-master", "-i", "bad host:x"}, "invalid"},
		{"unknown instance", []string{"--config", conf, "-c", "instance", "-i", "db9:3306"}, "unknown"},
		{"missing config", []string{"--config", "/nonexistent.json", "-c", "clusters"}, "nonexistent.json"},
		{"no command", []string{"--config", conf}, "no command"},
		{"help for unknown", []string{"help", "nope"}, "unknown command"},
		{"both -d and -s", []string{"--config", conf, "-c", "clusters", "-d", "a:1", "-s", "b:1"}, "either -d or -s"},
		{"unknown flag", []string{"--config", conf, "--bogus", "-c", "clusters"}, "flag provided but not defined: -bogus"},
		{"flag without value", []string{"--config", conf, "-c", "which-master", "-i"}, "flag needs an argument: -i"},
		{"argument after the command", []string{"--config", conf, "-c", "clusters", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := run(t, tc.args...)
			require.Equal(t, 1, code)
			require.Contains(t, errOut, tc.want)
			require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
		})
	}
}

func TestCLIHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "-c", "help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Information:")
	code, out, _ = run(t, "help", "which-replicas")
	require.Equal(t, 0, code)
	require.Contains(t, out, "which-slaves", "aliases are shown")
	code, out, _ = run(t, "--version")
	require.Equal(t, 0, code)
	require.Equal(t, "test\n", out)
	code, out, errOut := run(t, "--help")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "orchestrator [flags] http")
	require.Contains(t, out, "--instance value, -i value")
}

// TestConfigWarningsShown: an unknown key is reported on stderr at the
// default log level, the command still runs; --quiet hides it.
func TestConfigWarningsShown(t *testing.T) {
	t.Parallel()
	conf := sqliteConfig(t, `"NoSuchKey": 1`)
	code, _, errOut := run(t, "--config", conf, "-c", "clusters")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, `warning: config file `+conf+`: unknown key "NoSuchKey" ignored`)
	code, _, errOut = run(t, "--config", conf, "--quiet", "-c", "clusters")
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, errOut, "NoSuchKey")
}
