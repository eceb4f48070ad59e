// Package recovery turns failure analysis into action: it detects failures
// (analysis of fresh probes), decides whether to recover (filters,
// anti-flapping, the per-cluster lock), promotes the right replica, moves
// the others, runs the hooks, and records every step with a data-safety
// report. Planned takeovers and dry runs use the same flows.
package recovery

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/topology"
)

// ProbeFunc probes an instance now and stores the result.
type ProbeFunc func(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error)

// Deps are what recoveries use; app constructs them.
type Deps struct {
	Store     *backend.Store
	Reader    *topology.Reader
	Inspector *mysql.Inspector
	Applier   *mysql.Applier
	Probe     ProbeFunc
	Hold      HoldFunc // optional: watched connections to masters
	Config    *config.Config
	Holder    backend.LockHolder // this node (or CLI) hostname and token
	// LockLease is how long a cluster's recovery lock holds without
	// renewal (0: 10 s); a running recovery renews it four times per lease.
	LockLease time.Duration
}

// Recoverer runs detections and recoveries. One per process.
type Recoverer struct {
	d        Deps
	cfg      atomic.Pointer[config.Config] // d.Config at first, replaced whole by ApplyConfig
	stalls   *stallTracker
	trigger  *pendingChecks // clusters to check now
	gate     *entryGate     // per analysed instance: work running, refusals held
	restarts *restartLog    // emergent IO thread restarts, per replica
	mu       sync.Mutex
	busy     map[string]bool // clusters with a recovery running in this process
	// unresolved: outcomes not yet written (backend down when the recovery
	// ended), written again by the loop.
	unresolved map[string]backend.RecoveryRow
	// OnRecovery, when set, is called after every recovery ends (metrics).
	OnRecovery func(r *TopologyRecovery)
}

// New builds a Recoverer.
func New(d Deps) *Recoverer {
	rc := &Recoverer{d: d, stalls: newStallTracker(), trigger: newPendingChecks(), gate: newEntryGate(), restarts: newRestartLog(), busy: map[string]bool{},
		unresolved: map[string]backend.RecoveryRow{}}
	rc.cfg.Store(d.Config)
	return rc
}

// conf is the configuration the Recoverer runs with now.
func (rc *Recoverer) conf() *config.Config { return rc.cfg.Load() }

// ApplyConfig takes a reloaded configuration: the recovery filters,
// block periods and hooks apply to the next detection, recovery or hook
// (a recovery under way reads each setting when it gets to it). It never
// refuses.
func (rc *Recoverer) ApplyConfig(cfg *config.Config) error {
	rc.cfg.Store(cfg)
	return nil
}

// Recovery kinds (TopologyRecovery.Type).
const (
	KindMaster             = "MasterRecovery"
	KindCoMaster           = "CoMasterRecovery"
	KindIntermediateMaster = "IntermediateMasterRecovery"
	KindGracefulTakeover   = "GracefulMasterTakeover"
)

// Recovery types (TopologyRecovery.RecoveryType).
const (
	TypeGTID        = "MasterRecoveryGTID"
	TypeCoordinates = "MasterRecoveryBinlogCoordinates"
)

// Command hints.
const (
	HintForceFailover   = "force-master-failover"
	HintForceTakeover   = "force-master-takeover"
	HintGraceful        = "graceful-master-takeover"
	HintRecover         = "recover"
	HintAutomated       = ""
	reasonLostRecovery  = "lost-in-recovery"
	defaultDrainTimeout = 10 * time.Second
)

// refusal is an error that is the caller's to resolve, not a fault of
// orchestrator: it matches inst.ErrRefused (HTTP 409).
type refusal string

func (r refusal) Error() string        { return string(r) }
func (r refusal) Is(target error) bool { return target == inst.ErrRefused }

// Errors callers tell apart; each matches inst.ErrRefused too.
var (
	ErrNotAttempted error = refusal("Recovery not attempted")
	ErrNoPromotion  error = refusal("Recovery attempted but no instance promoted")
	ErrBlocked      error = refusal("recovery blocked")
	ErrLocked       error = refusal("another recovery of this cluster is running")
)

// TopologyRecovery is a recovery in upstream's JSON shape, plus our
// Decision lines, data-safety report and interruption flag.
type TopologyRecovery struct {
	Id                         int64 //nolint:revive // upstream JSON name
	UID                        string
	AnalysisEntry              analysis.ReplicationAnalysis
	SuccessorKey               *inst.InstanceKey
	SuccessorAlias             string
	SuccessorBinlogCoordinates *inst.BinlogCoordinates
	IsActive                   bool
	IsSuccessful               bool
	LostReplicas               []inst.InstanceKey
	ParticipatingInstanceKeys  []inst.InstanceKey
	AllErrors                  []string
	RecoveryStartTimestamp     string
	RecoveryEndTimestamp       string
	ProcessingNodeHostname     string
	ProcessingNodeToken        string
	Acknowledged               bool
	AcknowledgedAt             string
	AcknowledgedBy             string
	AcknowledgedComment        string
	LastDetectionId            int64 //nolint:revive // upstream JSON name
	RelatedRecoveryId          int64 //nolint:revive // upstream JSON name
	Type                       string
	RecoveryType               string
	CommandHint                string
	Interrupted                bool
	Decision                   []string
	DataSafety                 *DataSafetyReport
	// fence is checked before every statement the recovery sends to a
	// server (see apply); nil refuses them all.
	fence Fence
}

// Outcome is "successful", "failed" or "interrupted" (metrics).
func (r *TopologyRecovery) Outcome() string {
	switch {
	case r.Interrupted:
		return "interrupted"
	case r.IsSuccessful:
		return "successful"
	}
	return "failed"
}

func (r *TopologyRecovery) addError(err error) {
	if err != nil {
		r.AllErrors = append(r.AllErrors, err.Error())
	}
}

func (r *TopologyRecovery) participate(keys ...inst.InstanceKey) {
	for _, k := range keys {
		if !containsKey(r.ParticipatingInstanceKeys, k) {
			r.ParticipatingInstanceKeys = append(r.ParticipatingInstanceKeys, k)
		}
	}
}

func containsKey(list []inst.InstanceKey, k inst.InstanceKey) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

func keyList(keys []inst.InstanceKey) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k.String())
	}
	return strings.Join(parts, ",")
}

// apply is the Applier a recovery acts through: every statement it sends
// first checks the recovery's fence, and none is sent without one.
func (rc *Recoverer) apply(r *TopologyRecovery) *mysql.Applier {
	fence := r.fence
	if fence == nil {
		fence = func() error { return fmt.Errorf("%w: recovery %s has no fence", ErrFenced, r.UID) }
	}
	return rc.d.Applier.Fenced(fence)
}

// candidateOptions are the configured rules of candidate choice.
func (rc *Recoverer) candidateOptions() CandidateOptions {
	c := rc.conf()
	return CandidateOptions{
		PromotionIgnoreHostnameFilters:       c.PromotionIgnoreHostnameFilters,
		PreventCrossDataCenterMasterFailover: c.PreventCrossDataCenterMasterFailover,
		PreventCrossRegionMasterFailover:     c.PreventCrossRegionMasterFailover,
		FailMasterPromotionOnLagMinutes:      c.FailMasterPromotionOnLagMinutes,
	}
}

func (rc *Recoverer) drainTimeout() time.Duration {
	if n := rc.conf().RelayLogDrainTimeoutSeconds; n > 0 {
		return time.Duration(n) * time.Second
	}
	return defaultDrainTimeout
}
