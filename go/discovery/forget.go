package discovery

import (
	"context"

	"orchestrator/go/inst"
)

// Forget removes an instance from the store and from what this Discoverer
// remembers of it (last probe, placement, failures, back-off). Without the
// second part, discovering it again right after (async-discover) was
// skipped as "probed less than half a poll interval ago", and nothing
// polls a forgotten instance, so it stayed unknown.
func (d *Discoverer) Forget(ctx context.Context, key inst.InstanceKey) error {
	if err := d.store.ForgetInstance(ctx, key); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.lastProbe, key)
	delete(d.failures, key)
	delete(d.retryAt, key)
	d.mu.Unlock()
	d.placedMu.Lock()
	delete(d.placed, key)
	d.placedMu.Unlock()
	return nil
}
