package recovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

const (
	// rollbackWait bounds setting a candidate that failed after being made
	// writable back to read_only=1: retried, as the failure may be brief.
	rollbackWait = 10 * time.Second
	// rollbackTry bounds one attempt of it.
	rollbackTry = 2 * time.Second
)

// promote makes cand, chosen from fresh probes, the new master. Every step
// that can be checked is checked before the one that cannot be undone,
// and the other replicas are moved only after it returns:
//
//  1. validate, from a fresh probe: cand answers, is the server that was
//     chosen (same server_id), still has its binary log, and has executed
//     nothing since the choice. A failure here changes nothing;
//  2. record the intent to promote (nothing is promoted unrecorded);
//  3. with ApplyMySQLPromotionAfterMasterFailover (always for a graceful
//     takeover): stop its replication and set read_only=0;
//  4. probe it again: it must answer, writable;
//  5. then, last, RESET SLAVE ALL (retried once). Until this step its
//     replication settings are intact, so a failure at 3-5 is undone: it
//     is set back to read_only=1 (retried up to rollbackWait) and the
//     caller starts its replication where it was, with the others'.
//
// It returns the promoted server as probed at step 4.
func (rc *Recoverer) promote(ctx context.Context, r *TopologyRecovery, cand *inst.Instance, graceful bool) (*inst.Instance, error) {
	r.participate(cand.Key)
	if err := rc.validateCandidate(ctx, cand); err != nil {
		rc.decide(ctx, r, "%s not promoted: %v; nothing was changed on it", cand.Key, err)
		return nil, err
	}
	if r.Id != 0 {
		if err := rc.d.Store.RecordPromotionIntent(ctx, r.UID, cand.Key); err != nil {
			return nil, err
		}
	}
	apply := rc.conf().ApplyMySQLPromotionAfterMasterFailover || graceful
	if !apply {
		rc.step(ctx, r, "promoting %s (ApplyMySQLPromotionAfterMasterFailover is off: replication settings and read_only left as they are)", cand.Key)
		promoted, err := rc.answering(ctx, cand.Key, false)
		if err != nil {
			rc.decide(ctx, r, "promotion of %s failed: %v; nothing was changed on it", cand.Key, err)
		}
		return promoted, err
	}
	promoted, err := rc.makeWritable(ctx, r, cand.Key)
	if err != nil {
		rc.rollBack(ctx, r, cand.Key, err)
		return nil, err
	}
	rc.step(ctx, r, "promoted %s: replication reset, read_only=0", cand.Key)
	return promoted, nil
}

// validateCandidate checks, from a fresh probe, that cand can be promoted
// as chosen.
func (rc *Recoverer) validateCandidate(ctx context.Context, cand *inst.Instance) error {
	now, err := rc.answering(ctx, cand.Key, false)
	switch {
	case err != nil:
		return err
	case cand.ServerID != 0 && now.ServerID != cand.ServerID:
		return fmt.Errorf("%s now has server_id %d, not %d as when it was chosen: another server answers there", cand.Key, now.ServerID, cand.ServerID)
	case cand.LogBinEnabled && !now.LogBinEnabled:
		return fmt.Errorf("%s no longer has its binary log: it could not serve the other replicas", cand.Key)
	case now.ExecutedGTID() != cand.ExecutedGTID() || now.ExecBinlogCoordinates != cand.ExecBinlogCoordinates:
		return fmt.Errorf("%s executed more since it was chosen (%q, was %q): something still writes to it",
			cand.Key, now.ExecutedGTID()+" "+now.ExecBinlogCoordinates.String(), cand.ExecutedGTID()+" "+cand.ExecBinlogCoordinates.String())
	}
	return nil
}

// answering probes key now and returns it; an error when it does not
// answer (or, with writable, is still read-only).
func (rc *Recoverer) answering(ctx context.Context, key inst.InstanceKey, writable bool) (*inst.Instance, error) {
	if err := rc.fresh(ctx, key); err != nil {
		return nil, fmt.Errorf("%s does not answer: %w", key, err)
	}
	i, err := rc.d.Reader.Instance(ctx, key)
	switch {
	case err != nil:
		return nil, err
	case !i.IsLastCheckValid:
		return nil, fmt.Errorf("%s does not answer: its last check is invalid (%s)", key, i.LastProbeError)
	case writable && i.ReadOnly:
		return nil, fmt.Errorf("%s is still read_only after read_only=0", key)
	}
	return i, nil
}

// makeWritable runs steps 3-5 of promote.
func (rc *Recoverer) makeWritable(ctx context.Context, r *TopologyRecovery, key inst.InstanceKey) (*inst.Instance, error) {
	ap := rc.apply(r)
	if err := ap.StopReplication(ctx, key); err != nil {
		return nil, err
	}
	if err := ap.SetReadOnly(ctx, key, false); err != nil {
		return nil, err
	}
	promoted, err := rc.answering(ctx, key, true)
	if err != nil {
		return nil, fmt.Errorf("after read_only=0: %w", err)
	}
	if err := ap.ResetReplicaAll(ctx, key); err != nil {
		if err2 := ap.ResetReplicaAll(ctx, key); err2 != nil {
			return nil, fmt.Errorf("RESET SLAVE ALL (twice): %w", errors.Join(err, err2))
		}
	}
	return promoted, nil
}

// rollBack sets a candidate whose promotion failed after it may have been
// made writable back to read_only=1, retrying up to rollbackWait, and
// records the outcome. Its replication settings are intact (the reset is
// promote's last step): the caller starts it with the other replicas.
func (rc *Recoverer) rollBack(ctx context.Context, r *TopologyRecovery, key inst.InstanceKey, cause error) {
	deadline := time.Now().Add(rollbackWait)
	var err error
	for {
		c, cancel := context.WithTimeout(ctx, rollbackTry)
		err = rc.apply(r).SetReadOnly(c, key, true)
		cancel()
		if err == nil || errors.Is(err, ErrFenced) || !time.Now().Before(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err != nil {
		r.addError(err)
		rc.decide(ctx, r, "promotion of %s failed after read_only=0 may have been set (%v); setting read_only=1 back FAILED (%v): "+
			"it may be writable, with its replication settings kept — check it before anything else", key, cause, err)
		return
	}
	rc.decide(ctx, r, "promotion of %s failed after read_only=0 may have been set (%v); it was set back to read_only=1, "+
		"its replication settings kept (not reset)", key, cause)
}

// recordStates probes each server now and records, as decisions, what
// state it is in: whom it replicates from, its threads, read_only.
func (rc *Recoverer) recordStates(ctx context.Context, r *TopologyRecovery, keys []inst.InstanceKey) {
	rc.probeAll(ctx, keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		i, err := rc.d.Reader.Instance(ctx, k)
		switch {
		case err != nil:
			lines = append(lines, fmt.Sprintf("%s: cannot be read (%v)", k, err))
		case !i.IsLastCheckValid:
			lines = append(lines, fmt.Sprintf("%s: does not answer (%s)", k, i.LastProbeError))
		default:
			lines = append(lines, fmt.Sprintf("%s: %s, read_only=%t", k, replicationState(i), i.ReadOnly))
		}
	}
	rc.decide(ctx, r, "state after the failed attempt: %s", strings.Join(lines, "; "))
}

func replicationState(i *inst.Instance) string {
	if !i.IsReplica() {
		return "replicates from nobody"
	}
	thread := func(s inst.ReplicationThreadState) string {
		switch s {
		case inst.ThreadStateRunning:
			return "running"
		case inst.ThreadStateOther:
			return "connecting"
		}
		return "stopped"
	}
	return fmt.Sprintf("replicates from %s (IO %s, SQL %s)", i.MasterKey, thread(i.ReplicationIOThreadState), thread(i.ReplicationSQLThreadState))
}
