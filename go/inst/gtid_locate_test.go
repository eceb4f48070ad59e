package inst

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogsHolding(t *testing.T) {
	t.Parallel()
	u1, u2 := "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
	logs := []string{"bin.000001", "bin.000002", "bin.000003"}
	cases := []struct {
		name                string
		oracle              bool
		starts              []string
		end, errant, master string
		want                []string
	}{
		{name: "oracle: errant in the middle log", oracle: true,
			starts: []string{"", u1 + ":1-10", u1 + ":1-20," + u2 + ":1-2"}, end: u1 + ":1-30," + u2 + ":1-2",
			errant: u2 + ":1-2", master: u1 + ":1-30", want: []string{"bin.000002"}},
		{name: "oracle: errant across two logs", oracle: true,
			starts: []string{"", u2 + ":1", u1 + ":1-5," + u2 + ":1-3"}, end: u1 + ":1-9," + u2 + ":1-3",
			errant: u2 + ":1-3", master: u1 + ":1-9", want: []string{"bin.000001", "bin.000002"}},
		{name: "oracle: nothing errant", oracle: true,
			starts: []string{"", u1 + ":1-10", u1 + ":1-20"}, end: u1 + ":1-30", errant: "", master: u1 + ":1-30", want: []string{}},
		{name: "mariadb: the replica's own write in the last log",
			starts: []string{"", "0-1-10", "0-1-20"}, end: "0-2-21", errant: "0-2-21", master: "0-1-20", want: []string{"bin.000003"}},
		{name: "mariadb: errant seqs 11-12 spread over the first two logs",
			starts: []string{"", "0-2-11", "0-2-12"}, end: "0-1-30", errant: "0-2-12", master: "0-1-10", want: []string{"bin.000001", "bin.000002"}},
		{name: "mariadb: another domain only",
			starts: []string{"", "0-1-10", "0-1-20,7-2-1"}, end: "0-1-30,7-2-1", errant: "7-2-1", master: "0-1-30", want: []string{"bin.000002"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := LogsHolding(logs, c.starts, c.end, c.errant, c.master, c.oracle)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
	_, err := LogsHolding(logs, []string{""}, "", "", "", true)
	require.Error(t, err, "one start state per log")
	_, err = LogsHolding(logs[:1], []string{"garbage"}, "", "0-1-1", "", false)
	require.Error(t, err)
}
