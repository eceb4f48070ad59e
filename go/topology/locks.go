package topology

import (
	"context"
	"fmt"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// DefaultLockDuration is how long maintenance and downtime last when no
// duration is given.
const DefaultLockDuration = 10 * time.Minute

func lockDuration(d time.Duration) (time.Duration, error) {
	switch {
	case d < 0:
		return 0, badRequest("invalid duration %v", d)
	case d == 0:
		return DefaultLockDuration, nil
	}
	return d, nil
}

// BeginMaintenance takes an operator's maintenance lock on key; it
// returns the lock id. A lock held by someone else fails with ErrLocked.
func (o *Operator) BeginMaintenance(ctx context.Context, key inst.InstanceKey, owner, reason string, d time.Duration) (int64, error) {
	const name = "begin-maintenance"
	if reason == "" {
		return 0, fmt.Errorf("%s %s: %w", name, key, badRequest("a reason is required"))
	}
	d, err := lockDuration(d)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", name, key, err)
	}
	i, err := o.known(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", name, key, err)
	}
	ids, err := o.store.BeginMaintenance(ctx, []inst.InstanceKey{key}, owner, reason, d, o.holder)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", name, key, err)
	}
	o.audit(ctx, name, key, i.ClusterName, fmt.Sprintf("maintenance begun by %s for %v: %s", owner, d, reason), nil)
	return ids[0], nil
}

// EndMaintenance releases key's maintenance lock.
func (o *Operator) EndMaintenance(ctx context.Context, key inst.InstanceKey) error {
	const name = "end-maintenance"
	if err := o.store.EndMaintenance(ctx, key); err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	o.audit(ctx, name, key, "", "maintenance ended", nil)
	return nil
}

// InMaintenance reports whether key has an active maintenance lock.
func (o *Operator) InMaintenance(ctx context.Context, key inst.InstanceKey) (bool, error) {
	list, err := o.store.ActiveMaintenance(ctx)
	if err != nil {
		return false, err
	}
	for _, m := range list {
		if m.Key == key {
			return true, nil
		}
	}
	return false, nil
}

// BeginDowntime marks key as downtimed for d (default 10 minutes).
func (o *Operator) BeginDowntime(ctx context.Context, key inst.InstanceKey, owner, reason string, d time.Duration) error {
	const name = "begin-downtime"
	if reason == "" {
		return fmt.Errorf("%s %s: %w", name, key, badRequest("a reason is required"))
	}
	d, err := lockDuration(d)
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	i, err := o.known(ctx, key)
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	now := time.Now()
	if err := o.store.BeginDowntime(ctx, backend.Downtime{Key: key, Owner: owner, Reason: reason, BeginsAt: now, EndsAt: now.Add(d)}); err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	o.audit(ctx, name, key, i.ClusterName, fmt.Sprintf("downtime begun by %s for %v: %s", owner, d, reason), nil)
	return nil
}

// EndDowntime ends key's downtime.
func (o *Operator) EndDowntime(ctx context.Context, key inst.InstanceKey) error {
	const name = "end-downtime"
	if err := o.store.EndDowntime(ctx, key); err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	o.audit(ctx, name, key, "", "downtime ended", nil)
	return nil
}
