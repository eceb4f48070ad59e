package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
)

// DefaultPaths are read in order, each on top of the previous, when no
// --config is given. Missing files are skipped.
var DefaultPaths = []string{"/etc/orchestrator.conf.json", "conf/orchestrator.conf.json", "orchestrator.conf.json"}

// ignoredKeys are upstream keys accepted for compatibility but not used.
var ignoredKeys = map[string]bool{
	"DatabaselessMode__experimental": true, "BufferBinlogEvents": true, "BinlogFileHistoryDays": true,
	"MaintenanceOwner": true, "ReadLongRunningQueries": true, "DiscoveryPollSeconds": true,
	"AuditPageSize": true, "SlaveStartPostWaitMilliseconds": true, "MySQLTopologyMaxPoolConnections": true,
	"MaintenancePurgeDays": true, "MaintenanceExpireMinutes": true, "HttpTimeoutSeconds": true,
	"AgentAutoDiscover": true, "PseudoGTIDCoordinatesHistoryHeuristicMinutes": true,
	"PseudoGTIDPreferIndependentMultiMatch": true, "MaxOutdatedKeysToShow": true,
	"AutoPseudoGTID": true, "PseudoGTIDPattern": true, "PseudoGTIDPatternIsFixedSubstring": true,
	"PseudoGTIDMonotonicHint": true, "DetectPseudoGTIDQuery": true, "BinlogEventsChunkSize": true,
	"SkipBinlogEventsContaining": true, "ServeAgentsHttp": true, "AgentsServerPort": true,
	"AgentsUseSSL": true, "AgentsUseMutualTLS": true, "AgentSSLSkipVerify": true,
	"AgentSSLPrivateKeyFile": true, "AgentSSLCertFile": true, "AgentSSLCAFile": true,
	"AgentSSLValidOUs": true, "AgentPollMinutes": true, "UnseenAgentForgetHours": true,
	"StaleSeedFailMinutes": true, "SeedAcceptableBytesDiff": true, "SeedWaitSecondsBeforeSend": true,
	"RaftEnabled": true, "RaftBind": true, "RaftAdvertise": true, "RaftDataDir": true,
	"DefaultRaftPort": true, "RaftNodes": true, "OAuthClientId": true, "OAuthClientSecret": true,
	"OAuthScopes": true,
}

// Load reads the given files in order on top of the defaults. With
// explicit set (the --config flag), every file must exist; otherwise missing
// files are skipped. Warnings (unknown keys, loose permissions) are returned
// for the caller to log.
func Load(paths []string, explicit bool) (*Config, []string, error) {
	c := Defaults()
	var warnings, read []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			if !explicit && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, nil, fmt.Errorf("config file %s: %w", path, err)
		}
		w, err := c.apply(path, data)
		if err != nil {
			return nil, nil, err
		}
		read = append(read, path)
		warnings = append(warnings, w...)
	}
	w, err := c.finish()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", describeFiles(read), err)
	}
	return c, append(warnings, w...), nil
}

// apply decodes one JSON document on top of c, key by key, so that a wrong
// type names its key and unknown keys are reported.
func (c *Config) apply(path string, data []byte) ([]string, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("config file %s: malformed JSON: %w", path, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("config file %s: malformed JSON: expected an object, got null", path)
	}
	if off := dec.InputOffset(); dec.More() || len(bytes.TrimSpace(data[off:])) > 0 {
		return nil, fmt.Errorf("config file %s: malformed JSON: unexpected data after the object (offset %d)", path, off)
	}
	var warnings []string
	v := reflect.ValueOf(c).Elem()
	for key, value := range raw {
		field := v.FieldByName(key)
		if !field.IsValid() || !isExported(key) {
			if !ignoredKeys[key] {
				warnings = append(warnings, fmt.Sprintf("config file %s: unknown key %q ignored", path, key))
			}
			continue
		}
		target := reflect.New(field.Type())
		if err := json.Unmarshal(value, target.Interface()); err != nil {
			return nil, fmt.Errorf("config file %s: key %s: expected %s, got %s", path, key, typeName(field.Type()), truncate(string(value)))
		}
		field.Set(target.Elem())
	}
	return warnings, nil
}

// describeFiles names the files a merged configuration came from.
func describeFiles(read []string) string {
	switch len(read) {
	case 0:
		return "config (defaults only)"
	case 1:
		return "config file " + read[0]
	}
	return "config files " + strings.Join(read, ", ")
}

func isExported(name string) bool { return name != "" && name[0] >= 'A' && name[0] <= 'Z' }

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "a list of " + typeName(t.Elem())
	case reflect.Map:
		return "an object of " + typeName(t.Elem())
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Uint, reflect.Uint64:
		return "a non-negative integer"
	}
	return "an integer"
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// finish applies legacy aliases, credentials files and validation.
func (c *Config) finish() ([]string, error) {
	var warnings []string
	for _, cred := range []struct {
		file       string
		user, pass *string
	}{
		{c.MySQLTopologyCredentialsConfigFile, &c.MySQLTopologyUser, &c.MySQLTopologyPassword},
		{c.MySQLOrchestratorCredentialsConfigFile, &c.MySQLOrchestratorUser, &c.MySQLOrchestratorPassword},
	} {
		if cred.file == "" {
			continue
		}
		user, pass, w, err := ReadCredentialsFile(cred.file)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, w...)
		*cred.user, *cred.pass = user, pass
	}
	for _, p := range []*string{&c.MySQLTopologyPassword, &c.MySQLOrchestratorPassword} {
		if m := envRef.FindStringSubmatch(*p); m != nil {
			*p = os.Getenv(m[1])
		}
	}
	if c.RecoveryPeriodBlockSeconds == 0 {
		c.RecoveryPeriodBlockSeconds = c.RecoveryPeriodBlockMinutes * 60
	}
	if c.SlaveLagQuery != "" {
		if c.ReplicationLagQuery != "" && c.ReplicationLagQuery != c.SlaveLagQuery {
			return nil, errors.New("SlaveLagQuery and ReplicationLagQuery are both set and differ")
		}
		c.ReplicationLagQuery = c.SlaveLagQuery
	}
	if !c.DetachLostSlavesAfterMasterFailover {
		c.DetachLostReplicasAfterMasterFailover = false
	}
	if c.MasterFailoverDetachSlaveMasterHost {
		c.MasterFailoverDetachReplicaMasterHost = true
	}
	if c.PostponeSlaveRecoveryOnLagMinutes != 0 {
		c.PostponeReplicaRecoveryOnLagMinutes = c.PostponeSlaveRecoveryOnLagMinutes
	}
	if c.ReasonableLockedSemiSyncMasterSeconds == 0 {
		c.ReasonableLockedSemiSyncMasterSeconds = uint(c.ReasonableReplicationLagSeconds)
	}
	if c.URLPrefix != "" {
		c.URLPrefix = "/" + strings.Trim(c.URLPrefix, "/")
	}
	c.KVClusterMasterPrefix = strings.TrimRight(c.KVClusterMasterPrefix, "/") + "/"
	return warnings, c.validate()
}

func (c *Config) validate() error {
	switch c.BackendDB {
	case "sqlite", "sqlite3":
		c.BackendDB = "sqlite3"
	case "mysql":
	case "":
		if c.MySQLOrchestratorHost != "" {
			c.BackendDB = "mysql"
		} else {
			c.BackendDB = "sqlite3"
		}
	default:
		return fmt.Errorf("key BackendDB: unsupported backend %q (mysql, sqlite3)", c.BackendDB)
	}
	if c.BackendDB == "sqlite3" && c.SQLite3DataFile == "" {
		c.SQLite3DataFile = "/var/lib/orchestrator/orchestrator.sqlite3"
	}
	if c.BackendDB == "mysql" && (c.MySQLOrchestratorHost == "" || c.MySQLOrchestratorDatabase == "") {
		return errors.New("BackendDB mysql needs MySQLOrchestratorHost and MySQLOrchestratorDatabase")
	}
	if c.FailMasterPromotionIfSQLThreadNotUpToDate && c.DelayMasterPromotionIfSQLThreadNotUpToDate {
		return errors.New("FailMasterPromotionIfSQLThreadNotUpToDate and DelayMasterPromotionIfSQLThreadNotUpToDate cannot both be true")
	}
	if c.FailMasterPromotionOnLagMinutes > 0 && c.ReplicationLagQuery == "" {
		return errors.New("FailMasterPromotionOnLagMinutes needs ReplicationLagQuery")
	}
	if c.InstancePollSeconds == 0 {
		return errors.New("key InstancePollSeconds must be at least 1")
	}
	switch c.AuthenticationMethod {
	case "basic", "multi":
		if c.HTTPAuthUser == "" || c.HTTPAuthPassword == "" {
			return fmt.Errorf("key AuthenticationMethod: %q needs HTTPAuthUser and HTTPAuthPassword (empty credentials would let anyone in)", c.AuthenticationMethod)
		}
	case "", "none", "proxy":
	default:
		return fmt.Errorf("key AuthenticationMethod: unsupported method %q (none, basic, multi, proxy)", c.AuthenticationMethod)
	}
	for _, group := range []struct {
		key     string
		filters []string
	}{
		{"DiscoveryIgnoreHostnameFilters", c.DiscoveryIgnoreHostnameFilters},
		{"DiscoveryIgnoreMasterHostnameFilters", c.DiscoveryIgnoreMasterHostnameFilters},
		{"DiscoveryIgnoreReplicaHostnameFilters", c.DiscoveryIgnoreReplicaHostnameFilters},
		{"RecoveryIgnoreHostnameFilters", c.RecoveryIgnoreHostnameFilters},
		{"PromotionIgnoreHostnameFilters", c.PromotionIgnoreHostnameFilters},
		{"ProblemIgnoreHostnameFilters", c.ProblemIgnoreHostnameFilters},
		{"OSCIgnoreHostnameFilters", c.OSCIgnoreHostnameFilters},
	} {
		for _, f := range group.filters {
			if _, err := regexp.Compile(f); err != nil {
				return fmt.Errorf("key %s: invalid hostname filter %q: %w", group.key, f, err)
			}
		}
	}
	for _, p := range []struct{ key, pattern string }{{"DataCenterPattern", c.DataCenterPattern}, {"RegionPattern", c.RegionPattern}, {"PhysicalEnvironmentPattern", c.PhysicalEnvironmentPattern}} {
		if _, err := regexp.Compile(p.pattern); err != nil {
			return fmt.Errorf("key %s: %w", p.key, err)
		}
	}
	return nil
}

// Redacted returns a copy safe to print: every secret replaced.
func (c *Config) Redacted() *Config {
	cp := *c
	v := reflect.ValueOf(&cp).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("redact") == "true" && v.Field(i).String() != "" {
			v.Field(i).SetString("********")
		}
	}
	return &cp
}

// Secrets lists the configured secret values, for redaction of text.
func (c *Config) Secrets() []string {
	var out []string
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("redact") == "true" && v.Field(i).String() != "" {
			out = append(out, v.Field(i).String())
		}
	}
	return out
}
