package config

// The key tables of docs/configuration.md are generated from Config (type),
// Load with no files (effective default) and the meanings below. The test
// fails when a Config field has no meaning here, when a meaning names no
// field, or when the page is stale:
//
//	UPDATE_DOCS=1 go test ./go/config -run TestConfigDocs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type keyDoc struct{ key, meaning string }

type keyGroup struct {
	title string
	keys  []keyDoc
}

var keyGroups = []keyGroup{
	{"General, HTTP and authentication", []keyDoc{
		{"Debug", "Log at debug level, as `--debug` does."},
		{"EnableSyslog", "Send log lines to syslog as well as to standard error."},
		{"ListenAddress", "TCP address the service listens on (`host:port`, or `:port` for every address)."},
		{"ListenSocket", "Listen on this unix socket instead of `ListenAddress`."},
		{"HTTPAdvertise", "URL (`scheme://host:port`) by which other nodes and users reach this node; shown in the node list."},
		{"URLPrefix", "Serve the API and web UI below this path, for a reverse proxy that forwards `/orchestrator/...`; normalised to a leading `/` and no trailing one."},
		{"ReadOnly", "Refuse every API call that would change anything (HTTP 403); reads keep working."},
		{"AuthenticationMethod", "How API callers are identified: empty or `none` (everyone may do everything), `basic` (one user and password), `multi` (like basic, plus a user `readonly` with any password who may only read), `proxy` (the user name comes from `AuthUserHeader`, set by an authenticating reverse proxy). See security.md."},
		{"HTTPAuthUser", "User name for `basic` and `multi` authentication."},
		{"HTTPAuthPassword", "Password for `basic` and `multi` authentication. Secret: never logged or shown."},
		{"AuthUserHeader", "With `proxy` authentication, the request header that carries the authenticated user name."},
		{"PowerAuthUsers", "With `proxy` authentication, the users allowed to change things; `*` allows every user."},
		{"PowerAuthGroups", "With `proxy` authentication, unix groups whose members may change things."},
		{"AccessTokenUseExpirySeconds", "Token authentication: how long a freshly issued access token may wait before its first use."},
		{"AccessTokenExpiryMinutes", "Token authentication: how long an access token stays valid."},
		{"UseSSL", "Serve the API and web UI over HTTPS with `SSLCertFile` and `SSLPrivateKeyFile`."},
		{"UseMutualTLS", "Require HTTPS clients to present a certificate signed by `SSLCAFile`."},
		{"SSLSkipVerify", "With mutual TLS, accept client certificates without verifying them."},
		{"SSLPrivateKeyFile", "PEM private key of the HTTPS server."},
		{"SSLCertFile", "PEM certificate of the HTTPS server."},
		{"SSLCAFile", "PEM CA bundle that client certificates must chain to (mutual TLS)."},
		{"SSLValidOUs", "With mutual TLS, the organisational units a client certificate must carry."},
		{"StatusEndpoint", "Path of the status check that load balancers probe."},
		{"StatusOUVerify", "Apply the `SSLValidOUs` check on the status endpoint too."},
		{"WebMessage", "A banner shown at the top of every web UI page (e.g. \"staging\")."},
		{"RemoveTextFromHostnameDisplay", "Text removed from host names when the web UI displays them (e.g. a common domain suffix)."},
		{"HTTPMaxConcurrentRequests", "Most API requests served at once; one more is answered 503 at once (the load-balancer checks are not counted). 0: 256. This project's key; see api.md, \"Limits\"."},
	}},
	{"Backend store", []keyDoc{
		{"BackendDB", "Which store holds orchestrator's state: `sqlite3` (also `sqlite`; embedded, one node) or `mysql` (shared by several nodes). Unset: `mysql` when `MySQLOrchestratorHost` is set, else `sqlite3`."},
		{"SQLite3DataFile", "Path of the SQLite database file; its directory is created if missing."},
		{"MySQLOrchestratorHost", "Host of the MySQL/MariaDB backend."},
		{"MySQLOrchestratorPort", "Port of the MySQL/MariaDB backend."},
		{"MySQLOrchestratorDatabase", "Schema that holds orchestrator's tables on the MySQL backend; created tables are migrated by the binary on start."},
		{"MySQLOrchestratorUser", "User on the MySQL backend (overridden by the credentials file)."},
		{"MySQLOrchestratorPassword", "Password on the MySQL backend; `${VAR}` reads it from the environment. Secret: never logged or shown."},
		{"MySQLOrchestratorCredentialsConfigFile", "A my.cnf-style file whose `[client]` `user` and `password` replace the two keys above; keep it mode 0600."},
		{"MySQLOrchestratorMaxPoolConnections", "Most connections one node opens to the MySQL backend."},
		{"MySQLOrchestratorReadTimeoutSeconds", "Socket read timeout on backend connections, a guard behind each query's own timeout."},
		{"MySQLOrchestratorRejectReadOnly", "Drop a backend connection that lands on a read-only server (after a backend failover behind a VIP or proxy), so the next one reaches the new writer."},
		{"MySQLOrchestratorSSLPrivateKeyFile", "PEM client key for TLS to the backend (with mutual TLS)."},
		{"MySQLOrchestratorSSLCertFile", "PEM client certificate for TLS to the backend (with mutual TLS)."},
		{"MySQLOrchestratorSSLCAFile", "PEM CA bundle that the backend's certificate must chain to; setting it turns TLS on."},
		{"MySQLOrchestratorSSLSkipVerify", "Use TLS to the backend without verifying its certificate."},
		{"MySQLOrchestratorUseMutualTLS", "Use TLS to the backend and present the client certificate above."},
		{"SkipOrchestratorDatabaseUpdate", "Never create or migrate the backend schema; for backends managed by hand."},
		{"PanicIfDifferentDatabaseDeploy", "Refuse to start when the backend schema was deployed by a different version."},
		{"BackendQueryTimeoutSeconds", "Timeout of each backend statement (this project's key)."},
	}},
	{"Access to topology servers", []keyDoc{
		{"MySQLTopologyUser", "User orchestrator logs in as on every managed server (overridden by the credentials file)."},
		{"MySQLTopologyPassword", "Its password; `${VAR}` reads it from the environment. Secret: never logged or shown."},
		{"MySQLTopologyCredentialsConfigFile", "A my.cnf-style file whose `[client]` `user` and `password` replace the two keys above; keep it mode 0600."},
		{"MySQLTopologySSLPrivateKeyFile", "PEM client key for TLS to managed servers (with mutual TLS)."},
		{"MySQLTopologySSLCertFile", "PEM client certificate for TLS to managed servers (with mutual TLS)."},
		{"MySQLTopologySSLCAFile", "PEM CA bundle that servers' certificates must chain to; setting it turns TLS on."},
		{"MySQLTopologySSLSkipVerify", "Use TLS to managed servers without verifying their certificates."},
		{"MySQLTopologyUseMutualTLS", "Use TLS to managed servers and present the client certificate above."},
		{"MySQLTopologyUseMixedTLS", "When TLS is configured, still talk plaintext to servers that do not offer TLS."},
		{"TLSCacheTTLFactor", "How long the \"does this server require TLS\" answer is cached, in multiples of `InstancePollSeconds`."},
		{"MySQLConnectTimeoutSeconds", "Timeout to establish a connection to any server, backend included."},
		{"MySQLDiscoveryReadTimeoutSeconds", "Timeout of the queries of one probe."},
		{"MySQLTopologyReadTimeoutSeconds", "Timeout of other statements on managed servers (moves, waits)."},
		{"MySQLConnectionLifetimeSeconds", "Close pooled connections to servers older than this (0: never)."},
		{"DefaultInstancePort", "Port assumed when an instance is named without one."},
		{"ReplicationCredentialsQuery", "Query run on a replica returning the replication user and password (and optionally TLS CA, cert, key), used when orchestrator must set up replication from scratch (demoted master, new co-master)."},
		{"UseSuperReadOnly", "Set `super_read_only` together with `read_only` (MySQL only)."},
		{"ReplicationLagQuery", "Query returning a replica's lag in seconds (e.g. from a heartbeat table), used instead of `Seconds_Behind_Master`."},
		{"SlaveLagQuery", "Older name of `ReplicationLagQuery`; both set and different is an error."},
		{"MaxConcurrentReplicaOperations", "How many replicas an operation on many replicas (e.g. repointing all of them) handles at once."},
		{"InstanceBulkOperationsWaitTimeoutSeconds", "How long a bulk operation waits for each instance (e.g. to catch up) before moving on."},
	}},
	{"Discovery and polling", []keyDoc{
		{"InstancePollSeconds", "How often each known server is probed; at least 1."},
		{"ReasonableInstanceCheckSeconds", "Grace beyond `InstancePollSeconds` before a server's last check counts as stale."},
		{"DiscoverByShowSlaveHosts", "Find replicas with `SHOW SLAVE HOSTS` (needs `report_host`) before trying the process list."},
		{"DiscoverySeeds", "`host:port` servers discovered when the service starts."},
		{"DiscoveryMaxConcurrency", "Most probes running at once."},
		{"DiscoveryQueueCapacity", "Size of the queue of servers waiting to be probed."},
		{"DiscoveryQueueMaxStatisticsSize", "Number of poll-queue samples kept (one a second while polling), for `/api/discovery-queue-metrics-*`."},
		{"DiscoveryCollectionRetentionSeconds", "How far back `/api/discovery-metrics-*`, `/api/backend-query-metrics-*` and `/api/write-buffer-metrics-*` look, at most (each keeps its newest samples in a bounded ring)."},
		{"DiscoveryIgnoreReplicaHostnameFilters", "Filters: the crawl does not follow a master's replica that matches (an explicit discover still can). Each filter is an IP address (matching exactly that address) or a regular expression matching the host name or `host:port`."},
		{"DiscoveryIgnoreMasterHostnameFilters", "Filters: the crawl does not follow a replica's master link to a server that matches (an explicit discover still can). Filters as for `DiscoveryIgnoreReplicaHostnameFilters`."},
		{"DiscoveryIgnoreHostnameFilters", "Filters: matching servers are never discovered or probed; an explicit discover of one is refused. Filters as for `DiscoveryIgnoreReplicaHostnameFilters`."},
		{"UnseenInstanceForgetHours", "Servers not seen for this long are forgotten; one never seen (a mistyped key given to discover) counts from its first failed attempt, however often it was retried since."},
		{"SnapshotTopologiesIntervalHours", "Record a snapshot of every topology this often (0: never)."},
		{"BufferInstanceWrites", "Batch the backend writes of probe results instead of writing each one."},
		{"InstanceWriteBufferSize", "Largest batch of buffered probe results."},
		{"InstanceFlushIntervalMilliseconds", "Longest a buffered probe result waits before being written."},
		{"SkipMaxScaleCheck", "Skip the queries that detect a MaxScale binlog server."},
		{"HostnameResolveMethod", "How host names are normalised: `default` (as given), `cname`, `ip`, `none`."},
		{"MySQLHostnameResolveMethod", "How a server names itself: `@@hostname`, `@@report_host`, or `none` (keep the address it was reached by)."},
		{"SkipBinlogServerUnresolveCheck", "Skip the check that unresolves binlog-server host names."},
		{"ExpiryHostnameResolvesMinutes", "Lifetime of cached host name resolutions."},
		{"RejectHostnameResolvePattern", "Regular expression: resolutions whose result matches are rejected."},
		{"ReasonableReplicationLagSeconds", "Lag above this marks a replica as lagging in the UI and in analysis."},
		{"ReasonableMaintenanceReplicationLagSeconds", "Lag above this refuses topology moves; also how long a graceful takeover waits for catch-up."},
		{"ProblemIgnoreHostnameFilters", "Regular expressions: matching servers are not listed as problems."},
		{"VerifyReplicationFilters", "Take replication filters into account when deciding whether one server can replicate from another."},
		{"CandidateInstanceExpireMinutes", "Lifetime of a `register-candidate` promotion rule."},
		{"SupportFuzzyPoolHostnames", "Pool registrations accept short (non-FQDN) host names."},
		{"InstancePoolExpiryMinutes", "Lifetime of a pool membership registration."},
		{"AuditLogFile", "Also append each audit entry to this file."},
		{"AuditToSyslog", "Also send each audit entry to syslog."},
		{"AuditToBackendDB", "Write audit entries to the backend's `audit` table (shown by `/api/audit`)."},
		{"AuditPurgeDays", "Audit entries older than this are deleted."},
	}},
	{"Classification", []keyDoc{
		{"DetectClusterAliasQuery", "Query run on a cluster's master returning the cluster's alias (one row, one column)."},
		{"DetectClusterDomainQuery", "Query run on a cluster's master returning the cluster's domain name (VIP or CNAME)."},
		{"DetectInstanceAliasQuery", "Query run on each server returning its alias."},
		{"DetectPromotionRuleQuery", "Query run on each server returning its promotion rule (`must`, `prefer`, `neutral`, `prefer_not`, `must_not`)."},
		{"DetectDataCenterQuery", "Query run on each server returning its data center; wins over `DataCenterPattern`."},
		{"DetectRegionQuery", "Query run on each server returning its region."},
		{"DetectPhysicalEnvironmentQuery", "Query run on each server returning its environment (e.g. prod)."},
		{"DetectSemiSyncEnforcedQuery", "Query returning 1 when a server's semi-synchronous replication must never fall back to asynchronous."},
		{"DataCenterPattern", "Regular expression with one group, applied to the host name, giving the data center."},
		{"RegionPattern", "The same for the region."},
		{"PhysicalEnvironmentPattern", "The same for the environment."},
		{"ClusterNameToAlias", "Object of regular expression (on the cluster name) to alias, for clusters without an alias query."},
	}},
	{"Failure detection and recovery", []keyDoc{
		{"FailureDetectionPeriodBlockMinutes", "A detected failure stays registered this long; detection hooks run once per period."},
		{"RecoveryPeriodBlockSeconds", "After a recovery on a cluster, another automatic recovery there is blocked this long (anti-flapping) unless acknowledged."},
		{"RecoveryPeriodBlockMinutes", "Older form of the above, used only when `RecoveryPeriodBlockSeconds` is 0."},
		{"RecoveryIgnoreHostnameFilters", "Regular expressions: matching servers are neither analysed for recovery nor recovered."},
		{"RecoverMasterClusterFilters", "Clusters where a dead master (or co-master) is recovered automatically: cluster name, alias, `alias=x`, or a regular expression; `.*` means all. Empty: none, recoveries are manual."},
		{"RecoverIntermediateMasterClusterFilters", "The same for dead intermediate masters."},
		{"PromotionIgnoreHostnameFilters", "Regular expressions: matching servers are never promoted."},
		{"ProcessesShellCommand", "Shell that runs hook commands (`bash -c '<hook>'`)."},
		{"HookTimeoutSeconds", "Timeout of each hook command; a hook still running then is killed with the processes it started, and recorded as timed out (this project's key)."},
		{"OnFailureDetectionProcesses", "Hooks run once per detected failure (any analysis code with a problem, once per `FailureDetectionPeriodBlockMinutes`; placeholders such as `{failureType}`, `{failedHost}`; see the recovery documentation). A failing hook aborts that recovery attempt; the next check recovers."},
		{"PreGracefulTakeoverProcesses", "Hooks run before a graceful master takeover; a failing hook aborts it."},
		{"PreFailoverProcesses", "Hooks run before a recovery acts; a failing hook aborts the recovery."},
		{"PostFailoverProcesses", "Hooks run after any successful recovery."},
		{"PostUnsuccessfulFailoverProcesses", "Hooks run after a recovery that failed."},
		{"PostMasterFailoverProcesses", "Hooks run after a successful master recovery (`{successorHost}` is the new master)."},
		{"PostIntermediateMasterFailoverProcesses", "Hooks run after a successful intermediate-master recovery."},
		{"PostGracefulTakeoverProcesses", "Hooks run after a graceful master takeover."},
		{"PostTakeMasterProcesses", "Hooks run after `take-master`."},
		{"ApplyMySQLPromotionAfterMasterFailover", "On the promoted server, reset its replication and set `read_only=0`; on the old master, when reachable, set `read_only=1`."},
		{"PreventCrossDataCenterMasterFailover", "Only promote a server in the failed master's data center."},
		{"PreventCrossRegionMasterFailover", "Only promote a server in the failed master's region."},
		{"DetachLostReplicasAfterMasterFailover", "Replicas that cannot be moved under the new master are detached so they do not resume from the old one."},
		{"DetachLostSlavesAfterMasterFailover", "Older name of the above; `false` here turns it off."},
		{"MasterFailoverDetachReplicaMasterHost", "Detach the promoted server from its old master (rewrite its master host) so it cannot replicate from it again."},
		{"MasterFailoverDetachSlaveMasterHost", "Older name of the above."},
		{"MasterFailoverLostInstancesDowntimeMinutes", "Downtime put on servers lost in a master failover (0: none)."},
		{"FailMasterPromotionOnLagMinutes", "Refuse to promote a replica lagging at least this many minutes (needs `ReplicationLagQuery`; 0: no check)."},
		{"FailMasterPromotionIfSQLThreadNotUpToDate", "When the replica a master failover would promote has not applied all of its relay log within `RelayLogDrainTimeoutSeconds`, promote nobody (the recovery fails) instead of passing it over for another replica, which is the default."},
		{"DelayMasterPromotionIfSQLThreadNotUpToDate", "In a master failover, wait until each replica has applied its relay log (starting an SQL thread stopped without an error) for as long as it makes progress within `RelayLogDrainTimeoutSeconds`, at most 5 minutes, before choosing whom to promote; one that still has not is passed over (exclusive with the previous key)."},
		{"PostponeReplicaRecoveryOnLagMinutes", "Replicas lagging more than this are repointed after the new master is announced."},
		{"PostponeSlaveRecoveryOnLagMinutes", "Older name of the above."},
		{"CoMasterRecoveryMustPromoteOtherCoMaster", "When a co-master dies, only the other co-master may be promoted."},
		{"RecoverNonWriteableMaster", "Treat a master left `read_only` as a failure and make it writable."},
		{"EnforceExactSemiSyncReplicas", "Keep exactly the semi-sync wait count of semi-synchronous replicas, enabling and disabling it on replicas."},
		{"RecoverLockedSemiSyncMaster", "When a master is blocked waiting for semi-sync acknowledgements, enable semi-sync on replicas to unblock it."},
		{"ReasonableLockedSemiSyncMasterSeconds", "How long a master must be blocked on semi-sync before it counts as locked (0: `ReasonableReplicationLagSeconds`)."},
		{"ReduceReplicationAnalysisCount", "Analyse only servers that may have a problem, instead of every server, on each pass."},
		{"ExpectFailureAnalysisConcensus", "Raft mode only upstream: kept for compatibility."},
		{"OSCIgnoreHostnameFilters", "Regular expressions: replicas excluded from online-schema-change control replica suggestions."},
		{"RelayLogDrainTimeoutSeconds", "In a master failover, how long each replica may take to apply its relay log once its IO thread is stopped; a replica that has not is never promoted (with `DelayMasterPromotionIfSQLThreadNotUpToDate`: how long it may go without progress). This project's key."},
	}},
	{"Key-value stores and metrics", []keyDoc{
		{"KVClusterMasterPrefix", "Key prefix under which each cluster's master is published to key-value stores; normalised to one trailing `/`."},
		{"ConsulAddress", "Consul HTTP address to publish cluster masters to."},
		{"ConsulScheme", "`http` or `https` for Consul."},
		{"ConsulAclToken", "Consul ACL token. Secret: never logged or shown."},
		{"ConsulCrossDataCenterDistribution", "Publish to every Consul data center, not only the local one."},
		{"ConsulKVStoreProvider", "`consul` (one request per key) or `consul-txn` (transactions)."},
		{"ConsulMaxKVsPerTransaction", "Keys per Consul transaction with `consul-txn`."},
		{"ZkAddress", "ZooKeeper addresses to publish cluster masters to."},
		{"GraphiteAddr", "Graphite `host:port` that metrics are sent to."},
		{"GraphitePath", "Metric path prefix; `{hostname}` is replaced by this node's name."},
		{"GraphiteConvertHostnameDotsToUnderscores", "Replace dots in `{hostname}` by underscores."},
		{"GraphitePollSeconds", "How often metrics are sent to Graphite."},
	}},
	{"Leader election", []keyDoc{
		{"ActiveNodeExpireSeconds", "A leader whose heartbeat is older than this is replaced (this project makes upstream's constant configurable)."},
		{"HealthPollSeconds", "How often each node writes its heartbeat and checks the election."},
	}},
}

const (
	docsPath   = "../../docs/configuration.md"
	beginMark  = "<!-- BEGIN GENERATED KEYS: UPDATE_DOCS=1 go test ./go/config -run TestConfigDocs -->"
	endMark    = "<!-- END GENERATED KEYS -->"
	unusedNote = " *(Accepted; no effect yet.)*"
)

func TestConfigDocs(t *testing.T) {
	fields := map[string]reflect.StructField{}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		fields[typ.Field(i).Name] = typ.Field(i)
	}
	documented := map[string]bool{}
	for _, g := range keyGroups {
		for _, k := range g.keys {
			_, ok := fields[k.key]
			require.True(t, ok, "docs_test.go documents %s, which is not a Config key", k.key)
			require.False(t, documented[k.key], "%s documented twice", k.key)
			documented[k.key] = true
		}
	}
	for name := range fields {
		require.True(t, documented[name], "Config key %s has no meaning in go/config/docs_test.go keyGroups", name)
	}

	used, err := usedKeys(fields)
	require.NoError(t, err)
	defaults, _, err := Load(nil, false)
	require.NoError(t, err)
	table := keyTables(defaults, used)

	page, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	begin, end := strings.Index(string(page), beginMark), strings.Index(string(page), endMark)
	require.True(t, begin >= 0 && end > begin, "docs/configuration.md lacks the generated-keys markers")
	want := string(page[:begin+len(beginMark)]) + "\n" + table + string(page[end:])
	if os.Getenv("UPDATE_DOCS") == "1" {
		require.NoError(t, os.WriteFile(docsPath, []byte(want), 0o644))
		page = []byte(want)
	}
	require.Equal(t, want, string(page), "docs/configuration.md is stale: run UPDATE_DOCS=1 go test ./go/config -run TestConfigDocs")
}

func keyTables(defaults *Config, used map[string]bool) string {
	v := reflect.ValueOf(defaults).Elem()
	var b strings.Builder
	for _, g := range keyGroups {
		fmt.Fprintf(&b, "\n### %s\n\n| key | type | default | meaning |\n|---|---|---|---|\n", g.title)
		for _, k := range g.keys {
			f := v.FieldByName(k.key)
			meaning := k.meaning
			if !used[k.key] {
				meaning += unusedNote
			}
			if _, ok := Reloadable(k.key); ok {
				meaning += " **Reloads** (SIGHUP, `/api/reload-configuration`)."
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", k.key, f.Type().String(), defaultText(f), strings.ReplaceAll(meaning, "|", `\|`))
		}
	}
	return b.String() + "\n"
}

func defaultText(f reflect.Value) string {
	if f.IsZero() || (f.Kind() == reflect.Map && f.Len() == 0) {
		return "—"
	}
	b, _ := json.Marshal(f.Interface())
	return "`" + string(b) + "`"
}

// usedKeys reports the keys the program reads outside go/config, directly
// or through a Config method, or through a legacy alias that Load folds
// into a used key.
func usedKeys(fields map[string]reflect.StructField) (map[string]bool, error) {
	var outside, inside strings.Builder
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if filepath.Dir(path) == filepath.Join("..", "config") {
			inside.Write(src)
		} else if !strings.HasPrefix(path, filepath.Join("..", "testutil")) {
			outside.Write(src)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	refs := func(text string) map[string]bool {
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(`\.([A-Z][A-Za-z0-9_]*)\b`).FindAllStringSubmatch(text, -1) {
			out[m[1]] = true
		}
		return out
	}
	outsideRefs := refs(outside.String())
	used := map[string]bool{}
	for name := range fields {
		used[name] = outsideRefs[name]
	}
	methods := regexp.MustCompile(`(?s)func \(c \*Config\) ([A-Z]\w*)\([^)]*\)[^{]*\{(.*?)\n\}`)
	for _, m := range methods.FindAllStringSubmatch(inside.String(), -1) {
		if outsideRefs[m[1]] {
			for ref := range refs(m[2]) {
				if _, ok := fields[ref]; ok {
					used[ref] = true
				}
			}
		}
	}
	for legacy, current := range map[string]string{
		"SlaveLagQuery": "ReplicationLagQuery", "DetachLostSlavesAfterMasterFailover": "DetachLostReplicasAfterMasterFailover",
		"MasterFailoverDetachSlaveMasterHost": "MasterFailoverDetachReplicaMasterHost", "PostponeSlaveRecoveryOnLagMinutes": "PostponeReplicaRecoveryOnLagMinutes",
		"RecoveryPeriodBlockMinutes": "RecoveryPeriodBlockSeconds", "MySQLOrchestratorCredentialsConfigFile": "MySQLOrchestratorUser",
		"MySQLTopologyCredentialsConfigFile": "MySQLTopologyUser", "BackendDB": "SQLite3DataFile",
	} {
		used[legacy] = used[legacy] || used[current]
	}
	return used, nil
}

// TestKeyGroupsSorted keeps the meanings table in Config's field order, so
// the page reads in the same order as config.go.
func TestKeyGroupsSorted(t *testing.T) {
	typ := reflect.TypeOf(Config{})
	index := map[string]int{}
	for i := 0; i < typ.NumField(); i++ {
		index[typ.Field(i).Name] = i
	}
	var order []int
	for _, g := range keyGroups {
		for _, k := range g.keys {
			order = append(order, index[k.key])
		}
	}
	require.True(t, sort.IntsAreSorted(order), "keep keyGroups in the field order of config.go")
}
