package discovery

import (
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// resolver applies the hostname policy of the configuration to every key
// discovery handles:
//
//   - HostnameResolveMethod: "default" keeps a name as given (unless a
//     server taught us its own name for it, see below), "none" keeps it
//     as given always, "cname" follows its CNAME, "ip" replaces it by its
//     (first IPv4) address. A failed lookup keeps the name.
//   - RejectHostnameResolvePattern: a resolution whose result matches is
//     ignored (the name is kept).
//   - MySQLHostnameResolveMethod ("@@hostname", "@@report_host", "none"):
//     after a probe, the name the server gives itself becomes the
//     instance's hostname when it resolves to the address we connected
//     to. Unlike upstream, a name that does not resolve to that address
//     is not used (an unresolvable name would make the instance
//     unreachable), and a loopback key keeps its address: every server on
//     one machine reports the same @@hostname, which adds nothing but
//     confusion to 127.0.0.1:3307.
//
// Results are cached for ExpiryHostnameResolvesMinutes, and what a lookup
// or a server's own name taught is also handed to record (when set), which
// stores it in the backend for other processes to list.
type resolver struct {
	method, mysqlMethod string
	reject              *regexp.Regexp
	ttl                 time.Duration
	lookupCNAME         func(ctx context.Context, host string) (string, error)
	lookupIP            func(ctx context.Context, host string) ([]net.IPAddr, error)
	record              func(ctx context.Context, host, name string)

	mu    sync.Mutex
	cache map[string]resolved
	swept int // entries left by the last sweep of expired ones
}

type resolved struct {
	name string
	at   time.Time
}

const lookupTimeout = 2 * time.Second

func newResolver(cfg *config.Config) *resolver {
	r := &resolver{
		method:      strings.ToLower(strings.TrimSpace(cfg.HostnameResolveMethod)),
		mysqlMethod: strings.ToLower(strings.TrimSpace(cfg.MySQLHostnameResolveMethod)),
		ttl:         time.Duration(cfg.ExpiryHostnameResolvesMinutes) * time.Minute,
		lookupCNAME: net.DefaultResolver.LookupCNAME,
		lookupIP:    net.DefaultResolver.LookupIPAddr,
		cache:       map[string]resolved{},
	}
	if cfg.RejectHostnameResolvePattern != "" {
		r.reject, _ = regexp.Compile(cfg.RejectHostnameResolvePattern) // validated by config
	}
	if r.ttl <= 0 {
		r.ttl = time.Hour
	}
	return r
}

// Resolve returns key with its hostname resolved by the policy.
func (r *resolver) Resolve(ctx context.Context, key inst.InstanceKey) inst.InstanceKey {
	if !key.IsValid() || r.method == "none" {
		return key
	}
	if name, ok := r.cached(key.Hostname); ok {
		key.Hostname = name
		return key
	}
	name := key.Hostname
	if net.ParseIP(name) == nil && (r.method == "cname" || r.method == "ip") {
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		name = r.lookup(lctx, name)
		cancel()
		if r.reject != nil && r.reject.MatchString(name) {
			name = key.Hostname
		}
		r.remember(key.Hostname, name)
		r.learned(ctx, key.Hostname, name)
	}
	key.Hostname = name
	return key
}

func (r *resolver) lookup(ctx context.Context, host string) string {
	switch r.method {
	case "cname":
		if c, err := r.lookupCNAME(ctx, host); err == nil && c != "" {
			return strings.TrimSuffix(c, ".")
		}
	case "ip":
		if ip := r.firstIP(ctx, host); ip != nil {
			return ip.String()
		}
	}
	return host
}

func (r *resolver) firstIP(ctx context.Context, host string) net.IP {
	addrs, err := r.lookupIP(ctx, host)
	if err != nil || len(addrs) == 0 {
		return nil
	}
	for _, a := range addrs {
		if v4 := a.IP.To4(); v4 != nil {
			return v4
		}
	}
	return addrs[0].IP
}

func (r *resolver) cached(host string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[host]
	if !ok || time.Since(e.at) > r.ttl {
		return "", false
	}
	return e.name, true
}

// remember caches a resolution. Expired entries are swept out once the
// cache has grown by half since the last sweep, so hosts that went away
// do not stay in memory.
func (r *resolver) remember(host, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.cache[host] = resolved{name: name, at: now}
	if len(r.cache) < 2*r.swept+64 {
		return
	}
	for h, e := range r.cache {
		if now.Sub(e.at) > r.ttl {
			delete(r.cache, h)
		}
	}
	r.swept = len(r.cache)
}

// learned hands a resolution to record.
func (r *resolver) learned(ctx context.Context, host, name string) {
	if r.record != nil {
		r.record(ctx, host, name)
	}
}

// verdictPrefix marks cache entries that hold SelfName's answers, not
// resolutions.
const verdictPrefix = "\x00"

// entries returns hostname → resolved name of the live cache entries.
func (r *resolver) entries() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for h, e := range r.cache {
		if !strings.HasPrefix(h, verdictPrefix) && time.Since(e.at) <= r.ttl {
			out[h] = e.name
		}
	}
	return out
}

// reset empties the cache.
func (r *resolver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = map[string]resolved{}
}

// SelfName returns the name the server gives itself (by
// MySQLHostnameResolveMethod) when it should replace key's hostname: it
// differs and resolves to the address of key. The mapping is remembered so
// that other references to key's hostname (replicas' master hosts) resolve
// the same way.
func (r *resolver) SelfName(ctx context.Context, key inst.InstanceKey, hostname, reportHost string) (string, bool) {
	var name string
	switch r.mysqlMethod {
	case "@@hostname", "hostname", "default":
		name = hostname
	case "@@report_host", "report_host":
		name = reportHost
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || name == strings.ToLower(key.Hostname) || r.method == "none" || isLoopback(key.Hostname) {
		return "", false
	}
	if r.reject != nil && r.reject.MatchString(name) {
		return "", false
	}
	verdict := verdictPrefix + key.Hostname + verdictPrefix + name // cached answer for this pair
	if v, ok := r.cached(verdict); ok && v == "" {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	if !r.sameAddress(ctx, key.Hostname, name) {
		r.remember(verdict, "")
		return "", false
	}
	r.remember(key.Hostname, name)
	r.learned(ctx, key.Hostname, name)
	return name, true
}

// sameAddress reports whether name resolves to (one of) host's addresses.
func (r *resolver) sameAddress(ctx context.Context, host, name string) bool {
	want := map[string]bool{}
	if ip := net.ParseIP(host); ip != nil {
		want[ip.String()] = true
	} else if addrs, err := r.lookupIP(ctx, host); err == nil {
		for _, a := range addrs {
			want[a.IP.String()] = true
		}
	}
	addrs, err := r.lookupIP(ctx, name)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if want[a.IP.String()] {
			return true
		}
	}
	return false
}

// isLoopback reports a loopback address or localhost.
func isLoopback(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}
