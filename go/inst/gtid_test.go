package inst

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseGTIDSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		oracle  bool
		want    string
		wantErr bool
	}{
		{name: "oracle", in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-3:4-6", oracle: true, want: uuidA + ":1-6"},
		{name: "oracle empty", in: "", oracle: true, want: ""},
		{name: "mariadb", in: "1-2-50,0-1-100", oracle: false, want: "0-1-100,1-2-50"},
		{name: "mariadb empty", in: "", oracle: false, want: ""},
		{name: "mariadb text as oracle", in: "0-1-100", oracle: true, wantErr: true},
		{name: "oracle text as mariadb", in: uuidA + ":1", oracle: false, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, err := ParseGTIDSet(tc.in, tc.oracle)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrBadRequest)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, set.String())
			require.Equal(t, tc.want == "", set.IsEmpty())
			if tc.oracle {
				require.IsType(t, OracleGTIDSet{}, set)
			} else {
				require.IsType(t, MariaDBGTIDPos{}, set)
			}
		})
	}
}

func TestErrantGTID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		replica, master string
		oracle          bool
		want            string
		wantErr         bool
	}{
		{name: "oracle none", replica: uuidA + ":1-100", master: uuidA + ":1-120", oracle: true, want: ""},
		{name: "oracle equal", replica: uuidA + ":1-100", master: uuidA + ":1-100", oracle: true, want: ""},
		{name: "oracle both empty", replica: "", master: "", oracle: true, want: ""},
		{name: "oracle replica uuid", replica: uuidA + ":1-100," + uuidB + ":1-3", master: uuidA + ":1-120", oracle: true, want: uuidB + ":1-3"},
		{name: "oracle ahead of master", replica: uuidA + ":1-130", master: uuidA + ":1-120", oracle: true, want: uuidA + ":121-130"},
		{name: "oracle gap on master", replica: uuidA + ":1-20", master: uuidA + ":1-5:11-20", oracle: true, want: uuidA + ":6-10"},
		{name: "oracle newlines and case", replica: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n" + uuidB + ":1", master: uuidA + ":1-5", oracle: true, want: uuidB + ":1"},
		{name: "oracle bad replica", replica: "x", master: "", oracle: true, wantErr: true},
		{name: "oracle bad master", replica: "", master: "x", oracle: true, wantErr: true},
		{name: "mariadb none", replica: "0-1-100", master: "0-1-120", oracle: false, want: ""},
		{name: "mariadb both empty", replica: "", master: "", oracle: false, want: ""},
		{name: "mariadb seq beyond master", replica: "0-1-100,1-2-50", master: "0-1-100,1-2-40", oracle: false, want: "1-2-50"},
		{name: "mariadb domain master lacks", replica: "0-1-100,5-7-3", master: "0-1-100", oracle: false, want: "5-7-3"},
		{name: "mariadb other server id not beyond", replica: "0-7-90", master: "0-1-100", oracle: false, want: ""},
		{name: "mariadb other server id beyond", replica: "0-7-110", master: "0-1-100", oracle: false, want: "0-7-110"},
		{name: "mariadb bad replica", replica: "0-1", master: "", oracle: false, wantErr: true},
		{name: "mariadb bad master", replica: "", master: "0-1", oracle: false, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ErrantGTID(tc.replica, tc.master, tc.oracle)
			if tc.wantErr {
				require.Error(t, err)
				require.True(t, errors.Is(err, ErrBadRequest))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestGTIDCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a, b    string
		oracle  bool
		cmp     int
		ok      bool
		wantErr bool
	}{
		{name: "oracle equal", a: uuidA + ":1-6", b: uuidA + ":1-3:4-6", oracle: true, cmp: 0, ok: true},
		{name: "oracle both empty", a: "", b: "", oracle: true, cmp: 0, ok: true},
		{name: "oracle behind", a: uuidA + ":1-5", b: uuidA + ":1-10", oracle: true, cmp: -1, ok: true},
		{name: "oracle ahead", a: uuidA + ":1-10," + uuidB + ":1", b: uuidA + ":1-10", oracle: true, cmp: 1, ok: true},
		{name: "oracle empty behind", a: "", b: uuidA + ":1", oracle: true, cmp: -1, ok: true},
		{name: "oracle diverged uuids", a: uuidA + ":1-10," + uuidB + ":1", b: uuidA + ":1-10," + uuidC + ":1", oracle: true, cmp: 0, ok: false},
		{name: "oracle diverged gaps", a: uuidA + ":1-5:7", b: uuidA + ":1-6", oracle: true, cmp: 0, ok: false},
		{name: "oracle bad", a: uuidA, b: "", oracle: true, wantErr: true},
		{name: "mariadb equal", a: "0-1-100,1-2-50", b: "1-2-50,0-1-100", oracle: false, cmp: 0, ok: true},
		{name: "mariadb equal seqs other server", a: "0-1-100", b: "0-2-100", oracle: false, cmp: 0, ok: true},
		{name: "mariadb behind", a: "0-1-90", b: "0-1-100", oracle: false, cmp: -1, ok: true},
		{name: "mariadb ahead extra domain", a: "0-1-100,1-2-5", b: "0-1-100", oracle: false, cmp: 1, ok: true},
		{name: "mariadb empty behind", a: "", b: "0-1-1", oracle: false, cmp: -1, ok: true},
		{name: "mariadb diverged", a: "0-1-100,1-2-40", b: "0-1-90,1-2-50", oracle: false, cmp: 0, ok: false},
		{name: "mariadb diverged domains", a: "0-1-100", b: "1-2-50", oracle: false, cmp: 0, ok: false},
		{name: "mariadb bad", a: "", b: "zz", oracle: false, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmp, ok, err := GTIDCompare(tc.a, tc.b, tc.oracle)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrBadRequest)
				require.False(t, ok)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.cmp, cmp)
			// Swapping the arguments flips the answer.
			rcmp, rok, err := GTIDCompare(tc.b, tc.a, tc.oracle)
			require.NoError(t, err)
			require.Equal(t, tc.ok, rok)
			require.Equal(t, -tc.cmp, rcmp)
		})
	}
}
