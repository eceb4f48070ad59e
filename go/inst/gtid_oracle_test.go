package inst

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidC = "00000000-0000-0000-0000-000000000001"
)

func mustOracle(t *testing.T, s string) OracleGTIDSet {
	t.Helper()
	set, err := ParseOracleGTIDSet(s)
	require.NoError(t, err, s)
	return set
}

func TestParseOracleGTIDSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "blank", in: " \n ", want: ""},
		{name: "single", in: uuidA + ":1", want: uuidA + ":1"},
		{name: "range", in: uuidA + ":1-5", want: uuidA + ":1-5"},
		{name: "upper case uuid", in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18", want: uuidA + ":1-5:11-18"},
		{name: "multi uuid", in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18," + uuidB + ":1", want: uuidA + ":1-5:11-18," + uuidB + ":1"},
		{name: "mysql newlines", in: uuidB + ":1-3,\n" + uuidA + ":1-2,\n" + uuidC + ":7", want: uuidC + ":7," + uuidA + ":1-2," + uuidB + ":1-3"},
		{name: "sorted by uuid", in: uuidB + ":1," + uuidA + ":1", want: uuidA + ":1," + uuidB + ":1"},
		{name: "adjacent merged", in: uuidA + ":1-3:4-6", want: uuidA + ":1-6"},
		{name: "overlapping merged", in: uuidA + ":1-5:3-8:8", want: uuidA + ":1-8"},
		{name: "unsorted intervals", in: uuidA + ":10-20:1-3:5", want: uuidA + ":1-3:5:10-20"},
		{name: "single as range", in: uuidA + ":7-7", want: uuidA + ":7"},
		{name: "repeated uuid merged", in: uuidA + ":1-3," + uuidA + ":4", want: uuidA + ":1-4"},
		{name: "repeated uuid different case", in: uuidA + ":1-3,3E11FA47-71CA-11E1-9E33-C80AA9429562:5", want: uuidA + ":1-3:5"},
		{name: "spaces", in: "  " + uuidA + " : 1 - 3 : 5 ,  ", want: uuidA + ":1-3:5"},
		{name: "trailing comma", in: uuidA + ":1,", want: uuidA + ":1"},
		{name: "max gno", in: uuidA + ":9223372036854775807", want: uuidA + ":9223372036854775807"},
		{name: "tagged", in: uuidA + ":tag1:1-5", want: uuidA + ":tag1:1-5"},
		{name: "tag upper case", in: uuidA + ":TAG_1:1-5", want: uuidA + ":tag_1:1-5"},
		{name: "untagged and tagged", in: uuidA + ":1-5:tag1:1-3:tag2:4", want: uuidA + ":1-5:tag1:1-3:tag2:4"},
		{name: "tags sorted after untagged", in: uuidA + ":zz:1," + uuidA + ":aa:2:3," + uuidA + ":9", want: uuidA + ":9:aa:2-3:zz:1"},
		{name: "tag is part of identity", in: uuidA + ":1-3:t:4-6", want: uuidA + ":1-3:t:4-6"},
		{name: "underscore tag", in: uuidA + ":_x:1", want: uuidA + ":_x:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, err := ParseOracleGTIDSet(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, set.String())
			require.Equal(t, tc.want == "", set.IsEmpty())
			again, err := ParseOracleGTIDSet(set.String())
			require.NoError(t, err)
			require.True(t, again.Equals(set))
		})
	}
}

func TestParseOracleGTIDSetInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		mention string // the error names the bad part
	}{
		{name: "garbage", in: "hello", mention: "hello"},
		{name: "uuid without intervals", in: uuidA, mention: uuidA},
		{name: "uuid with empty interval", in: uuidA + ":", mention: uuidA},
		{name: "short uuid", in: "3e11fa47-71ca-11e1-9e33:1", mention: "3e11fa47-71ca-11e1-9e33"},
		{name: "non hex uuid", in: "3e11fa47-71ca-11e1-9e33-c80aa942956z:1", mention: "c80aa942956z"},
		{name: "uuid without dashes", in: "3e11fa4771ca11e19e33c80aa9429562:1", mention: "3e11fa4771ca11e19e33c80aa9429562"},
		{name: "zero", in: uuidA + ":0", mention: `"0"`},
		{name: "zero start", in: uuidA + ":0-5", mention: "0-5"},
		{name: "reversed", in: uuidA + ":5-3", mention: "5-3"},
		{name: "negative", in: uuidA + ":-3", mention: "-3"},
		{name: "plus sign", in: uuidA + ":+3", mention: "+3"},
		{name: "open range", in: uuidA + ":3-", mention: "3-"},
		{name: "double range", in: uuidA + ":1-2-3", mention: "1-2-3"},
		{name: "overflow", in: uuidA + ":9223372036854775808", mention: "9223372036854775808"},
		{name: "good then bad", in: uuidA + ":1," + uuidB + ":x1", mention: uuidB},
		{name: "tag without intervals", in: uuidA + ":tag", mention: "tag"},
		{name: "tag then tag", in: uuidA + ":t1:t2:1", mention: "t1"},
		{name: "tag too long", in: uuidA + ":a23456789012345678901234567890123:1", mention: "a23456789012345678901234567890123"},
		{name: "tag bad character", in: uuidA + ":ta-g:1", mention: "ta-g"},
		{name: "missing comma", in: uuidA + ":1 " + uuidB + ":1", mention: uuidB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseOracleGTIDSet(tc.in)
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrBadRequest))
			require.Contains(t, err.Error(), tc.mention)
		})
	}
}

func TestOracleGTIDSetCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want int64
	}{
		{name: "empty", in: "", want: 0},
		{name: "single", in: uuidA + ":7", want: 1},
		{name: "range", in: uuidA + ":1-5", want: 5},
		{name: "gaps", in: uuidA + ":1-5:11-18", want: 13},
		{name: "multi uuid", in: uuidA + ":1-5:11-18," + uuidB + ":1", want: 14},
		{name: "overlap counted once", in: uuidA + ":1-5:3-7", want: 7},
		{name: "tags counted apart", in: uuidA + ":1-5:t:1-5", want: 10},
		{name: "whole range", in: uuidA + ":1-9223372036854775807", want: math.MaxInt64},
		{name: "saturates", in: uuidA + ":1-9223372036854775807," + uuidB + ":1", want: math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, mustOracle(t, tc.in).Count())
		})
	}
}

func TestOracleGTIDSetContains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "empty contains empty", a: "", b: "", want: true},
		{name: "anything contains empty", a: uuidA + ":1", b: "", want: true},
		{name: "empty does not contain", a: "", b: uuidA + ":1", want: false},
		{name: "itself", a: uuidA + ":1-5:10-20", b: uuidA + ":1-5:10-20", want: true},
		{name: "prefix", a: uuidA + ":1-5:10-20", b: uuidA + ":1-3", want: true},
		{name: "inside second interval", a: uuidA + ":1-5:10-20", b: uuidA + ":12-20", want: true},
		{name: "several intervals", a: uuidA + ":1-5:10-20", b: uuidA + ":2:4-5:10:19-20", want: true},
		{name: "in the gap", a: uuidA + ":1-5:10-20", b: uuidA + ":6", want: false},
		{name: "spanning the gap", a: uuidA + ":1-5:10-20", b: uuidA + ":4-11", want: false},
		{name: "beyond the end", a: uuidA + ":1-5:10-20", b: uuidA + ":21", want: false},
		{name: "other uuid", a: uuidA + ":1-5", b: uuidB + ":1", want: false},
		{name: "multi uuid", a: uuidA + ":1-5," + uuidB + ":1-9", b: uuidB + ":3," + uuidA + ":5", want: true},
		{name: "multi uuid one missing", a: uuidA + ":1-5," + uuidB + ":1-9", b: uuidB + ":3," + uuidC + ":1", want: false},
		{name: "tag is not untagged", a: uuidA + ":1-5", b: uuidA + ":t:1", want: false},
		{name: "tagged", a: uuidA + ":1-5:t:1-5", b: uuidA + ":t:2", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, mustOracle(t, tc.a).Contains(mustOracle(t, tc.b)))
		})
	}
}

func TestOracleGTIDSetSubtractUnion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		a, b     string
		subtract string // a - b
		union    string
	}{
		{name: "empty", a: "", b: "", subtract: "", union: ""},
		{name: "minus empty", a: uuidA + ":1-5", b: "", subtract: uuidA + ":1-5", union: uuidA + ":1-5"},
		{name: "from empty", a: "", b: uuidA + ":1-5", subtract: "", union: uuidA + ":1-5"},
		{name: "itself", a: uuidA + ":1-5", b: uuidA + ":1-5", subtract: "", union: uuidA + ":1-5"},
		{name: "subset", a: uuidA + ":1-3", b: uuidA + ":1-5", subtract: "", union: uuidA + ":1-5"},
		{name: "hole in the middle", a: uuidA + ":1-10", b: uuidA + ":4-6", subtract: uuidA + ":1-3:7-10", union: uuidA + ":1-10"},
		{name: "several holes", a: uuidA + ":1-20", b: uuidA + ":2:5-6:10-12:20", subtract: uuidA + ":1:3-4:7-9:13-19", union: uuidA + ":1-20"},
		{name: "head and tail", a: uuidA + ":5-10", b: uuidA + ":1-5:10-15", subtract: uuidA + ":6-9", union: uuidA + ":1-15"},
		{name: "b spans intervals of a", a: uuidA + ":1-5:8-12:15-20", b: uuidA + ":4-16", subtract: uuidA + ":1-3:17-20", union: uuidA + ":1-20"},
		{name: "disjoint adjacent", a: uuidA + ":1-5", b: uuidA + ":6-9", subtract: uuidA + ":1-5", union: uuidA + ":1-9"},
		{name: "other uuid", a: uuidA + ":1-5", b: uuidB + ":1-5", subtract: uuidA + ":1-5", union: uuidA + ":1-5," + uuidB + ":1-5"},
		{name: "errant on replica", a: uuidA + ":1-100," + uuidB + ":1-3", b: uuidA + ":1-120", subtract: uuidB + ":1-3", union: uuidA + ":1-120," + uuidB + ":1-3"},
		{name: "max gno", a: uuidA + ":1-9223372036854775807", b: uuidA + ":5-9223372036854775807", subtract: uuidA + ":1-4", union: uuidA + ":1-9223372036854775807"},
		{name: "tags", a: uuidA + ":1-5:t:1-5", b: uuidA + ":t:2-3", subtract: uuidA + ":1-5:t:1:4-5", union: uuidA + ":1-5:t:1-5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := mustOracle(t, tc.a), mustOracle(t, tc.b)
			diff := a.Subtract(b)
			require.Equal(t, tc.subtract, diff.String())
			require.Equal(t, tc.subtract == "", diff.IsEmpty())
			require.Equal(t, tc.union, a.Union(b).String())
			require.Equal(t, tc.union, b.Union(a).String())
			// Inputs are left alone.
			require.True(t, a.Equals(mustOracle(t, tc.a)))
			require.True(t, b.Equals(mustOracle(t, tc.b)))
			// (a - b) ∪ b == a ∪ b, and a ∪ b contains both.
			require.True(t, diff.Union(b).Equals(a.Union(b)))
			require.True(t, a.Union(b).Contains(a))
			require.True(t, a.Union(b).Contains(b))
		})
	}
}

func TestOracleGTIDSetEquals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "both empty", a: "", b: "", want: true},
		{name: "empty and not", a: "", b: uuidA + ":1", want: false},
		{name: "different spelling", a: uuidA + ":1-3:4-6", b: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-6", want: true},
		{name: "different intervals", a: uuidA + ":1-6", b: uuidA + ":1-5", want: false},
		{name: "different uuids", a: uuidA + ":1", b: uuidB + ":1", want: false},
		{name: "tag differs", a: uuidA + ":1", b: uuidA + ":t:1", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := mustOracle(t, tc.a), mustOracle(t, tc.b)
			require.Equal(t, tc.want, a.Equals(b))
			require.Equal(t, tc.want, b.Equals(a))
		})
	}
}

func TestOracleGTIDSetAccessors(t *testing.T) {
	t.Parallel()
	set := mustOracle(t, uuidB+":1-3:7,"+uuidA+":2:t:5")
	require.Equal(t, []string{uuidA, uuidA + ":t", uuidB}, set.UUIDs())
	require.Equal(t, []GTIDInterval{{1, 3}, {7, 7}}, set.Intervals(uuidB))
	require.Equal(t, []GTIDInterval{{5, 5}}, set.Intervals(uuidA+":T"))
	require.Nil(t, set.Intervals(uuidC))

	// The returned slice is a copy.
	ivs := set.Intervals(uuidB)
	ivs[0].End = 100
	require.Equal(t, uuidA+":2:t:5,"+uuidB+":1-3:7", set.String())

	var zero OracleGTIDSet
	require.True(t, zero.IsEmpty())
	require.Equal(t, "", zero.String())
	require.Equal(t, int64(0), zero.Count())
	require.True(t, zero.Equals(mustOracle(t, "")))
	require.True(t, set.Contains(zero))
	require.True(t, set.Subtract(set).Equals(zero))
}

func FuzzParseOracleGTIDSet(f *testing.F) {
	for _, seed := range []string{
		"",
		uuidA + ":1-5:11-18",
		"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18,\n" + uuidB + ":1",
		uuidA + ":1-3:4-6",
		uuidA + ":1-5:tag1:1-3:TAG2:4",
		uuidA + ":1-9223372036854775807",
		uuidA + ":0",
		"garbage",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseOracleGTIDSet(s)
		if err != nil {
			return
		}
		text := set.String()
		again, err := ParseOracleGTIDSet(text)
		require.NoError(t, err, "canonical form %q of %q does not parse", text, s)
		require.True(t, again.Equals(set), "%q -> %q -> %q", s, text, again.String())
		require.Equal(t, text, again.String())
		require.Equal(t, text == "", set.IsEmpty())
		require.True(t, set.Contains(set))
		require.True(t, set.Union(set).Equals(set))
		require.True(t, set.Subtract(set).IsEmpty())
		require.GreaterOrEqual(t, set.Count(), int64(len(set.UUIDs())))
	})
}

// TestOracleGTIDSetAgainstModel checks the interval arithmetic against a plain
// per-transaction model on random small sets.
func TestOracleGTIDSetAgainstModel(t *testing.T) {
	t.Parallel()
	const maxGNO = 40
	uuids := []string{uuidA, uuidB}
	rng := rand.New(rand.NewPCG(1, 2))
	type model map[string]map[int64]bool
	randomSet := func() (string, model) {
		m := model{}
		var parts []string
		for _, u := range uuids {
			if rng.IntN(4) == 0 {
				continue
			}
			elem := u
			for range rng.IntN(5) + 1 {
				start := rng.Int64N(maxGNO) + 1
				end := min(start+rng.Int64N(8), maxGNO)
				elem += fmt.Sprintf(":%d-%d", start, end)
				for g := start; g <= end; g++ {
					if m[u] == nil {
						m[u] = map[int64]bool{}
					}
					m[u][g] = true
				}
			}
			parts = append(parts, elem)
		}
		rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return strings.Join(parts, ",\n"), m
	}
	fromModel := func(m model) OracleGTIDSet {
		var parts []string
		for u, gnos := range m {
			for g, in := range gnos {
				if in {
					parts = append(parts, fmt.Sprintf("%s:%d", u, g))
				}
			}
		}
		return mustOracle(t, strings.Join(parts, ","))
	}
	for i := range 2000 {
		aText, am := randomSet()
		bText, bm := randomSet()
		a, b := mustOracle(t, aText), mustOracle(t, bText)
		require.True(t, a.Equals(fromModel(am)), "case %d: parse %q", i, aText)

		contains := true
		diff, union := model{}, model{}
		var count int64
		for u := range am {
			for g := range am[u] {
				count++
				if !bm[u][g] {
					if diff[u] == nil {
						diff[u] = map[int64]bool{}
					}
					diff[u][g] = true
				}
			}
		}
		for _, m := range []model{am, bm} {
			for u := range m {
				for g := range m[u] {
					if union[u] == nil {
						union[u] = map[int64]bool{}
					}
					union[u][g] = true
				}
			}
		}
		for u := range bm {
			for g := range bm[u] {
				if !am[u][g] {
					contains = false
				}
			}
		}
		require.Equal(t, count, a.Count(), "case %d: count %q", i, aText)
		require.Equal(t, contains, a.Contains(b), "case %d: %q contains %q", i, aText, bText)
		require.True(t, a.Subtract(b).Equals(fromModel(diff)), "case %d: %q - %q", i, aText, bText)
		require.True(t, a.Union(b).Equals(fromModel(union)), "case %d: %q + %q", i, aText, bText)
	}
}
