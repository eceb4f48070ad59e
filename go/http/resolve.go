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

// resolveCacheLimit bounds the resolve cache: its names come from API
// requests, so anyone may add to it.
const resolveCacheLimit = 10000

// resolver resolves hostnames per HostnameResolveMethod and caches the
// answers for ExpiryHostnameResolvesMinutes (served by
// /api/hostname-resolve-cache). Expired answers are deleted at least
// once per expiry period, on the next insert or read; a cache full of
// live answers drops its oldest one for a new one.
type resolver struct {
	method string
	expiry time.Duration
	limit  int
	lookup *net.Resolver
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]resolved
	swept time.Time // last deletion of expired answers
}

type resolved struct {
	Hostname string
	At       time.Time
}

func newResolver(cfg *config.Config) *resolver {
	expiry := time.Duration(cfg.ExpiryHostnameResolvesMinutes) * time.Minute
	return &resolver{method: strings.ToLower(cfg.HostnameResolveMethod), expiry: expiry, limit: resolveCacheLimit, lookup: net.DefaultResolver,
		now: time.Now, cache: map[string]resolved{}}
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
	if ok && r.now().Sub(c.At) < r.expiry {
		return c.Hostname, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	name, err := r.lookupOne(ctx, host)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", host, err)
	}
	r.remember(host, name)
	return name, nil
}

// remember caches host's answer, keeping the cache within its bounds.
func (r *resolver) remember(host, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.swept) >= r.expiry || len(r.cache) >= r.limit {
		r.sweep(now)
	}
	if _, ok := r.cache[host]; !ok && len(r.cache) >= r.limit {
		r.dropOldest()
	}
	r.cache[host] = resolved{Hostname: name, At: now}
}

// sweep deletes the expired answers. The caller holds mu.
func (r *resolver) sweep(now time.Time) {
	for h, c := range r.cache {
		if now.Sub(c.At) >= r.expiry {
			delete(r.cache, h)
		}
	}
	r.swept = now
}

// dropOldest deletes the oldest answer. The caller holds mu.
func (r *resolver) dropOldest() {
	var oldest string
	var at time.Time
	for h, c := range r.cache {
		if oldest == "" || c.At.Before(at) {
			oldest, at = h, c.At
		}
	}
	delete(r.cache, oldest)
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

// entries returns hostname → resolved name of the live cache entries
// (deleting the expired ones).
func (r *resolver) entries() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(r.now())
	out := make(map[string]string, len(r.cache))
	for h, c := range r.cache {
		out[h] = c.Hostname
	}
	return out
}

func (r *resolver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = map[string]resolved{}
}
