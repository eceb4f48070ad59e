package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// TestReloaderAppliesReloadableKeysOnly: a reload hands every component
// the running configuration with the reloadable keys of the files; keys
// that need a restart keep their running value and are reported; a
// component that refuses keeps its own and is reported, and is offered
// the configuration again next time; a bad file changes nothing.
func TestReloaderAppliesReloadableKeysOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orchestrator.conf.json")
	write := func(body string) { require.NoError(t, os.WriteFile(path, []byte(body), 0o600)) }
	write(`{"BackendDB": "sqlite3", "SQLite3DataFile": "` + filepath.Join(dir, "o.db") + `", "ListenAddress": ":3000"}`)
	running, _, err := config.Load([]string{path}, true)
	require.NoError(t, err)
	rl := newReloader([]string{path}, true, running)
	var got []*config.Config
	refuse := true
	rl.add("first", func(c *config.Config) error { got = append(got, c); return nil })
	rl.add("picky", func(c *config.Config) error {
		if refuse {
			return errors.New("cannot change now")
		}
		return nil
	})

	write(`{"BackendDB": "sqlite3", "SQLite3DataFile": "` + filepath.Join(dir, "o.db") + `", "ListenAddress": ":3001",
		"ReadOnly": true, "RecoverMasterClusterFilters": ["prod"], "PostFailoverProcesses": ["echo x"], "InstancePollSeconds": 2}`)
	report, err := rl.Reload("")
	require.NoError(t, err)
	require.Equal(t, []string{path}, report.Files)
	require.Equal(t, []string{"InstancePollSeconds", "PostFailoverProcesses", "ReadOnly", "RecoverMasterClusterFilters"}, report.Applied)
	require.Equal(t, []string{"ListenAddress"}, report.NeedRestart)
	require.Equal(t, []config.Refusal{{Component: "picky", Error: "cannot change now"}}, report.Refused)
	require.Len(t, got, 1)
	require.True(t, got[0].ReadOnly)
	require.Equal(t, []string{"prod"}, got[0].RecoverMasterClusterFilters)
	require.EqualValues(t, 2, got[0].InstancePollSeconds)
	require.Equal(t, ":3000", got[0].ListenAddress, "restart keys keep their running value")
	require.False(t, running.ReadOnly, "the start configuration is not changed in place")
	require.Contains(t, summary(report), "applied: InstancePollSeconds, PostFailoverProcesses, ReadOnly, RecoverMasterClusterFilters")
	require.Contains(t, summary(report), "next start: ListenAddress")
	require.Contains(t, summary(report), "picky kept its configuration: cannot change now")

	refuse = false
	report, err = rl.Reload("")
	require.NoError(t, err)
	require.Empty(t, report.Applied, "already applied")
	require.Equal(t, []string{"ListenAddress"}, report.NeedRestart, "still waiting for a restart")
	require.Empty(t, report.Refused, "the picky component took it this time")
	require.Len(t, got, 2)

	write(`{"ReadOnly": "yes"}`)
	_, err = rl.Reload("")
	require.ErrorIs(t, err, inst.ErrRefused)
	require.Contains(t, err.Error(), "ReadOnly")
	require.Len(t, got, 2, "a bad file is applied to nothing")

	write(`{"BackendDB": "sqlite3", "SQLite3DataFile": "` + filepath.Join(dir, "o.db") + `", "ListenAddress": ":3000"}`)
	extra := filepath.Join(dir, "extra.json")
	require.NoError(t, os.WriteFile(extra, []byte(`{"WebMessage": "maintenance tonight"}`), 0o600))
	report, err = rl.Reload(extra)
	require.NoError(t, err)
	require.Equal(t, []string{path, extra}, report.Files)
	require.Contains(t, report.Applied, "WebMessage")
	require.Equal(t, "maintenance tonight", got[len(got)-1].WebMessage)
	_, err = rl.Reload(filepath.Join(dir, "nosuch.json"))
	require.ErrorIs(t, err, inst.ErrNotFound)
	_, err = rl.Reload("/etc/passwd")
	require.ErrorIs(t, err, inst.ErrBadRequest)
}
