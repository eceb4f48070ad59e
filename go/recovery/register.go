package recovery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// claim marks a cluster busy in this process; false when it already is.
func (rc *Recoverer) claim(cluster string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.busy[cluster] {
		return false
	}
	rc.busy[cluster] = true
	return true
}

func (rc *Recoverer) unclaim(cluster string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.busy, cluster)
}

func newUID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRecovery is the in-memory recovery for an analysis entry.
func (rc *Recoverer) newRecovery(e analysis.ReplicationAnalysis, kind, hint string) *TopologyRecovery {
	return &TopologyRecovery{UID: newUID(), AnalysisEntry: e, Type: kind, CommandHint: hint, IsActive: true,
		RecoveryStartTimestamp: inst.FormatTime(time.Now()), ProcessingNodeHostname: rc.d.Holder.Hostname,
		ProcessingNodeToken: rc.d.Holder.Token, LostReplicas: []inst.InstanceKey{}, ParticipatingInstanceKeys: []inst.InstanceKey{},
		AllErrors: []string{}, Decision: []string{}}
}

// register applies anti-flapping (unless forced) and stores the recovery.
// A blocked attempt is recorded in blocked_topology_recovery with why.
func (rc *Recoverer) register(ctx context.Context, r *TopologyRecovery, forced bool) error {
	e := r.AnalysisEntry
	key, cluster := e.AnalyzedInstanceKey, e.ClusterDetails.ClusterName
	if forced {
		if _, err := rc.d.Store.AckRecoveries(ctx, backend.RecoveryQuery{Key: &key, All: true}, rc.d.Holder.Hostname,
			"acknowledged by a forced recovery of the same instance"); err != nil {
			return err
		}
	} else {
		block := rc.conf().RecoveryPeriodBlock()
		if block <= 0 {
			block = time.Duration(rc.conf().RecoveryPeriodBlockMinutes) * time.Minute
		}
		prev, err := rc.d.Store.BlockingRecovery(ctx, cluster, key, block)
		switch {
		case err == nil:
			why := fmt.Sprintf("blocked by recovery %d (%s on %s, started %s): within RecoveryPeriodBlockSeconds=%d and not acknowledged; acknowledge it to allow a new recovery",
				prev.Id, prev.Analysis, prev.Key, inst.FormatTime(prev.StartActivePeriod), int(block.Seconds()))
			if err := rc.d.Store.RecordBlockedRecovery(ctx, backend.BlockedRecovery{FailedInstanceKey: key, ClusterName: cluster,
				Analysis: string(e.Analysis), BlockingRecoveryId: prev.Id, Reason: why}); err != nil {
				log.Errorf("%v", err)
			}
			return fmt.Errorf("%w: %s", ErrBlocked, why)
		case !errors.Is(err, backend.ErrNoRows):
			return err
		}
	}
	row := rc.toRow(r)
	row.StartActivePeriod = time.Now()
	id, err := rc.d.Store.InsertRecovery(ctx, &row)
	if err != nil {
		return err
	}
	r.Id = id
	return nil
}

// recordSkipped records why an actionable failure was not recovered
// (filters, global disable), so that users can see it.
func (rc *Recoverer) recordSkipped(ctx context.Context, e analysis.ReplicationAnalysis, why string) {
	if err := rc.d.Store.RecordBlockedRecovery(ctx, backend.BlockedRecovery{FailedInstanceKey: e.AnalyzedInstanceKey,
		ClusterName: e.ClusterDetails.ClusterName, Analysis: string(e.Analysis), Reason: why}); err != nil {
		log.Errorf("%v", err)
	}
}

// resolve writes the outcome and ends the recovery.
func (rc *Recoverer) resolve(ctx context.Context, r *TopologyRecovery) {
	r.RecoveryEndTimestamp = inst.FormatTime(time.Now())
	if ctx.Err() != nil {
		r.Interrupted = true
		r.addError(fmt.Errorf("interrupted: %w", context.Cause(ctx)))
	}
	if r.Id == 0 {
		return
	}
	row := rc.toRow(r)
	row.EndRecovery = time.Now()
	if err := rc.writeResolution(ctx, row); err != nil {
		log.Errorf("resolve recovery %s: %v; kept to write again when the backend answers", r.UID, err)
		rc.mu.Lock()
		rc.unresolved[row.UID] = row
		rc.mu.Unlock()
	}
	if rc.OnRecovery != nil {
		rc.OnRecovery(r)
	}
}

// resolveAttempts and resolveRetry bound writing a recovery's outcome
// inline (the backend may be restarting).
const (
	resolveAttempts = 3
	resolveRetry    = time.Second
)

// writeResolution writes a recovery's outcome, retrying a few times.
func (rc *Recoverer) writeResolution(ctx context.Context, row backend.RecoveryRow) error {
	var err error
	for n := 0; n < resolveAttempts; n++ {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*stepTimeout)
		err = rc.d.Store.ResolveRecovery(c, &row)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(resolveRetry)
	}
	return err
}

// flushUnresolved writes again the outcomes that could not be written
// when their recovery ended, so that no recovery stays open (and blocks
// its cluster) because the backend was briefly down.
func (rc *Recoverer) flushUnresolved(ctx context.Context) {
	rc.mu.Lock()
	rows := make([]backend.RecoveryRow, 0, len(rc.unresolved))
	for _, row := range rc.unresolved {
		rows = append(rows, row)
	}
	rc.mu.Unlock()
	for _, row := range rows {
		if err := rc.d.Store.ResolveRecovery(ctx, &row); err != nil {
			return
		}
		log.Infof("recovery %s: outcome written after the backend came back", row.UID)
		rc.mu.Lock()
		delete(rc.unresolved, row.UID)
		rc.mu.Unlock()
	}
}

// storedEntry is what analysis_entry holds: the entry and the decisions.
type storedEntry struct {
	Entry    analysis.ReplicationAnalysis
	Decision []string
}

func (rc *Recoverer) toRow(r *TopologyRecovery) backend.RecoveryRow {
	e := r.AnalysisEntry
	row := backend.RecoveryRow{UID: r.UID, Key: e.AnalyzedInstanceKey, ProcessingNodeHostname: r.ProcessingNodeHostname,
		ProcessingNodeToken: r.ProcessingNodeToken, Analysis: string(e.Analysis), ClusterName: e.ClusterDetails.ClusterName,
		ClusterAlias: e.ClusterDetails.ClusterAlias, CountAffectedReplicas: int(e.CountReplicas), ReplicaHosts: e.Replicas,
		ParticipatingInstanceKeys: r.ParticipatingInstanceKeys, LostReplicas: r.LostReplicas, AllErrors: r.AllErrors,
		IsSuccessful: r.IsSuccessful, LastDetectionId: r.LastDetectionId, RecoveryType: r.RecoveryType, Kind: r.Type,
		CommandHint: r.CommandHint, SuccessorAlias: r.SuccessorAlias, Interrupted: r.Interrupted}
	if r.SuccessorKey != nil {
		row.SuccessorKey = *r.SuccessorKey
	}
	if r.SuccessorBinlogCoordinates != nil {
		row.SuccessorBinlogCoords = r.SuccessorBinlogCoordinates.String()
	}
	if b, err := json.Marshal(storedEntry{Entry: e, Decision: r.Decision}); err == nil {
		row.AnalysisEntry = string(b)
	}
	if r.DataSafety != nil {
		if b, err := json.Marshal(r.DataSafety); err == nil {
			row.DataSafety = string(b)
		}
	}
	return row
}

// fromRow is the API shape of a stored recovery.
func fromRow(row backend.RecoveryRow) TopologyRecovery {
	r := TopologyRecovery{Id: row.Id, UID: row.UID, IsActive: row.InActivePeriod, IsSuccessful: row.IsSuccessful,
		LostReplicas: row.LostReplicas, ParticipatingInstanceKeys: row.ParticipatingInstanceKeys, AllErrors: row.AllErrors,
		RecoveryStartTimestamp: inst.FormatTime(row.StartActivePeriod), RecoveryEndTimestamp: inst.FormatTime(row.EndRecovery),
		ProcessingNodeHostname: row.ProcessingNodeHostname, ProcessingNodeToken: row.ProcessingNodeToken,
		Acknowledged: row.Acknowledged, AcknowledgedAt: inst.FormatTime(row.AcknowledgedAt), AcknowledgedBy: row.AcknowledgedBy,
		AcknowledgedComment: row.AcknowledgedComment, LastDetectionId: row.LastDetectionId, Type: row.Kind,
		RecoveryType: row.RecoveryType, CommandHint: row.CommandHint, Interrupted: row.Interrupted, SuccessorAlias: row.SuccessorAlias,
		Decision: []string{}}
	var se storedEntry
	if json.Unmarshal([]byte(row.AnalysisEntry), &se) == nil {
		r.AnalysisEntry = se.Entry
		if se.Decision != nil {
			r.Decision = se.Decision
		}
	}
	if row.SuccessorKey.Hostname != "" {
		k := row.SuccessorKey
		r.SuccessorKey = &k
	}
	if c, err := inst.ParseBinlogCoordinates(row.SuccessorBinlogCoords); err == nil && row.SuccessorBinlogCoords != "" {
		r.SuccessorBinlogCoordinates = &c
	}
	if row.DataSafety != "" {
		var ds DataSafetyReport
		if json.Unmarshal([]byte(row.DataSafety), &ds) == nil {
			r.DataSafety = &ds
		}
	}
	return r
}
