package recovery

import (
	"context"
	"errors"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// downtimeLost downtimes the failed master and the lost replicas.
func (rc *Recoverer) downtimeLost(ctx context.Context, r *TopologyRecovery, keys []inst.InstanceKey) {
	minutes := rc.conf().MasterFailoverLostInstancesDowntimeMinutes
	if minutes == 0 {
		return
	}
	now := time.Now()
	for _, k := range keys {
		err := rc.d.Store.BeginDowntime(ctx, backend.Downtime{Key: k, Owner: "orchestrator", Reason: reasonLostRecovery,
			BeginsAt: now, EndsAt: now.Add(time.Duration(minutes) * time.Minute)})
		if err != nil {
			r.addError(err)
			continue
		}
		rc.step(ctx, r, "downtimed %s for %d minutes (%s)", k, minutes, reasonLostRecovery)
	}
}

// endSuccessorDowntime ends the downtime of the server a recovery
// promoted (or relocated replicas to), as upstream does: a downtimed
// master would have its own failures skipped by automated recovery. It
// runs whether or not hooks are skipped.
func (rc *Recoverer) endSuccessorDowntime(ctx context.Context, r *TopologyRecovery) {
	if r.SuccessorKey == nil || r.UID == "" {
		return
	}
	k := *r.SuccessorKey
	all, err := rc.d.Store.ActiveDowntimes(ctx)
	if err != nil {
		r.addError(err)
		return
	}
	d, ok := all[k]
	if !ok {
		return
	}
	if err := rc.d.Store.EndDowntime(ctx, k); err != nil && !errors.Is(err, inst.ErrNotFound) {
		r.addError(err)
		return
	}
	rc.decide(ctx, r, "ended the downtime of the successor %s (by %s: %s, until %s): it is a master now", k, d.Owner, d.Reason, inst.FormatTime(d.EndsAt))
}
