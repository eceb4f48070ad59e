// Package config holds orchestrator's configuration: upstream key names,
// defaults, validation and loading. A *Config is loaded once and passed down.
package config

import "time"

// Config is the whole configuration. JSON keys are the Go field names, as
// upstream orchestrator's, so existing configuration files load unchanged.
type Config struct {
	// General, HTTP, auth
	Debug                         bool
	EnableSyslog                  bool
	ListenAddress                 string
	ListenSocket                  string
	HTTPAdvertise                 string
	URLPrefix                     string
	ReadOnly                      bool
	AuthenticationMethod          string
	HTTPAuthUser                  string
	HTTPAuthPassword              string `redact:"true"`
	AuthUserHeader                string
	PowerAuthUsers                []string
	PowerAuthGroups               []string
	AccessTokenUseExpirySeconds   uint
	AccessTokenExpiryMinutes      uint
	UseSSL                        bool
	UseMutualTLS                  bool
	SSLSkipVerify                 bool
	SSLPrivateKeyFile             string
	SSLCertFile                   string
	SSLCAFile                     string
	SSLValidOUs                   []string
	StatusEndpoint                string
	StatusOUVerify                bool
	WebMessage                    string
	RemoveTextFromHostnameDisplay string
	HTTPMaxConcurrentRequests     int

	// Backend
	BackendDB                              string
	SQLite3DataFile                        string
	MySQLOrchestratorHost                  string
	MySQLOrchestratorPort                  uint
	MySQLOrchestratorDatabase              string
	MySQLOrchestratorUser                  string
	MySQLOrchestratorPassword              string `redact:"true"`
	MySQLOrchestratorCredentialsConfigFile string
	MySQLOrchestratorMaxPoolConnections    int
	MySQLOrchestratorReadTimeoutSeconds    int
	MySQLOrchestratorRejectReadOnly        bool
	MySQLOrchestratorSSLPrivateKeyFile     string
	MySQLOrchestratorSSLCertFile           string
	MySQLOrchestratorSSLCAFile             string
	MySQLOrchestratorSSLSkipVerify         bool
	MySQLOrchestratorUseMutualTLS          bool
	SkipOrchestratorDatabaseUpdate         bool
	PanicIfDifferentDatabaseDeploy         bool
	BackendQueryTimeoutSeconds             int

	// Topology access
	MySQLTopologyUser                        string
	MySQLTopologyPassword                    string `redact:"true"`
	MySQLTopologyCredentialsConfigFile       string
	MySQLTopologySSLPrivateKeyFile           string
	MySQLTopologySSLCertFile                 string
	MySQLTopologySSLCAFile                   string
	MySQLTopologySSLSkipVerify               bool
	MySQLTopologyUseMutualTLS                bool
	MySQLTopologyUseMixedTLS                 bool
	TLSCacheTTLFactor                        uint
	MySQLConnectTimeoutSeconds               int
	MySQLDiscoveryReadTimeoutSeconds         int
	MySQLTopologyReadTimeoutSeconds          int
	MySQLConnectionLifetimeSeconds           int
	DefaultInstancePort                      int
	ReplicationCredentialsQuery              string
	UseSuperReadOnly                         bool
	ReplicationLagQuery                      string
	SlaveLagQuery                            string
	MaxConcurrentReplicaOperations           int
	InstanceBulkOperationsWaitTimeoutSeconds uint

	// Discovery and polling
	InstancePollSeconds                        uint
	ReasonableInstanceCheckSeconds             uint
	DiscoverByShowSlaveHosts                   bool
	DiscoverySeeds                             []string
	DiscoveryMaxConcurrency                    uint
	DiscoveryQueueCapacity                     uint
	DiscoveryQueueMaxStatisticsSize            int
	DiscoveryCollectionRetentionSeconds        uint
	DiscoveryIgnoreReplicaHostnameFilters      []string
	DiscoveryIgnoreMasterHostnameFilters       []string
	DiscoveryIgnoreHostnameFilters             []string
	UnseenInstanceForgetHours                  uint
	SnapshotTopologiesIntervalHours            uint
	BufferInstanceWrites                       bool
	InstanceWriteBufferSize                    int
	InstanceFlushIntervalMilliseconds          int
	SkipMaxScaleCheck                          bool
	HostnameResolveMethod                      string
	MySQLHostnameResolveMethod                 string
	SkipBinlogServerUnresolveCheck             bool
	ExpiryHostnameResolvesMinutes              int
	RejectHostnameResolvePattern               string
	ReasonableReplicationLagSeconds            int
	ReasonableMaintenanceReplicationLagSeconds int
	ProblemIgnoreHostnameFilters               []string
	VerifyReplicationFilters                   bool
	CandidateInstanceExpireMinutes             uint
	SupportFuzzyPoolHostnames                  bool
	InstancePoolExpiryMinutes                  uint
	AuditLogFile                               string
	AuditToSyslog                              bool
	AuditToBackendDB                           bool
	AuditPurgeDays                             uint

	// Classification
	DetectClusterAliasQuery        string
	DetectClusterDomainQuery       string
	DetectInstanceAliasQuery       string
	DetectPromotionRuleQuery       string
	DetectDataCenterQuery          string
	DetectRegionQuery              string
	DetectPhysicalEnvironmentQuery string
	DetectSemiSyncEnforcedQuery    string
	DataCenterPattern              string
	RegionPattern                  string
	PhysicalEnvironmentPattern     string
	ClusterNameToAlias             map[string]string

	// Failure detection and recovery
	FailureDetectionPeriodBlockMinutes         int
	RecoveryPeriodBlockSeconds                 int
	RecoveryPeriodBlockMinutes                 int
	RecoveryIgnoreHostnameFilters              []string
	RecoverMasterClusterFilters                []string
	RecoverIntermediateMasterClusterFilters    []string
	PromotionIgnoreHostnameFilters             []string
	ProcessesShellCommand                      string
	HookTimeoutSeconds                         int
	OnFailureDetectionProcesses                []string
	PreGracefulTakeoverProcesses               []string
	PreFailoverProcesses                       []string
	PostFailoverProcesses                      []string
	PostUnsuccessfulFailoverProcesses          []string
	PostMasterFailoverProcesses                []string
	PostIntermediateMasterFailoverProcesses    []string
	PostGracefulTakeoverProcesses              []string
	PostTakeMasterProcesses                    []string
	ApplyMySQLPromotionAfterMasterFailover     bool
	PreventCrossDataCenterMasterFailover       bool
	PreventCrossRegionMasterFailover           bool
	DetachLostReplicasAfterMasterFailover      bool
	DetachLostSlavesAfterMasterFailover        bool
	MasterFailoverDetachReplicaMasterHost      bool
	MasterFailoverDetachSlaveMasterHost        bool
	MasterFailoverLostInstancesDowntimeMinutes uint
	FailMasterPromotionOnLagMinutes            uint
	FailMasterPromotionIfSQLThreadNotUpToDate  bool
	DelayMasterPromotionIfSQLThreadNotUpToDate bool
	PostponeReplicaRecoveryOnLagMinutes        uint
	PostponeSlaveRecoveryOnLagMinutes          uint
	CoMasterRecoveryMustPromoteOtherCoMaster   bool
	RecoverNonWriteableMaster                  bool
	EnforceExactSemiSyncReplicas               bool
	RecoverLockedSemiSyncMaster                bool
	ReasonableLockedSemiSyncMasterSeconds      uint
	ReduceReplicationAnalysisCount             bool
	ExpectFailureAnalysisConcensus             bool
	OSCIgnoreHostnameFilters                   []string
	RelayLogDrainTimeoutSeconds                int

	// KV stores, metrics
	KVClusterMasterPrefix                    string
	ConsulAddress                            string
	ConsulScheme                             string
	ConsulAclToken                           string `redact:"true"`
	ConsulCrossDataCenterDistribution        bool
	ConsulKVStoreProvider                    string
	ConsulMaxKVsPerTransaction               int
	ZkAddress                                string
	GraphiteAddr                             string
	GraphitePath                             string
	GraphiteConvertHostnameDotsToUnderscores bool
	GraphitePollSeconds                      int

	// Election
	ActiveNodeExpireSeconds int
	HealthPollSeconds       int
}

// Defaults returns a Config with every key at its default.
func Defaults() *Config {
	return &Config{
		ListenAddress:                              ":3000",
		AuthUserHeader:                             "X-Forwarded-User",
		PowerAuthUsers:                             []string{"*"},
		AccessTokenUseExpirySeconds:                60,
		AccessTokenExpiryMinutes:                   1440,
		StatusEndpoint:                             "/api/status",
		HTTPMaxConcurrentRequests:                  256,
		BackendDB:                                  "",
		MySQLOrchestratorPort:                      3306,
		MySQLOrchestratorMaxPoolConnections:        128,
		MySQLOrchestratorReadTimeoutSeconds:        30,
		BackendQueryTimeoutSeconds:                 10,
		MySQLTopologyUseMixedTLS:                   true,
		TLSCacheTTLFactor:                          100,
		MySQLConnectTimeoutSeconds:                 2,
		MySQLDiscoveryReadTimeoutSeconds:           10,
		MySQLTopologyReadTimeoutSeconds:            600,
		DefaultInstancePort:                        3306,
		MaxConcurrentReplicaOperations:             5,
		InstanceBulkOperationsWaitTimeoutSeconds:   10,
		InstancePollSeconds:                        5,
		ReasonableInstanceCheckSeconds:             1,
		DiscoveryMaxConcurrency:                    300,
		DiscoveryQueueCapacity:                     100000,
		DiscoveryQueueMaxStatisticsSize:            120,
		DiscoveryCollectionRetentionSeconds:        120,
		UnseenInstanceForgetHours:                  240,
		InstanceWriteBufferSize:                    100,
		InstanceFlushIntervalMilliseconds:          100,
		SkipMaxScaleCheck:                          true,
		HostnameResolveMethod:                      "default",
		MySQLHostnameResolveMethod:                 "@@hostname",
		SkipBinlogServerUnresolveCheck:             true,
		ExpiryHostnameResolvesMinutes:              60,
		ReasonableReplicationLagSeconds:            10,
		ReasonableMaintenanceReplicationLagSeconds: 20,
		CandidateInstanceExpireMinutes:             60,
		SupportFuzzyPoolHostnames:                  true,
		InstancePoolExpiryMinutes:                  60,
		AuditToBackendDB:                           true,
		AuditPurgeDays:                             7,
		ClusterNameToAlias:                         map[string]string{},
		FailureDetectionPeriodBlockMinutes:         60,
		RecoveryPeriodBlockSeconds:                 3600,
		RecoveryPeriodBlockMinutes:                 60,
		ProcessesShellCommand:                      "bash",
		HookTimeoutSeconds:                         60,
		ApplyMySQLPromotionAfterMasterFailover:     true,
		DetachLostSlavesAfterMasterFailover:        true,
		DetachLostReplicasAfterMasterFailover:      true,
		CoMasterRecoveryMustPromoteOtherCoMaster:   true,
		ReduceReplicationAnalysisCount:             true,
		ExpectFailureAnalysisConcensus:             true,
		RelayLogDrainTimeoutSeconds:                10,
		KVClusterMasterPrefix:                      "mysql/master",
		ConsulScheme:                               "http",
		ConsulKVStoreProvider:                      "consul",
		ConsulMaxKVsPerTransaction:                 5,
		GraphiteConvertHostnameDotsToUnderscores:   true,
		GraphitePollSeconds:                        60,
		ActiveNodeExpireSeconds:                    5,
		HealthPollSeconds:                          1,
	}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// InstancePoll is the probe interval per server.
func (c *Config) InstancePoll() time.Duration { return seconds(int(c.InstancePollSeconds)) }

// ConnectTimeout bounds connecting to any MySQL server.
func (c *Config) ConnectTimeout() time.Duration { return seconds(c.MySQLConnectTimeoutSeconds) }

// DiscoveryReadTimeout bounds probe queries.
func (c *Config) DiscoveryReadTimeout() time.Duration {
	return seconds(c.MySQLDiscoveryReadTimeoutSeconds)
}

// TopologyReadTimeout bounds other statements on topology servers.
func (c *Config) TopologyReadTimeout() time.Duration {
	return seconds(c.MySQLTopologyReadTimeoutSeconds)
}

// BackendQueryTimeout bounds each backend statement.
func (c *Config) BackendQueryTimeout() time.Duration { return seconds(c.BackendQueryTimeoutSeconds) }

// RecoveryPeriodBlock is the anti-flapping window.
func (c *Config) RecoveryPeriodBlock() time.Duration { return seconds(c.RecoveryPeriodBlockSeconds) }

// ActiveNodeExpire is the leader heartbeat expiry.
func (c *Config) ActiveNodeExpire() time.Duration { return seconds(c.ActiveNodeExpireSeconds) }

// HealthPoll is the election tick.
func (c *Config) HealthPoll() time.Duration { return seconds(c.HealthPollSeconds) }

// IsSQLite reports whether the backend is the embedded SQLite.
func (c *Config) IsSQLite() bool { return c.BackendDB == "sqlite3" }

// DetachLostReplicas reports the effective detach-lost-replicas setting.
func (c *Config) DetachLostReplicas() bool { return c.DetachLostReplicasAfterMasterFailover }
