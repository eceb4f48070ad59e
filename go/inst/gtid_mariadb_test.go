package inst

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustMariaDB(t *testing.T, s string) MariaDBGTIDPos {
	t.Helper()
	pos, err := ParseMariaDBGTIDPos(s)
	require.NoError(t, err, s)
	return pos
}

func TestParseMariaDBGTIDPos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
		pos  MariaDBGTIDPos
	}{
		{name: "empty", in: "", want: "", pos: MariaDBGTIDPos{}},
		{name: "blank", in: " \n", want: "", pos: MariaDBGTIDPos{}},
		{name: "single", in: "0-1-100", want: "0-1-100", pos: MariaDBGTIDPos{0: {ServerID: 1, Seq: 100}}},
		{name: "multi domain", in: "0-1-100,1-2-50", want: "0-1-100,1-2-50", pos: MariaDBGTIDPos{0: {1, 100}, 1: {2, 50}}},
		{name: "sorted by domain", in: "10-2-50,2-1-7,0-3-1", want: "0-3-1,2-1-7,10-2-50"},
		{name: "spaces and newlines", in: " 0-1-100 ,\n1-2-50\n", want: "0-1-100,1-2-50"},
		{name: "trailing comma", in: "0-1-100,", want: "0-1-100"},
		{name: "seq zero", in: "0-1-0", want: "0-1-0"},
		{name: "duplicate keeps higher seq", in: "0-1-100,0-2-150,0-3-120", want: "0-2-150"},
		{name: "duplicate tie keeps first", in: "0-1-100,0-2-100", want: "0-1-100"},
		{name: "maximums", in: "4294967295-4294967295-18446744073709551615", want: "4294967295-4294967295-18446744073709551615"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pos, err := ParseMariaDBGTIDPos(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, pos.String())
			require.Equal(t, tc.want == "", pos.IsEmpty())
			if tc.pos != nil {
				require.Equal(t, tc.pos, pos)
			}
			again, err := ParseMariaDBGTIDPos(pos.String())
			require.NoError(t, err)
			require.True(t, again.Equals(pos))
		})
	}
}

func TestParseMariaDBGTIDPosInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		bad  string // the error names the bad part
	}{
		{name: "garbage", in: "hello", bad: "hello"},
		{name: "two parts", in: "0-1", bad: "0-1"},
		{name: "four parts", in: "0-1-2-3", bad: "0-1-2-3"},
		{name: "empty part", in: "0--2", bad: "0--2"},
		{name: "letters", in: "0-1-x", bad: "0-1-x"},
		{name: "sign", in: "0-+1-2", bad: "0-+1-2"},
		{name: "inner space", in: "0 -1-2", bad: "0 -1-2"},
		{name: "domain overflow", in: "4294967296-1-2", bad: "4294967296-1-2"},
		{name: "server overflow", in: "0-4294967296-2", bad: "0-4294967296-2"},
		{name: "seq overflow", in: "0-1-18446744073709551616", bad: "0-1-18446744073709551616"},
		{name: "good then bad", in: "0-1-2,1-2-y", bad: "1-2-y"},
		{name: "oracle set", in: uuidA + ":1-5", bad: uuidA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseMariaDBGTIDPos(tc.in)
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrBadRequest))
			require.Contains(t, err.Error(), tc.bad)
		})
	}
}

func TestMariaDBGTIDPosCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		a, b      string
		aHasB     bool   // a.Contains(b)
		bHasA     bool   // b.Contains(a)
		aAheadOfB string // a.AheadOf(b)
		bAheadOfA string // b.AheadOf(a)
		aBehindB  int64  // a.Behind(b)
		bBehindA  int64  // b.Behind(a)
		aEqualsB  bool
	}{
		{name: "both empty", a: "", b: "", aHasB: true, bHasA: true, aEqualsB: true},
		{name: "empty vs one", a: "", b: "0-1-10", aHasB: false, bHasA: true, bAheadOfA: "0-1-10", aBehindB: 10},
		{name: "equal", a: "0-1-100,1-2-50", b: "1-2-50,0-1-100", aHasB: true, bHasA: true, aEqualsB: true},
		// Server ids are carried but not compared.
		{name: "same seq other server", a: "0-1-100", b: "0-2-100", aHasB: true, bHasA: true},
		{name: "ahead in one domain", a: "0-1-100,1-2-50", b: "0-1-90,1-2-50", aHasB: true, bHasA: false, aAheadOfB: "0-1-100", bBehindA: 10},
		{name: "ahead in two domains", a: "0-1-100,1-2-50", b: "0-1-90,1-2-45", aHasB: true, aAheadOfB: "0-1-100,1-2-50", bBehindA: 15},
		{name: "extra domain", a: "0-1-100,1-2-50", b: "0-1-100", aHasB: true, aAheadOfB: "1-2-50", bBehindA: 50},
		{name: "missing domains both ways", a: "0-1-100", b: "1-2-50", aAheadOfB: "0-1-100", bAheadOfA: "1-2-50", aBehindB: 50, bBehindA: 100},
		{name: "diverged", a: "0-1-100,1-2-40", b: "0-3-90,1-2-50", aAheadOfB: "0-1-100", bAheadOfA: "1-2-50", aBehindB: 10, bBehindA: 10},
		{name: "failover new server id behind", a: "0-1-100", b: "0-2-120", bHasA: true, bAheadOfA: "0-2-120", aBehindB: 20},
		{name: "seq zero domain is nothing", a: "0-1-5,1-1-0", b: "0-1-5", aHasB: true, bHasA: true},
		{name: "behind saturates", a: "", b: "0-1-18446744073709551615,1-1-5", bHasA: true,
			bAheadOfA: "0-1-18446744073709551615,1-1-5", aBehindB: math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := mustMariaDB(t, tc.a), mustMariaDB(t, tc.b)
			require.Equal(t, tc.aHasB, a.Contains(b), "a contains b")
			require.Equal(t, tc.bHasA, b.Contains(a), "b contains a")
			require.Equal(t, tc.aAheadOfB, a.AheadOf(b).String(), "a ahead of b")
			require.Equal(t, tc.bAheadOfA, b.AheadOf(a).String(), "b ahead of a")
			require.Equal(t, tc.aBehindB, a.Behind(b), "a behind b")
			require.Equal(t, tc.bBehindA, b.Behind(a), "b behind a")
			require.Equal(t, tc.aEqualsB, a.Equals(b), "a equals b")
			require.Equal(t, tc.aEqualsB, b.Equals(a), "b equals a")
			// Contains and AheadOf/Behind agree.
			require.Equal(t, tc.aHasB, b.AheadOf(a).IsEmpty())
			require.Equal(t, tc.aHasB, a.Behind(b) == 0)
		})
	}
}

func TestMariaDBGTIDPosNil(t *testing.T) {
	t.Parallel()
	var zero MariaDBGTIDPos
	pos := mustMariaDB(t, "0-1-5")
	require.True(t, zero.IsEmpty())
	require.Equal(t, "", zero.String())
	require.Empty(t, zero.Domains())
	require.True(t, zero.Equals(MariaDBGTIDPos{}))
	require.True(t, pos.Contains(zero))
	require.False(t, zero.Contains(pos))
	require.Equal(t, int64(5), zero.Behind(pos))
	require.Equal(t, "0-1-5", pos.AheadOf(zero).String())
	require.True(t, zero.AheadOf(pos).IsEmpty())
	require.Equal(t, []uint32{0, 3, 7}, mustMariaDB(t, "7-1-1,0-1-1,3-1-1").Domains())
}

func FuzzParseMariaDBGTIDPos(f *testing.F) {
	for _, seed := range []string{
		"",
		"0-1-100",
		"0-1-100,1-2-50",
		" 0-1-100 ,\n1-2-50",
		"0-1-100,0-2-150",
		"4294967295-4294967295-18446744073709551615",
		"0-1",
		"garbage",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := ParseMariaDBGTIDPos(s)
		if err != nil {
			return
		}
		text := pos.String()
		again, err := ParseMariaDBGTIDPos(text)
		require.NoError(t, err, "canonical form %q of %q does not parse", text, s)
		require.True(t, again.Equals(pos), "%q -> %q -> %q", s, text, again.String())
		require.Equal(t, text, again.String())
		require.Equal(t, text == "", pos.IsEmpty())
		require.True(t, pos.Contains(pos))
		require.True(t, pos.AheadOf(pos).IsEmpty())
		require.Zero(t, pos.Behind(pos))
	})
}
