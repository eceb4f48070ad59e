package http

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// resolver resolves hostnames per HostnameResolveMethod and caches the
// answers for ExpiryHostnameResolvesMinutes (served by
// /api/hostname-resolve-cache).
type resolver struct {
	method string
	expiry time.Duration
	lookup *net.Resolver

	mu    sync.Mutex
	cache map[string]resolved
}

type resolved struct {
	Hostname string
	At       time.Time
}

func newResolver(cfg *config.Config) *resolver {
	expiry := time.Duration(cfg.ExpiryHostnameResolvesMinutes) * time.Minute
	return &resolver{method: strings.ToLower(cfg.HostnameResolveMethod), expiry: expiry, lookup: net.DefaultResolver, cache: map[string]resolved{}}
}

// resolve returns the canonical name of host: unchanged for the "none" and
// "default" methods, the CNAME target for "cname", the first address for "ip".
func (r *resolver) resolve(ctx context.Context, host string) (string, error) {
	if r.method != "cname" && r.method != "ip" {
		return host, nil
	}
	r.mu.Lock()
	c, ok := r.cache[host]
	r.mu.Unlock()
	if ok && time.Since(c.At) < r.expiry {
		return c.Hostname, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	name, err := r.lookupOne(ctx, host)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", host, err)
	}
	r.mu.Lock()
	r.cache[host] = resolved{Hostname: name, At: time.Now()}
	r.mu.Unlock()
	return name, nil
}

func (r *resolver) lookupOne(ctx context.Context, host string) (string, error) {
	if net.ParseIP(host) != nil {
		return host, nil
	}
	if r.method == "cname" {
		name, err := r.lookup.LookupCNAME(ctx, host)
		return strings.TrimSuffix(name, "."), err
	}
	addrs, err := r.lookup.LookupHost(ctx, host)
	if err != nil {
		return "", err
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("no address: %w", inst.ErrNotFound)
	}
	return addrs[0], nil
}

// entries returns hostname → resolved name of the live cache entries.
func (r *resolver) entries() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for h, c := range r.cache {
		if time.Since(c.At) < r.expiry {
			out[h] = c.Hostname
		}
	}
	return out
}

func (r *resolver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = map[string]resolved{}
}
