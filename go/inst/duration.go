package inst

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds downtimes and maintenance given as a duration.
const maxDuration = 366 * 24 * time.Hour

// ParseDuration reads a duration as the CLI's --duration and the API's
// :duration give it: a Go duration (30s, 10m, 2h) or whole days or weeks
// (1d, 2w), from 0 to 366 days.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if unit, ok := units[lastByte(s)]; ok {
		digits := s[:len(s)-1]
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil || digits == "" || digits[0] == '+' {
			return 0, fmt.Errorf("%w: invalid duration %q (whole days or weeks: 1d, 2w)", ErrBadRequest, s)
		}
		if n > uint64(maxDuration/unit) {
			return 0, fmt.Errorf("%w: duration %q out of range (0 to 366 days)", ErrBadRequest, s)
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: invalid duration %q (e.g. 30s, 10m, 2h, 1d, 1w)", ErrBadRequest, s)
	}
	if d < 0 || d > maxDuration {
		return 0, fmt.Errorf("%w: duration %q out of range (0 to 366 days)", ErrBadRequest, s)
	}
	return d, nil
}

func lastByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[len(s)-1]
}
