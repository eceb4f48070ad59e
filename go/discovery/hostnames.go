package discovery

import (
	"context"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/inst"
)

// The hostname policy as operations: resolve, list and reset the
// resolutions discovery uses. The API (/api/resolve,
// /api/hostname-resolve-cache, /api/reset-hostname-resolve-cache) and the
// CLI (resolve, show-resolve-hosts, reset-hostname-resolve-cache) call
// these, so both see the names discovery actually probes.

// Resolve applies the hostname policy to key, as discovery does before
// probing (see resolver).
func (d *Discoverer) Resolve(ctx context.Context, key inst.InstanceKey) inst.InstanceKey {
	return d.resolver.Resolve(ctx, key)
}

// recordResolve stores a resolution the resolver learned; a failure is
// logged (the resolution still applies in this process).
func (d *Discoverer) recordResolve(ctx context.Context, host, name string) {
	if err := d.store.RecordHostnameResolve(ctx, host, name, time.Now()); err != nil {
		log.Errorf("discovery: %v", err)
	}
}

// HostnameResolves returns hostname → resolved name: the resolutions this
// process holds, and those any process recorded in the backend within
// ExpiryHostnameResolvesMinutes.
func (d *Discoverer) HostnameResolves(ctx context.Context) (map[string]string, error) {
	out, err := d.store.HostnameResolves(ctx, time.Now().Add(-d.resolver.ttl))
	if err != nil {
		return nil, err
	}
	for h, name := range d.resolver.entries() {
		out[h] = name
	}
	return out, nil
}

// ResetHostnameResolves forgets every resolution, in this process and in
// the backend; names are looked up again when next used.
func (d *Discoverer) ResetHostnameResolves(ctx context.Context) error {
	d.resolver.reset()
	return d.store.ResetHostnameResolves(ctx)
}
