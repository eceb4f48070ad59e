package inst

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "10m": 10 * time.Minute, "2h": 2 * time.Hour,
		"1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour, "0": 0, " 1h ": time.Hour, "366d": 366 * 24 * time.Hour} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"-1h", "x", "5x", "999d", "1.5d", "", "d", "+1d", "-0d", "53w", "9999999999999999999h", "1d2h", "1dd", "1wd", "0x1d", "1_0d"} {
		_, err := ParseDuration(in)
		require.ErrorIs(t, err, ErrBadRequest, in)
	}
}

// FuzzParseDuration: whatever the text, an error of kind ErrBadRequest
// or a duration from 0 to 366 days; never a panic.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "1d", "2w", "-1h", "1.5d", "99999999999d", "1h30m", "\\xff", "0d", "  7d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			require.ErrorIs(t, err, ErrBadRequest)
			require.True(t, strings.Contains(err.Error(), "duration"), err.Error())
			return
		}
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, 366*24*time.Hour)
	})
}
