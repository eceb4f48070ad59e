package recovery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"orchestrator/go/inst"
)

// patientDrainLimit bounds the wait of DelayMasterPromotionIfSQLThreadNotUpToDate:
// a replica's relay log is waited for as long as its SQL thread applies
// something at least once every RelayLogDrainTimeoutSeconds, and at most
// this long in all.
const patientDrainLimit = 5 * time.Minute

// drainPlan is how replicas of a failed master are stopped before the
// choice, from the settings:
//
//   - default: each replica's IO thread is stopped and its SQL thread given
//     up to RelayLogDrainTimeoutSeconds to apply what was received (a
//     stopped SQL thread is left stopped); a replica that did not finish is
//     never promoted: candidate choice passes it over, saying why.
//   - FailMasterPromotionIfSQLThreadNotUpToDate: the same drain, but a
//     replica that did not finish is not passed over: when it is the one
//     the choice would promote, nothing is promoted and the recovery fails.
//   - DelayMasterPromotionIfSQLThreadNotUpToDate: each replica is waited
//     for until it has applied its relay log (a SQL thread stopped without
//     an error is started, while its IO thread still runs), for as long as
//     it makes progress within RelayLogDrainTimeoutSeconds and at most
//     patientDrainLimit; one that still did not finish is passed over as in
//     the default.
//
// Delayed replicas (SQL_Delay > 0), never promoted unless named, are
// stopped without waiting.
type drainPlan struct {
	timeout  time.Duration
	patient  bool
	failFast bool
	explicit inst.InstanceKey
}

func (rc *Recoverer) drainPlanFor(req Request) drainPlan {
	return drainPlan{timeout: rc.drainTimeout(), patient: rc.conf().DelayMasterPromotionIfSQLThreadNotUpToDate,
		failFast: rc.conf().FailMasterPromotionIfSQLThreadNotUpToDate, explicit: req.Candidate}
}

func (p drainPlan) String() string {
	switch {
	case p.patient:
		return fmt.Sprintf("letting each apply its relay log for as long as it makes progress within %s, at most %s "+
			"(DelayMasterPromotionIfSQLThreadNotUpToDate; a stopped SQL thread is started)", p.timeout, patientDrainLimit)
	case p.failFast:
		return fmt.Sprintf("letting each apply its relay log (up to %s; FailMasterPromotionIfSQLThreadNotUpToDate: "+
			"no promotion if the replica to promote did not)", p.timeout)
	}
	return fmt.Sprintf("letting each apply its relay log (up to %s; one that does not is not promoted)", p.timeout)
}

// drainAll stops replication on the reachable replicas in parallel per
// plan; it returns who applied their relay log and why the others did not.
func (rc *Recoverer) drainAll(ctx context.Context, rec *TopologyRecovery, replicas []*inst.Instance, p drainPlan) (map[inst.InstanceKey]bool, map[inst.InstanceKey]string) {
	drained := map[inst.InstanceKey]bool{}
	why := map[inst.InstanceKey]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range replicas {
		if !r.IsLastCheckValid {
			continue
		}
		wg.Add(1)
		go func(r *inst.Instance) {
			defer wg.Done()
			ok, reason := rc.drainOne(ctx, rec, r, p)
			mu.Lock()
			defer mu.Unlock()
			drained[r.Key] = ok
			if !ok {
				why[r.Key] = reason
			}
		}(r)
	}
	wg.Wait()
	return drained, why
}

func (rc *Recoverer) drainOne(ctx context.Context, rec *TopologyRecovery, r *inst.Instance, p drainPlan) (bool, string) {
	ap := rc.apply(rec)
	if r.SQLDelay > 0 && r.Key != p.explicit {
		ok, err := ap.StopReplicationNicely(ctx, r.Key, 0)
		if err != nil {
			return false, "could not stop replication: " + err.Error()
		}
		return ok, fmt.Sprintf("a delayed replica (SQL_Delay %ds): stopped without waiting for its relay log", r.SQLDelay)
	}
	if p.patient {
		ok, reason, err := ap.StopReplicationPatiently(ctx, r.Key, p.timeout, patientDrainLimit)
		if err != nil {
			return false, "could not stop replication to apply its relay log: " + err.Error()
		}
		return ok, reason
	}
	ok, err := ap.StopReplicationNicely(ctx, r.Key, p.timeout)
	switch {
	case err != nil:
		return false, "could not stop replication to apply its relay log: " + err.Error()
	case !ok:
		return false, fmt.Sprintf("its relay log was not fully applied within %s (SQL thread stopped or too slow)", p.timeout)
	}
	return true, ""
}
