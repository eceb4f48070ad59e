package mysql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

func stepQueries(steps []step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.query
	}
	return out
}

func TestProbeStepsMariaDB(t *testing.T) {
	p := newProbe(inst.InstanceKey{Hostname: "db1", Port: 3306}, mariadb1011)
	q := stepQueries(p.coreSteps())
	require.Len(t, q, 5)
	require.True(t, strings.HasPrefix(q[0], "SELECT @@global.version, "))
	for _, v := range []string{"@@global.gtid_current_pos", "@@global.gtid_slave_pos", "@@global.gtid_binlog_pos",
		"@@global.log_slave_updates", "@@global.rpl_semi_sync_master_enabled", "@@global.binlog_row_image"} {
		require.Contains(t, q[0], v)
	}
	for _, v := range []string{"server_uuid", "gtid_mode", "super_read_only", "GROUP_CONCAT"} {
		require.NotContains(t, q[0], v)
	}
	require.True(t, strings.HasPrefix(q[1], "SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', "))
	require.Equal(t, []string{"SHOW MASTER STATUS", "SHOW SLAVE STATUS", "SHOW SLAVE HOSTS"}, q[2:])
}

func TestProbeStepsMySQL84(t *testing.T) {
	p := newProbe(inst.InstanceKey{Hostname: "db1", Port: 3306}, TerminologyFor("8.4.3", "MySQL Community Server - GPL"))
	q := stepQueries(p.coreSteps())
	require.Len(t, q, 6)
	for _, v := range []string{"@@global.server_uuid", "@@global.gtid_mode", "@@global.gtid_executed", "@@global.gtid_purged",
		"@@global.super_read_only", "@@global.log_replica_updates"} {
		require.Contains(t, q[0], v)
	}
	require.NotContains(t, q[0], "gtid_current_pos")
	require.NotContains(t, q[0], "rpl_semi_sync")
	require.Equal(t, []string{"SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'", "SHOW BINARY LOG STATUS", "SHOW REPLICA STATUS", "SHOW REPLICAS"}, q[2:])
}

func TestConfigSteps(t *testing.T) {
	cfg := config.Defaults()
	cfg.ReplicationLagQuery = "SELECT lag FROM meta.heartbeat;"
	cfg.DetectPromotionRuleQuery = "SELECT 'prefer'"
	cfg.DetectClusterAliasQuery = "SELECT 'alias'"
	p := newProbe(inst.InstanceKey{Hostname: "db1", Port: 3306}, mariadb1011)
	steps := p.configSteps(cfg)
	require.Equal(t, []string{"SELECT lag FROM meta.heartbeat", "SELECT 'alias'", "SELECT 'prefer'"}, stepQueries(steps))
	for _, s := range steps {
		require.True(t, s.optional)
	}
	require.NoError(t, p.setLag("-5"))
	require.Equal(t, int64(0), p.lag.Int64)
	require.True(t, p.lag.Valid)
	require.NoError(t, p.setLag(""))
	require.False(t, p.lag.Valid)
	require.Error(t, p.setLag("soon"))
}

func TestProbeFinish(t *testing.T) {
	cfg := config.Defaults()
	cfg.DataCenterPattern = `^db-([a-z]+)-`
	cfg.RegionPattern = `^db-[a-z]+-([a-z0-9]+)\.`
	p := newProbe(inst.InstanceKey{Hostname: "db-ams-eu1.example.com", Port: 3306}, mariadb1011)
	p.inst.Version, p.inst.LogBinEnabled = "10.11.6-MariaDB-log", true
	p.inst.MariaDBGtidBinlogPos, p.inst.MariaDBGtidCurrentPos = "0-1-10", "0-1-10,1-2-3"
	p.vars = row{"rpl_semi_sync_master_enabled": {s: "ON", valid: true}, "rpl_semi_sync_slave_enabled": {s: "OFF", valid: true},
		"rpl_semi_sync_master_timeout": {s: "10000", valid: true}}
	p.status = row{"uptime": {s: "42", valid: true}, "rpl_semi_sync_master_status": {s: "ON", valid: true},
		"rpl_semi_sync_master_clients": {s: "2", valid: true}}
	p.finish(cfg, compilePatterns(cfg))
	i := p.inst
	require.Equal(t, inst.FlavorMariaDB, i.FlavorName)
	require.Equal(t, "0-1-10", i.ExecutedGtidSet)
	require.Equal(t, uint(42), i.Uptime)
	require.True(t, i.SemiSyncAvailable)
	require.True(t, i.SemiSyncMasterEnabled)
	require.True(t, i.SemiSyncMasterStatus)
	require.Equal(t, uint(2), i.SemiSyncMasterClients)
	require.Equal(t, uint(1), i.SemiSyncMasterWaitForReplicaCount)
	require.Equal(t, uint64(10000), i.SemiSyncMasterTimeout)
	require.Equal(t, inst.ThreadStateNoThread, i.ReplicationIOThreadState)
	require.False(t, i.ReplicationLagSeconds.Valid)
	require.Equal(t, "ams", i.DataCenter)
	require.Equal(t, "eu1", i.Region)
	require.Equal(t, inst.NeutralPromoteRule, i.PromotionRule)
	require.NotNil(t, i.Replicas)
}
