package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// fakeDNS answers lookups from a table (pure logic: the policy, not DNS).
func fakeDNS(r *resolver, cnames map[string]string, ips map[string][]string) {
	r.lookupCNAME = func(_ context.Context, host string) (string, error) {
		if c, ok := cnames[host]; ok {
			return c + ".", nil
		}
		return "", errors.New("no such host")
	}
	r.lookupIP = func(_ context.Context, host string) ([]net.IPAddr, error) {
		var out []net.IPAddr
		for _, a := range ips[host] {
			out = append(out, net.IPAddr{IP: net.ParseIP(a)})
		}
		if len(out) == 0 {
			return nil, errors.New("no such host")
		}
		return out, nil
	}
}

func newTestResolver(method, mysqlMethod, reject string) *resolver {
	cfg := config.Defaults()
	cfg.HostnameResolveMethod, cfg.MySQLHostnameResolveMethod, cfg.RejectHostnameResolvePattern = method, mysqlMethod, reject
	r := newResolver(cfg)
	fakeDNS(r, map[string]string{"db-vip": "db1.example.com"},
		map[string][]string{"db1.example.com": {"2001:db8::1", "192.0.2.10"}, "db1": {"192.0.2.10"}, "db2": {"192.0.2.20"}})
	return r
}

func TestResolveMethods(t *testing.T) {
	ctx := context.Background()
	k := func(h string) inst.InstanceKey { return inst.InstanceKey{Hostname: h, Port: 3306} }
	cases := []struct {
		method, reject, host, want string
	}{
		{"default", "", "db-vip", "db-vip"},
		{"none", "", "db-vip", "db-vip"},
		{"cname", "", "db-vip", "db1.example.com"},
		{"cname", "", "unknown", "unknown"},
		{"cname", `\.example\.com$`, "db-vip", "db-vip"},
		{"ip", "", "db1.example.com", "192.0.2.10"},
		{"ip", "", "192.0.2.99", "192.0.2.99"},
		{"ip", "", "unknown", "unknown"},
	}
	for _, c := range cases {
		r := newTestResolver(c.method, "none", c.reject)
		require.Equal(t, k(c.want), r.Resolve(ctx, k(c.host)), "%s %s", c.method, c.host)
	}
}

// TestResolveRealLocalhost resolves through the system resolver.
func TestResolveRealLocalhost(t *testing.T) {
	cfg := config.Defaults()
	cfg.HostnameResolveMethod = "ip"
	got := newResolver(cfg).Resolve(context.Background(), inst.InstanceKey{Hostname: "localhost", Port: 3306})
	require.Equal(t, "127.0.0.1", got.Hostname)
}

func TestSelfName(t *testing.T) {
	ctx := context.Background()
	ip := inst.InstanceKey{Hostname: "192.0.2.10", Port: 3306}

	r := newTestResolver("default", "@@hostname", "")
	name, ok := r.SelfName(ctx, ip, "DB1", "")
	require.True(t, ok)
	require.Equal(t, "db1", name)
	// Learned: the address now resolves to the name everywhere.
	require.Equal(t, "db1", r.Resolve(ctx, ip).Hostname)

	_, ok = newTestResolver("default", "@@hostname", "").SelfName(ctx, ip, "db2", "")
	require.False(t, ok, "a name of another address is not taken")
	_, ok = newTestResolver("default", "@@hostname", "").SelfName(ctx, ip, "nowhere", "")
	require.False(t, ok, "an unresolvable name is not taken")
	_, ok = newTestResolver("default", "none", "").SelfName(ctx, ip, "db1", "")
	require.False(t, ok)
	_, ok = newTestResolver("default", "@@hostname", "^db").SelfName(ctx, ip, "db1", "")
	require.False(t, ok, "rejected by RejectHostnameResolvePattern")
	name, ok = newTestResolver("default", "@@report_host", "").SelfName(ctx, ip, "db2", "db1.example.com")
	require.True(t, ok)
	require.Equal(t, "db1.example.com", name)
	_, ok = newTestResolver("default", "@@hostname", "").SelfName(ctx, inst.InstanceKey{Hostname: "127.0.0.1", Port: 3307}, "localhost", "")
	require.False(t, ok, "loopback keys keep their address")
}

// TestResolveCacheSweepsExpired: expired resolutions leave the cache once
// it has grown, live ones stay.
func TestResolveCacheSweepsExpired(t *testing.T) {
	t.Parallel()
	r := newTestResolver("default", "none", "")
	r.ttl = time.Hour
	for n := range 100 {
		r.remember(fmt.Sprintf("old%d", n), "x")
	}
	r.mu.Lock()
	for h, e := range r.cache {
		e.at = e.at.Add(-2 * time.Hour) // expired
		r.cache[h] = e
	}
	r.mu.Unlock()
	for n := range 300 {
		r.remember(fmt.Sprintf("new%d", n), "y")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for h := range r.cache {
		require.NotContains(t, h, "old", "expired entries swept")
	}
	require.Len(t, r.cache, 300, "live entries kept")
}
