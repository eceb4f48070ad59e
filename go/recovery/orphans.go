package recovery

import (
	"context"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
)

// orphanClaim is how long the leader holds a lapsed recovery lock while it
// ends the orphaned recovery (it releases it at once after).
const orphanClaim = 30 * time.Second

// endOrphans records as interrupted every unresolved recovery whose
// runner no longer holds a live lease on its cluster's recovery lock (the
// runner died, hung, or lost the backend for a whole lease), and releases
// the lock it left, so a new recovery of the cluster need not wait. A
// recovery whose runner still renews its lease is left alone, whichever
// process runs it (this node, another node's API call, a CLI). An
// interrupted recovery keeps blocking its cluster (anti-flapping) when it
// had recorded the intent to promote: only a person can tell whether
// another promotion is safe.
func (rc *Recoverer) endOrphans(ctx context.Context) {
	c, cancel := context.WithTimeout(ctx, 2*stepTimeout)
	defer cancel()
	rows, err := rc.d.Store.ReadRecoveries(c, backend.RecoveryQuery{InProgress: true, All: true})
	if err != nil {
		if ctx.Err() == nil {
			log.Errorf("orphaned recoveries: %v", err)
		}
		return
	}
	for _, r := range rows {
		ended, err := rc.d.Store.EndOrphanedRecovery(c, r, rc.d.Holder, orphanClaim)
		if err != nil {
			if ctx.Err() == nil {
				log.Errorf("orphaned recovery %d of %s: %v", r.Id, r.Key, err)
			}
			continue
		}
		if ended {
			log.Warningf("recovery %d of %s (%s) by %s (%s) stopped renewing its lock on %s before it ended: recorded as interrupted%s",
				r.Id, r.Key, r.Analysis, r.ProcessingNodeHostname, r.ProcessingNodeToken, r.ClusterName, blocksNote(r))
		}
	}
}

// blocksNote says whether an interrupted recovery keeps blocking.
func blocksNote(r backend.RecoveryRow) string {
	if r.SuccessorKey.Hostname == "" {
		return " (it had promoted nothing: it does not block a new recovery)"
	}
	return "; it may have promoted " + r.SuccessorKey.String() + ": acknowledge it to allow a new recovery of " + r.ClusterName
}
