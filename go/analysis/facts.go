package analysis

import (
	"time"

	"orchestrator/go/inst"
)

// minStall is the shortest silence that makes a replica's IO thread count
// as effectively dead, whatever its heartbeat period.
const minStall = 2 * time.Second

// facts is one analysed instance with its direct replicas sorted into the
// groups the rules talk about.
type facts struct {
	m        *inst.Instance
	replicas []*inst.Instance
	now      time.Time

	valid        bool // orchestrator's last probe of m succeeded
	partial      bool
	isMaster     bool
	isCoMaster   bool
	isGRMember   bool
	binlogServer bool
	staleFor     time.Duration // how long m's binlog coordinates have stood still
	staleCoords  bool

	validReplicas   []*inst.Instance
	invalidReplicas []*inst.Instance
	replicating     []*inst.Instance // valid, IO and SQL running (upstream's meaning)
	alive           []*inst.Instance // valid, IO running and receiving: evidence m is alive
	stalled         []*inst.Instance // valid, IO shows running but received nothing for too long
	ioDown          []*inst.Instance // valid, IO thread not running
	failing         []*inst.Instance // valid, failing to connect to m (upstream's meaning)
	lagging         []*inst.Instance
	delayed         []*inst.Instance
	downtimed       []*inst.Instance
	stalledFor      map[inst.InstanceKey]time.Duration
}

// replicasByMaster groups instances under the instance they replicate from.
func replicasByMaster(instances []*inst.Instance) map[inst.InstanceKey][]*inst.Instance {
	out := map[inst.InstanceKey][]*inst.Instance{}
	for _, i := range instances {
		if i.IsReplica() && !i.MasterKey.IsDetached() {
			out[i.MasterKey] = append(out[i.MasterKey], i)
		}
	}
	return out
}

func newFacts(s Snapshot, o Options, m *inst.Instance, replicas []*inst.Instance) *facts {
	f := &facts{
		m: m, replicas: replicas, now: s.now(o),
		valid:        m.LastCheckValid(o.Freshness),
		partial:      s.PartialSuccess[m.Key],
		isMaster:     m.IsMaster() && (m.ReplicationGroupName == "" || m.ReplicationGroupMemberRole == "PRIMARY"),
		isCoMaster:   m.IsCoMaster,
		isGRMember:   m.ReplicationGroupName != "" && m.ReplicationGroupMemberState != "OFFLINE",
		binlogServer: s.BinlogServers[m.Key],
		stalledFor:   map[inst.InstanceKey]time.Duration{},
	}
	if d, ok := s.StaleBinlogCoordinates[m.Key]; ok {
		f.staleFor = d
		f.staleCoords = d > o.lockedSemiSyncThreshold()
	}
	for _, r := range replicas {
		f.addReplica(s, o, r)
	}
	return f
}

func (f *facts) addReplica(s Snapshot, o Options, r *inst.Instance) {
	f.isCoMaster = f.isCoMaster || r.IsCoMaster
	if r.ReplicationLagSeconds.Valid && r.ReplicationLagSeconds.Int64 > o.ReasonableReplicationLagSeconds {
		f.lagging = append(f.lagging, r)
	}
	if r.SQLDelay > 0 {
		f.delayed = append(f.delayed, r)
	}
	if _, ok := s.downtime(r, f.now); ok {
		f.downtimed = append(f.downtimed, r)
	}
	if !r.LastCheckValid(o.Freshness) {
		f.invalidReplicas = append(f.invalidReplicas, r)
		return
	}
	f.validReplicas = append(f.validReplicas, r)
	if r.IsReplicating() {
		f.replicating = append(f.replicating, r)
	}
	if r.IsFailingToConnectToMaster() {
		f.failing = append(f.failing, r)
	}
	switch {
	case r.ReplicationIOThreadState != inst.ThreadStateRunning:
		f.ioDown = append(f.ioDown, r)
	case isStalled(r, s.ReplicaStalled[r.Key]):
		f.stalled = append(f.stalled, r)
		f.stalledFor[r.Key] = s.ReplicaStalled[r.Key]
	default:
		f.alive = append(f.alive, r)
	}
}

// stallThreshold is max(2 × heartbeat period, 2s).
func stallThreshold(r *inst.Instance) time.Duration {
	t := 2 * time.Duration(r.HeartbeatPeriod*float64(time.Second))
	return max(t, minStall)
}

// isStalled reports a replica whose IO thread shows Running but has
// received neither events nor heartbeats for longer than stallThreshold.
// With heartbeats disabled (period 0) an idle master sends nothing, so a
// frozen position proves nothing and the replica never counts as stalled.
func isStalled(r *inst.Instance, frozen time.Duration) bool {
	return r.HeartbeatPeriod > 0 && frozen > stallThreshold(r)
}

// agreeing counts the valid replicas that agree m is gone: IO thread down,
// or stalled.
func (f *facts) agreeing() int { return len(f.ioDown) + len(f.stalled) }

// connectFailures counts valid replicas failing to connect, stalled ones
// included (their IO thread is effectively dead).
func (f *facts) connectFailures() int { return len(f.failing) + len(f.stalled) }

func (f *facts) countReplicas() int { return len(f.replicas) }
func (f *facts) countValid() int    { return len(f.validReplicas) }
func (f *facts) allValid() bool     { return len(f.invalidReplicas) == 0 }
func (f *facts) someValid() bool    { return f.countValid() > 0 && !f.allValid() }

// allLagging: every replica lags, not all are delayed on purpose, and at
// least one still sees m.
func (f *facts) allLagging() bool {
	n := f.countReplicas()
	return n > 0 && len(f.lagging) == n && len(f.delayed) < n && len(f.alive) > 0
}

// worthAnalysing mirrors ReduceReplicationAnalysisCount: only instances
// that could have a problem.
func (f *facts) worthAnalysing() bool {
	return !f.valid || len(f.failing) > 0 || !f.allValid() || len(f.replicating) < f.countReplicas() ||
		f.m.IsFailingToConnectToMaster() || f.countReplicas() > 0
}

// semiSyncShort: semi-sync master active but with fewer clients than it
// waits for.
func (f *facts) semiSyncShort() bool {
	m := f.m
	return f.isMaster && m.SemiSyncMasterEnabled && m.SemiSyncMasterStatus &&
		m.SemiSyncMasterWaitForReplicaCount > 0 && m.SemiSyncMasterClients < m.SemiSyncMasterWaitForReplicaCount
}

func (f *facts) semiSyncTooMany() bool {
	m := f.m
	return f.isMaster && m.SemiSyncMasterEnabled && m.SemiSyncMasterStatus &&
		m.SemiSyncMasterWaitForReplicaCount > 0 && m.SemiSyncMasterClients > m.SemiSyncMasterWaitForReplicaCount
}

func (f *facts) loggingReplicas() []*inst.Instance {
	var out []*inst.Instance
	for _, r := range f.replicas {
		if r.LogBinEnabled && r.LogReplicationUpdatesEnabled {
			out = append(out, r)
		}
	}
	return out
}

// allValidReplicas reports whether every valid replica satisfies pred
// (false without valid replicas).
func (f *facts) allValidReplicas(pred func(*inst.Instance) bool) bool {
	for _, r := range f.validReplicas {
		if !pred(r) {
			return false
		}
	}
	return len(f.validReplicas) > 0
}
