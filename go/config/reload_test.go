package config

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReloadableKeysAreFields(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeOf(Config{})
	for key := range reloadable {
		_, ok := typ.FieldByName(key)
		require.True(t, ok, "reloadable key %s is not a Config field", key)
	}
}

func TestChangesAndWithReloaded(t *testing.T) {
	t.Parallel()
	old := Defaults()
	next := Defaults()
	next.ReadOnly = true
	next.DiscoveryIgnoreHostnameFilters = []string{"^skip"}
	next.PostFailoverProcesses = []string{"echo {failedHost}"}
	next.ListenAddress = ":3001"
	next.MySQLTopologyPassword = "new-secret"
	applied, restart := old.Changes(next)
	require.Equal(t, []string{"DiscoveryIgnoreHostnameFilters", "PostFailoverProcesses", "ReadOnly"}, applied)
	require.Equal(t, []string{"ListenAddress", "MySQLTopologyPassword"}, restart, "names only, never values")

	merged := old.WithReloaded(next)
	require.True(t, merged.ReadOnly)
	require.Equal(t, []string{"^skip"}, merged.DiscoveryIgnoreHostnameFilters)
	require.Equal(t, ":3000", merged.ListenAddress, "a restart key keeps its running value")
	require.Empty(t, merged.MySQLTopologyPassword)
	require.False(t, old.ReadOnly, "the running value is not changed in place")
	applied, restart = merged.Changes(next)
	require.Empty(t, applied, "everything reloadable was taken")
	require.Equal(t, []string{"ListenAddress", "MySQLTopologyPassword"}, restart)
	applied, restart = old.Changes(Defaults())
	require.Empty(t, applied)
	require.Empty(t, restart)
}
