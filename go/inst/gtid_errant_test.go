package inst

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrantAgainstAncestry(t *testing.T) {
	const (
		m   = "00000000-0000-0000-0000-00000000000a"
		top = "00000000-0000-0000-0000-00000000000b"
		r   = "00000000-0000-0000-0000-00000000000c"
		x   = "00000000-0000-0000-0000-00000000000d"
	)
	anc := Ancestry{}.With(&Instance{ServerUUID: top, ServerID: 1}).With(&Instance{ServerUUID: m, ServerID: 2})
	cases := []struct {
		name, replica, master string
		oracle                bool
		want                  string
	}{
		{"oracle: replica ahead of a stale read of the master", top + ":1-20," + m + ":1-3", top + ":1-10," + m + ":1-2", true, ""},
		{"oracle: a local write", top + ":1-10," + r + ":1-2", top + ":1-10", true, r + ":1-2"},
		{"oracle: tagged local writes", top + ":1-10," + r + ":ops:1", top + ":1-10", true, r + ":ops:1"},
		{"oracle: a foreign source the master lacks", top + ":1-10," + x + ":5", top + ":1-10", true, x + ":5"},
		{"oracle: a foreign source the master has", top + ":1-10," + x + ":5", top + ":1-12," + x + ":1-5", true, ""},
		{"mariadb: ahead through the ancestry (stale master read)", "0-1-20", "0-1-10", false, ""},
		{"mariadb: a local write", "0-3-11", "0-1-10", false, "0-3-11"},
		{"mariadb: a local write in its own domain", "0-1-10,5-3-1", "0-1-10", false, "5-3-1"},
		{"mariadb: lagging", "0-1-8", "0-1-10", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ErrantAgainstAncestry(c.replica, c.master, c.oracle, anc)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
	_, err := ErrantAgainstAncestry("garbage", "", true, anc)
	require.Error(t, err)
	require.Len(t, anc.UUIDs, 2, "With copies")
	require.Equal(t, []uint{1, 2}, anc.ServerIDs)
}
