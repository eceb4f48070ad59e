package recovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func TestRestartLogSpacing(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	a, b := ckey(21002), ckey(21003)
	l := newRestartLog()
	steps := []struct {
		at   time.Duration
		keys []inst.InstanceKey
		want []inst.InstanceKey
	}{
		{0, []inst.InstanceKey{a, b}, []inst.InstanceKey{a, b}},
		{time.Second, []inst.InstanceKey{a, b}, nil},
		{4 * time.Second, []inst.InstanceKey{a}, nil},
		{5 * time.Second, []inst.InstanceKey{a}, []inst.InstanceKey{a}},
		{6 * time.Second, []inst.InstanceKey{a, b}, []inst.InstanceKey{b}},
	}
	for _, s := range steps {
		require.Equal(t, s.want, l.due(s.keys, 5*time.Second, now.Add(s.at)), "at %s", s.at)
	}
}
