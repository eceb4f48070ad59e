package inst

import (
	"database/sql"
	"strings"
	"time"
)

// ReplicationThreadState is -1 (no thread: not a replica), 0 (stopped),
// 1 (running) or 2 (other, e.g. Connecting).
type ReplicationThreadState int

const (
	ThreadStateNoThread ReplicationThreadState = -1
	ThreadStateStopped  ReplicationThreadState = 0
	ThreadStateRunning  ReplicationThreadState = 1
	ThreadStateOther    ReplicationThreadState = 2
)

// ThreadStateFromStatus maps a SHOW SLAVE STATUS Yes/No/Connecting value.
func ThreadStateFromStatus(s string) ReplicationThreadState {
	switch strings.ToLower(s) {
	case "yes":
		return ThreadStateRunning
	case "no":
		return ThreadStateStopped
	case "":
		return ThreadStateNoThread
	}
	return ThreadStateOther
}

// Instance is everything orchestrator knows about one server. JSON field
// names follow upstream orchestrator so existing tooling reads them.
type Instance struct {
	Key                                InstanceKey
	InstanceAlias                      string
	Uptime                             uint
	ServerID                           uint
	ServerUUID                         string
	Version                            string
	VersionComment                     string
	FlavorName                         string
	ReadOnly                           bool
	SuperReadOnly                      bool
	Binlog_format                      string //nolint:revive // upstream JSON name
	BinlogRowImage                     string
	LogBinEnabled                      bool
	LogSlaveUpdatesEnabled             bool
	LogReplicationUpdatesEnabled       bool
	SelfBinlogCoordinates              BinlogCoordinates
	MasterKey                          InstanceKey
	MasterUUID                         string
	AncestryUUID                       string
	IsDetachedMaster                   bool
	Slave_SQL_Running                  bool //nolint:revive // upstream JSON name
	ReplicationSQLThreadRuning         bool
	Slave_IO_Running                   bool //nolint:revive // upstream JSON name
	ReplicationIOThreadRuning          bool
	ReplicationSQLThreadState          ReplicationThreadState
	ReplicationIOThreadState           ReplicationThreadState
	HasReplicationFilters              bool
	GTIDMode                           string
	SupportsOracleGTID                 bool
	UsingOracleGTID                    bool
	UsingMariaDBGTID                   bool
	UsingPseudoGTID                    bool
	ReadBinlogCoordinates              BinlogCoordinates
	ExecBinlogCoordinates              BinlogCoordinates
	IsDetached                         bool
	RelaylogCoordinates                BinlogCoordinates
	LastSQLError                       string
	LastIOError                        string
	SecondsBehindMaster                sql.NullInt64
	SQLDelay                           uint
	ExecutedGtidSet                    string
	GtidPurged                         string
	GtidErrant                         string
	SlaveLagSeconds                    sql.NullInt64
	ReplicationLagSeconds              sql.NullInt64
	SlaveHosts                         []InstanceKey
	Replicas                           []InstanceKey
	ClusterName                        string
	SuggestedClusterAlias              string
	DataCenter                         string
	Region                             string
	PhysicalEnvironment                string
	ReplicationDepth                   uint
	IsCoMaster                         bool
	HasReplicationCredentials          bool
	ReplicationCredentialsAvailable    bool
	SemiSyncAvailable                  bool
	SemiSyncPriority                   uint
	SemiSyncMasterEnabled              bool
	SemiSyncReplicaEnabled             bool
	SemiSyncMasterTimeout              uint64
	SemiSyncMasterWaitForReplicaCount  uint
	SemiSyncMasterStatus               bool
	SemiSyncMasterClients              uint
	SemiSyncReplicaStatus              bool
	LastSeenTimestamp                  string
	IsLastCheckValid                   bool
	IsUpToDate                         bool
	IsRecentlyChecked                  bool
	SecondsSinceLastSeen               sql.NullInt64
	CountMySQLSnapshots                int
	IsCandidate                        bool
	PromotionRule                      PromotionRule
	IsDowntimed                        bool
	DowntimeReason                     string
	DowntimeOwner                      string
	DowntimeEndTimestamp               string
	ElapsedDowntime                    time.Duration
	UnresolvedHostname                 string
	AllowTLS                           bool
	Problems                           []string
	LastDiscoveryLatency               time.Duration
	ReplicationGroupName               string
	ReplicationGroupIsSinglePrimary    bool
	ReplicationGroupMemberState        string
	ReplicationGroupMemberRole         string
	ReplicationGroupMembers            []InstanceKey
	ReplicationGroupPrimaryInstanceKey InstanceKey

	// Fields beyond upstream's.
	MariaDBGtidCurrentPos       string // @@gtid_current_pos
	MariaDBGtidSlavePos         string // @@gtid_slave_pos
	MariaDBGtidBinlogPos        string // @@gtid_binlog_pos
	MariaDBGtidIOPos            string // Gtid_IO_Pos: what the IO thread received
	MariaDBUsingGtid            string // Using_Gtid: No, Slave_Pos, Current_Pos
	HeartbeatPeriod             float64
	ReceivedHeartbeats          int64
	ReplicationUser             string
	IsMaintenance               bool   `json:"InMaintenance"`
	MaintenanceOwner            string `json:",omitempty"`
	MaintenanceReason           string `json:",omitempty"`
	ClusterAlias                string
	ClusterDomain               string
	LastCheckedTimestamp        string
	LastAttemptedCheckTimestamp string
	LastProbeError              string `json:",omitempty"`

	// Not serialised: times as values for computations.
	LastSeen           time.Time `json:"-"`
	LastChecked        time.Time `json:"-"`
	LastAttemptedCheck time.Time `json:"-"`
}

// IsReplica reports whether the instance has a master configured.
func (i *Instance) IsReplica() bool {
	return i.MasterKey.Hostname != "" && i.MasterKey.Hostname != "_" && i.MasterKey.Port != 0 &&
		(i.ReadBinlogCoordinates.LogFile != "" || i.UsingOracleGTID || i.UsingMariaDBGTID)
}

// IsMaster reports the top of a topology: not replicating from anywhere
// (a detached master host counts as none).
func (i *Instance) IsMaster() bool { return !i.IsReplica() || i.MasterKey.IsDetached() }

// IsReplicating reports both threads running.
func (i *Instance) IsReplicating() bool {
	return i.ReplicationIOThreadState == ThreadStateRunning && i.ReplicationSQLThreadState == ThreadStateRunning
}

// IsReplicationStopped reports both threads stopped.
func (i *Instance) IsReplicationStopped() bool {
	return i.ReplicationIOThreadState == ThreadStateStopped && i.ReplicationSQLThreadState == ThreadStateStopped
}

// UsingGTID reports replication by GTID of either flavour.
func (i *Instance) UsingGTID() bool { return i.UsingOracleGTID || i.UsingMariaDBGTID }

// IsMariaDB reports the flavour.
func (i *Instance) IsMariaDB() bool { return i.FlavorName == FlavorMariaDB }

// SupportsGTID reports whether the server can serve GTID replication.
func (i *Instance) SupportsGTID() bool {
	if i.IsMariaDB() {
		return true
	}
	return i.SupportsOracleGTID
}

// CanRelay reports whether the instance can serve replicas of its own
// when it is itself a replica.
func (i *Instance) CanRelay() bool { return i.LogBinEnabled && i.LogReplicationUpdatesEnabled }

// ExecutedGTID returns the executed set to compare servers by, in this
// instance's flavour: gtid_executed on Oracle, gtid_current_pos on MariaDB.
func (i *Instance) ExecutedGTID() string {
	if i.IsMariaDB() {
		return i.MariaDBGtidCurrentPos
	}
	return i.ExecutedGtidSet
}

// IsFailingToConnectToMaster reports an IO thread unable to connect while
// the SQL thread runs: the replica's evidence that its master is gone.
func (i *Instance) IsFailingToConnectToMaster() bool {
	return i.ReplicationIOThreadState != ThreadStateRunning && i.ReplicationSQLThreadState == ThreadStateRunning &&
		IsConnectError(i.LastIOError)
}

// IsConnectError recognises IO thread errors about connecting to a master.
func IsConnectError(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "connecting to master") || strings.Contains(m, "connecting to source") ||
		strings.Contains(m, "reconnecting after a failed") || strings.Contains(m, "error reading packet") ||
		strings.Contains(m, "lost connection")
}

// FillLegacy copies values to upstream's legacy duplicate fields.
func (i *Instance) FillLegacy() {
	i.LogSlaveUpdatesEnabled = i.LogReplicationUpdatesEnabled
	i.Slave_SQL_Running = i.ReplicationSQLThreadRuning
	i.Slave_IO_Running = i.ReplicationIOThreadRuning
	i.SlaveLagSeconds = i.ReplicationLagSeconds
	if i.Replicas == nil {
		i.Replicas = []InstanceKey{}
	}
	i.SlaveHosts = i.Replicas
	if i.Problems == nil {
		i.Problems = []string{}
	}
	if i.ReplicationGroupMembers == nil {
		i.ReplicationGroupMembers = []InstanceKey{}
	}
	if i.PromotionRule == "" {
		i.PromotionRule = NeutralPromoteRule
	}
}

// TimeFormat is how timestamps appear in JSON and in the backend.
const TimeFormat = "2006-01-02 15:04:05"

// FormatTime renders a timestamp the way the Instance JSON does.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}
