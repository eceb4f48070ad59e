package analysis

import (
	"time"

	"orchestrator/go/inst"
)

// Downtime is an operator's statement that an instance is known broken
// until EndsAt.
type Downtime struct {
	Owner    string
	Reason   string
	BeginsAt time.Time
	EndsAt   time.Time
}

// Snapshot is everything analysis looks at, read by the caller from the
// backend (and from consecutive probes) at one moment.
type Snapshot struct {
	Instances []*inst.Instance
	// Downtimed holds downtimes; one counts while EndsAt is after Now. An
	// instance whose IsDowntimed field is set counts as downtimed too.
	Downtimed map[inst.InstanceKey]Downtime
	// InMaintenance: instances under an active maintenance lock (or with
	// IsMaintenance set) get no entry of their own.
	InMaintenance map[inst.InstanceKey]bool
	// StaleBinlogCoordinates: for how long a master's own binlog
	// coordinates have not moved (absent: they moved at the last probe).
	StaleBinlogCoordinates map[inst.InstanceKey]time.Duration
	// ReplicaStalled: for how long a replica's received position
	// (Gtid_IO_Pos / Read_Master_Log_Pos) and received-heartbeat count have
	// not moved, computed by the caller from consecutive probes (absent:
	// they moved at the last probe). See the holistic rule on Analyze.
	ReplicaStalled map[inst.InstanceKey]time.Duration
	// PartialSuccess: the last probe connected but some of its reads failed.
	PartialSuccess map[inst.InstanceKey]bool
	// BinlogServers: instances that are binlog servers (no data, relay only).
	BinlogServers map[inst.InstanceKey]bool
	// ClusterAliases and ClusterDomains are keyed by cluster name.
	ClusterAliases map[string]string
	ClusterDomains map[string]string
	Now            time.Time
}

// Options are the settings analysis depends on, taken from the config by
// the caller, plus what the caller asks to see.
type Options struct {
	Freshness                       inst.Freshness
	ReasonableReplicationLagSeconds int64
	// ReasonableLockedSemiSyncMasterSeconds: how long a semi-sync master's
	// binlog must stand still before it counts as locked; 0 means
	// ReasonableReplicationLagSeconds.
	ReasonableLockedSemiSyncMasterSeconds   int64
	RecoverMasterClusterFilters             []string
	RecoverIntermediateMasterClusterFilters []string
	RecoveryIgnoreHostnameFilters           []string
	RecoverNonWriteableMaster               bool
	RecoverLockedSemiSyncMaster             bool
	EnforceExactSemiSyncReplicas            bool
	// ReduceReplicationAnalysisCount leaves out instances that cannot have
	// a problem (reachable, not failing to connect, without replicas).
	ReduceReplicationAnalysisCount bool
	IncludeNoProblem               bool   // keep NoProblem entries without structure warnings
	IncludeDowntimed               bool   // keep entries skippable due to downtime
	ClusterName                    string // analyse only this cluster ("" = all)
	ProcessingNodeHostname         string
	ProcessingNodeToken            string
}

func (s Snapshot) now(o Options) time.Time {
	if s.Now.IsZero() {
		return o.Freshness.Now
	}
	return s.Now
}

// downtime returns the instance's active downtime, if any.
func (s Snapshot) downtime(i *inst.Instance, now time.Time) (Downtime, bool) {
	if d, ok := s.Downtimed[i.Key]; ok && d.EndsAt.After(now) {
		return d, true
	}
	return Downtime{}, i.IsDowntimed
}

func (s Snapshot) inMaintenance(i *inst.Instance) bool {
	return s.InMaintenance[i.Key] || i.IsMaintenance
}

func (o Options) lockedSemiSyncThreshold() time.Duration {
	if o.ReasonableLockedSemiSyncMasterSeconds > 0 {
		return time.Duration(o.ReasonableLockedSemiSyncMasterSeconds) * time.Second
	}
	return time.Duration(o.ReasonableReplicationLagSeconds) * time.Second
}
