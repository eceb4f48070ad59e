package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func write(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), mode))
	return p
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, warnings, err := Load(nil, false)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, ":3000", c.ListenAddress)
	require.Equal(t, uint(5), c.InstancePollSeconds)
	require.Equal(t, "sqlite3", c.BackendDB, "SQLite is the default backend")
	require.Equal(t, 3600, c.RecoveryPeriodBlockSeconds)
	require.True(t, c.ApplyMySQLPromotionAfterMasterFailover)
}

func TestLoad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, json string
		wantErr    string
		check      func(t *testing.T, c *Config, warnings []string)
	}{
		{name: "override", json: `{"InstancePollSeconds": 1, "ListenAddress": ":3001"}`, check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, uint(1), c.InstancePollSeconds)
			require.Equal(t, ":3001", c.ListenAddress)
		}},
		{name: "unknown key warns", json: `{"NoSuchKey": 1}`, check: func(t *testing.T, _ *Config, w []string) {
			require.Len(t, w, 1)
			require.Contains(t, w[0], "NoSuchKey")
		}},
		{name: "deprecated key silent", json: `{"RaftEnabled": false, "MaintenanceOwner": "x"}`, check: func(t *testing.T, _ *Config, w []string) {
			require.Empty(t, w)
		}},
		{name: "wrong type names key and file", json: `{"InstancePollSeconds": "five"}`, wantErr: "key InstancePollSeconds"},
		{name: "wrong list type", json: `{"DiscoverySeeds": "a:1"}`, wantErr: "key DiscoverySeeds: expected a list of a string"},
		{name: "malformed", json: `{"InstancePollSeconds": `, wantErr: "malformed JSON"},
		{name: "trailing data", json: `{"InstancePollSeconds": 5} garbage`, wantErr: "malformed JSON: unexpected data after the object"},
		{name: "two objects", json: `{"InstancePollSeconds": 5} {"InstancePollSeconds": 6}`, wantErr: "unexpected data after the object"},
		{name: "null", json: `null`, wantErr: "expected an object, got null"},
		{name: "not an object", json: `[1, 2]`, wantErr: "malformed JSON"},
		{name: "trailing whitespace is fine", json: "{\"InstancePollSeconds\": 7}\n\n", check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, 7, int(c.InstancePollSeconds))
		}},
		{name: "mysql backend chosen by host", json: `{"MySQLOrchestratorHost": "h", "MySQLOrchestratorDatabase": "orc"}`, check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, "mysql", c.BackendDB)
		}},
		{name: "sqlite alias", json: `{"BackendDB": "sqlite", "SQLite3DataFile": "/tmp/x.db"}`, check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, "sqlite3", c.BackendDB)
		}},
		{name: "bad backend", json: `{"BackendDB": "postgres"}`, wantErr: "BackendDB"},
		{name: "legacy block minutes", json: `{"RecoveryPeriodBlockSeconds": 0, "RecoveryPeriodBlockMinutes": 2}`, check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, 120, c.RecoveryPeriodBlockSeconds)
		}},
		{name: "slave lag query alias", json: `{"SlaveLagQuery": "select 1"}`, check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, "select 1", c.ReplicationLagQuery)
		}},
		{name: "conflicting promotion flags", json: `{"FailMasterPromotionIfSQLThreadNotUpToDate": true, "DelayMasterPromotionIfSQLThreadNotUpToDate": true}`, wantErr: "cannot both"},
		{name: "bad filter regexp", json: `{"RecoveryIgnoreHostnameFilters": ["("]}`, wantErr: "key RecoveryIgnoreHostnameFilters: invalid hostname filter"},
		{name: "basic auth without a password", json: `{"AuthenticationMethod": "basic", "HTTPAuthUser": "admin"}`, wantErr: "needs HTTPAuthUser and HTTPAuthPassword"},
		{name: "multi auth without a user", json: `{"AuthenticationMethod": "multi", "HTTPAuthPassword": "x"}`, wantErr: "needs HTTPAuthUser and HTTPAuthPassword"},
		{name: "url prefix normalised", json: `{"URLPrefix": "orc/"}`, check: func(t *testing.T, c *Config, _ []string) {
			require.Equal(t, "/orc", c.URLPrefix)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := write(t, "conf.json", tc.json, 0o600)
			c, warnings, err := Load([]string{p}, true)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.ErrorContains(t, err, p, "every error names the file")
				return
			}
			require.NoError(t, err)
			tc.check(t, c, warnings)
		})
	}
}

func TestMissingFile(t *testing.T) {
	t.Parallel()
	_, _, err := Load([]string{"/nonexistent/orchestrator.conf.json"}, true)
	require.Error(t, err)
	_, _, err = Load([]string{"/nonexistent/orchestrator.conf.json"}, false)
	require.NoError(t, err, "default paths may be missing")
}

func TestLaterFilesOverride(t *testing.T) {
	t.Parallel()
	a := write(t, "a.json", `{"InstancePollSeconds": 2, "ListenAddress": ":1"}`, 0o600)
	b := write(t, "b.json", `{"InstancePollSeconds": 3}`, 0o600)
	c, _, err := Load([]string{a, b}, true)
	require.NoError(t, err)
	require.Equal(t, uint(3), c.InstancePollSeconds)
	require.Equal(t, ":1", c.ListenAddress)
}

func TestCredentialsFile(t *testing.T) {
	t.Parallel()
	cred := write(t, "topo.cnf", "[client]\nuser = orc\npassword = s3cret\n\n[mysqld]\nport = 3306\n", 0o600)
	p := write(t, "conf.json", `{"MySQLTopologyCredentialsConfigFile": "`+cred+`", "MySQLTopologyPassword": "ignored"}`, 0o600)
	c, warnings, err := Load([]string{p}, true)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, "orc", c.MySQLTopologyUser)
	require.Equal(t, "s3cret", c.MySQLTopologyPassword)
	require.Equal(t, []string{"s3cret"}, c.Secrets())
	require.Equal(t, "********", c.Redacted().MySQLTopologyPassword)
	require.Equal(t, "s3cret", c.MySQLTopologyPassword, "Redacted copies")

	loose := write(t, "loose.cnf", "[client]\nuser = orc\npassword = x\n", 0o644)
	p = write(t, "conf2.json", `{"MySQLTopologyCredentialsConfigFile": "`+loose+`"}`, 0o600)
	_, warnings, err = Load([]string{p}, true)
	require.NoError(t, err)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "chmod 600")

	bad := write(t, "bad.cnf", "[client\nuser = orc\n", 0o600)
	p = write(t, "conf3.json", `{"MySQLTopologyCredentialsConfigFile": "`+bad+`"}`, 0o600)
	_, _, err = Load([]string{p}, true)
	require.ErrorContains(t, err, "credentials file")
}

func TestEnvPassword(t *testing.T) {
	t.Setenv("ORC_TEST_PW", "fromenv")
	p := write(t, "conf.json", `{"MySQLOrchestratorPassword": "${ORC_TEST_PW}"}`, 0o600)
	c, _, err := Load([]string{p}, true)
	require.NoError(t, err)
	require.Equal(t, "fromenv", c.MySQLOrchestratorPassword)
}
