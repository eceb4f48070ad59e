package http

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// TestResolveCacheStaysBounded: expired answers are deleted (not only
// hidden), and the cache never holds more than its limit, keeping the
// newest answers. Addresses resolve to themselves: no lookup is made.
func TestResolveCacheStaysBounded(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		limit int
		hosts int
		step  time.Duration // clock advance before each resolve
		then  time.Duration // clock advance before reading
		kept  []string
	}{
		{"expired answers deleted on insert", 100, 3, 40 * time.Second, 0, []string{"127.0.0.2", "127.0.0.3"}},
		{"expired answers deleted on read", 100, 3, time.Second, 2 * time.Minute, nil},
		{"full cache drops the oldest", 3, 5, time.Second, 0, []string{"127.0.0.3", "127.0.0.4", "127.0.0.5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Defaults()
			cfg.HostnameResolveMethod, cfg.ExpiryHostnameResolvesMinutes = "ip", 1
			r := newResolver(cfg)
			clock := time.Now()
			r.now, r.limit = func() time.Time { return clock }, tc.limit
			for n := 1; n <= tc.hosts; n++ {
				clock = clock.Add(tc.step)
				host := fmt.Sprintf("127.0.0.%d", n)
				got, err := r.resolve(context.Background(), host)
				require.NoError(t, err)
				require.Equal(t, host, got)
				require.LessOrEqual(t, len(r.cache), tc.limit)
			}
			clock = clock.Add(tc.then)
			entries := r.entries()
			require.Len(t, entries, len(tc.kept))
			for _, h := range tc.kept {
				require.Contains(t, entries, h)
			}
			require.Len(t, r.cache, len(tc.kept), "nothing expired is kept in memory")
		})
	}
}
