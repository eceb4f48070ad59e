package recovery

import (
	"fmt"
	"strings"
	"time"
)

// stopwatch times the steps of one check, for debug logs.
type stopwatch struct {
	start, last time.Time
	laps        []string
}

func newStopwatch() *stopwatch {
	now := time.Now()
	return &stopwatch{start: now, last: now}
}

// lap ends the step named name.
func (s *stopwatch) lap(name string) {
	now := time.Now()
	s.laps = append(s.laps, fmt.Sprintf("%s %v", name, now.Sub(s.last).Round(time.Millisecond)))
	s.last = now
}

func (s *stopwatch) String() string {
	return fmt.Sprintf("%v (%s)", s.last.Sub(s.start).Round(time.Millisecond), strings.Join(s.laps, ", "))
}
