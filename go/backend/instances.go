package backend

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"orchestrator/go/inst"
)

// column binds a database_instance column to an Instance field: the same
// table serves writing (value) and reading (pointer).
type column struct {
	name string
	ptr  any
}

// keyList stores a replica list as JSON text.
type keyList struct{ keys *[]inst.InstanceKey }

func (k keyList) Scan(v any) error {
	*k.keys = []inst.InstanceKey{}
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("cannot scan %T as key list", v)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, k.keys)
}

// nullString scans NULL text columns into a plain string.
type nullString struct{ s *string }

func (n nullString) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = x
	case []byte:
		*n.s = string(x)
	default:
		return fmt.Errorf("cannot scan %T as string", v)
	}
	return nil
}

type timeField struct{ t *time.Time }

func (f timeField) Scan(v any) error {
	var t Time
	if err := t.Scan(v); err != nil {
		return err
	}
	*f.t = t.Time
	return nil
}

type durationField struct{ d *time.Duration }

func (f durationField) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*f.d = time.Duration(n.Int64)
	return nil
}

func instanceColumns(i *inst.Instance) []column {
	return []column{
		{"hostname", &i.Key.Hostname}, {"port", &i.Key.Port},
		{"last_checked", timeField{&i.LastChecked}}, {"last_attempted_check", timeField{&i.LastAttemptedCheck}},
		{"last_seen", timeField{&i.LastSeen}}, {"last_probe_error", &i.LastProbeError},
		{"server_id", &i.ServerID}, {"server_uuid", &i.ServerUUID}, {"version", &i.Version},
		{"version_comment", &i.VersionComment}, {"flavor", &i.FlavorName}, {"read_only", &i.ReadOnly},
		{"super_read_only", &i.SuperReadOnly}, {"binlog_format", &i.Binlog_format},
		{"binlog_row_image", &i.BinlogRowImage}, {"log_bin", &i.LogBinEnabled},
		{"log_slave_updates", &i.LogReplicationUpdatesEnabled},
		{"binary_log_file", &i.SelfBinlogCoordinates.LogFile}, {"binary_log_pos", &i.SelfBinlogCoordinates.LogPos},
		{"master_host", &i.MasterKey.Hostname}, {"master_port", &i.MasterKey.Port}, {"master_uuid", &i.MasterUUID},
		{"replication_sql_thread_state", &i.ReplicationSQLThreadState},
		{"replication_io_thread_state", &i.ReplicationIOThreadState},
		{"has_replication_filters", &i.HasReplicationFilters}, {"supports_oracle_gtid", &i.SupportsOracleGTID},
		{"oracle_gtid", &i.UsingOracleGTID}, {"mariadb_gtid", &i.UsingMariaDBGTID}, {"gtid_mode", &i.GTIDMode},
		{"executed_gtid_set", nullString{&i.ExecutedGtidSet}}, {"gtid_purged", nullString{&i.GtidPurged}},
		{"gtid_errant", nullString{&i.GtidErrant}},
		{"mariadb_gtid_current_pos", nullString{&i.MariaDBGtidCurrentPos}},
		{"mariadb_gtid_slave_pos", nullString{&i.MariaDBGtidSlavePos}},
		{"mariadb_gtid_binlog_pos", nullString{&i.MariaDBGtidBinlogPos}},
		{"mariadb_gtid_io_pos", nullString{&i.MariaDBGtidIOPos}}, {"mariadb_using_gtid", &i.MariaDBUsingGtid},
		{"master_log_file", &i.ReadBinlogCoordinates.LogFile}, {"read_master_log_pos", &i.ReadBinlogCoordinates.LogPos},
		{"relay_master_log_file", &i.ExecBinlogCoordinates.LogFile}, {"exec_master_log_pos", &i.ExecBinlogCoordinates.LogPos},
		{"relay_log_file", &i.RelaylogCoordinates.LogFile}, {"relay_log_pos", &i.RelaylogCoordinates.LogPos},
		{"last_sql_error", nullString{&i.LastSQLError}}, {"last_io_error", nullString{&i.LastIOError}},
		{"seconds_behind_master", &i.SecondsBehindMaster}, {"slave_lag_seconds", &i.ReplicationLagSeconds},
		{"sql_delay", &i.SQLDelay}, {"heartbeat_period", &i.HeartbeatPeriod},
		{"received_heartbeats", &i.ReceivedHeartbeats}, {"replication_user", &i.ReplicationUser},
		{"slave_hosts", keyList{&i.Replicas}}, {"cluster_name", &i.ClusterName},
		{"suggested_cluster_alias", &i.SuggestedClusterAlias}, {"data_center", &i.DataCenter},
		{"region", &i.Region}, {"physical_environment", &i.PhysicalEnvironment},
		{"replication_depth", &i.ReplicationDepth}, {"is_co_master", &i.IsCoMaster},
		{"has_replication_credentials", &i.HasReplicationCredentials}, {"allow_tls", &i.AllowTLS},
		{"semi_sync_available", &i.SemiSyncAvailable}, {"semi_sync_master_enabled", &i.SemiSyncMasterEnabled},
		{"semi_sync_replica_enabled", &i.SemiSyncReplicaEnabled}, {"semi_sync_master_timeout", &i.SemiSyncMasterTimeout},
		{"semi_sync_master_wait_for_slave_count", &i.SemiSyncMasterWaitForReplicaCount},
		{"semi_sync_master_status", &i.SemiSyncMasterStatus}, {"semi_sync_master_clients", &i.SemiSyncMasterClients},
		{"semi_sync_replica_status", &i.SemiSyncReplicaStatus}, {"instance_alias", &i.InstanceAlias},
		{"promotion_rule_detected", (*string)(&i.PromotionRule)}, {"cluster_domain", &i.ClusterDomain},
		{"uptime", &i.Uptime}, {"last_discovery_latency", durationField{&i.LastDiscoveryLatency}},
	}
}

var instanceColumnNames = func() []string {
	cols := instanceColumns(&inst.Instance{})
	names := make([]string, len(cols))
	for n, c := range cols {
		names[n] = c.name
	}
	return names
}()

// value turns a column binding into a value to write.
func (c column) value() any {
	switch p := c.ptr.(type) {
	case timeField:
		if p.t.IsZero() {
			return nil
		}
		return ts(*p.t)
	case nullString:
		return *p.s
	case keyList:
		b, _ := json.Marshal(*p.keys)
		return string(b)
	case durationField:
		return int64(*p.d)
	case *string:
		return *p
	case *int:
		return *p
	case *int64:
		return *p
	case *uint:
		return *p
	case *uint64:
		return *p
	case *bool:
		return *p
	case *float64:
		return *p
	case *inst.ReplicationThreadState:
		return int(*p)
	case *sql.NullInt64:
		if !p.Valid {
			return nil
		}
		return p.Int64
	}
	panic(fmt.Sprintf("backend: no value for column %s (%T)", c.name, c.ptr))
}

// instanceRowsPerStatement bounds one multi-row upsert: 200 rows of the
// instance columns stay below SQLite's and MySQL's placeholder limits.
const instanceRowsPerStatement = 200

// WriteInstances stores probe results in one transaction. On MySQL they go
// as multi-row upserts of up to instanceRowsPerStatement rows each (one
// round trip for a typical batch of the poll loop); on SQLite, where a
// statement costs no round trip, as one prepared single-row upsert run per
// row, which spares parsing a statement of thousands of placeholders for
// every batch. A key listed twice keeps its last row. Rows go in key order,
// so that concurrent batches lock shared index entries in one order; a
// batch chosen as a deadlock victim anyway is tried again (writeAttempts).
func (s *Store) WriteInstances(ctx context.Context, instances []*inst.Instance) error {
	instances = lastPerKey(instances)
	if len(instances) == 0 {
		return nil
	}
	instances = slices.Clone(instances) // sorted below; the caller's order stays
	slices.SortFunc(instances, func(a, b *inst.Instance) int {
		return cmp.Or(strings.Compare(a.Key.Hostname, b.Key.Hostname), cmp.Compare(a.Key.Port, b.Key.Port))
	})
	var err error
	for attempt := 1; attempt <= writeAttempts; attempt++ {
		if err = s.writeInstancesTx(ctx, instances); err == nil || !isDeadlock(err) || ctx.Err() != nil {
			break
		}
	}
	return err
}

// writeAttempts bounds the tries of one batch of probe results chosen as
// a deadlock victim.
const writeAttempts = 3

// isDeadlock reports MySQL's "Deadlock found when trying to get lock"
// (1213): the transaction was rolled back and may simply run again.
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}

func (s *Store) writeInstancesTx(ctx context.Context, instances []*inst.Instance) error {
	c, cancel := s.ctx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(c, nil)
	if err != nil {
		return fmt.Errorf("write instances: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.dialect.Name() == "sqlite3" {
		err = s.writeInstancesPrepared(c, tx, instances)
	} else {
		err = s.writeInstancesMultiRow(c, tx, instances)
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write instances: %w", err)
	}
	return nil
}

func (s *Store) writeInstancesMultiRow(ctx context.Context, tx *sql.Tx, instances []*inst.Instance) error {
	for len(instances) > 0 {
		n := min(len(instances), instanceRowsPerStatement)
		if _, err := tx.ExecContext(ctx, s.instanceUpsert(n), instanceArgs(instances[:n])...); err != nil {
			return fmt.Errorf("write %d instances (first %s): %w", n, instances[0].Key, err)
		}
		instances = instances[n:]
	}
	return nil
}

func (s *Store) writeInstancesPrepared(ctx context.Context, tx *sql.Tx, instances []*inst.Instance) error {
	stmt, err := s.prepared(ctx, s.instanceUpsert(1))
	if err != nil {
		return fmt.Errorf("write instances: %w", err)
	}
	txStmt := tx.StmtContext(ctx, stmt)
	defer txStmt.Close()
	args := make([]any, 0, len(instanceColumnNames))
	for _, i := range instances {
		args = args[:0]
		for _, col := range instanceColumns(i) {
			args = append(args, col.value())
		}
		if _, err := txStmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("write instance %s: %w", i.Key, err)
		}
	}
	return nil
}

// lastPerKey drops all but the last entry of each key (an upsert cannot
// touch one row twice) and nil entries, keeping order.
func lastPerKey(instances []*inst.Instance) []*inst.Instance {
	last := make(map[inst.InstanceKey]int, len(instances))
	for n, i := range instances {
		if i != nil {
			last[i.Key] = n
		}
	}
	if len(last) == len(instances) {
		return instances
	}
	out := make([]*inst.Instance, 0, len(last))
	for n, i := range instances {
		if i != nil && last[i.Key] == n {
			out = append(out, i)
		}
	}
	return out
}

// instanceUpsert is the dialect's upsert of database_instance with rows
// value tuples.
func (s *Store) instanceUpsert(rows int) string {
	q := s.dialect.Upsert("database_instance", instanceColumnNames, []string{"hostname", "port"})
	if rows == 1 {
		return q
	}
	tuple := "(" + placeholders(len(instanceColumnNames)) + ")"
	return strings.Replace(q, tuple, strings.TrimSuffix(strings.Repeat(tuple+",", rows), ","), 1)
}

func instanceArgs(instances []*inst.Instance) []any {
	args := make([]any, 0, len(instances)*len(instanceColumnNames))
	for _, i := range instances {
		for _, col := range instanceColumns(i) {
			args = append(args, col.value())
		}
	}
	return args
}

// InstanceFilter narrows ReadInstances.
type InstanceFilter struct {
	Key         *inst.InstanceKey
	ClusterName string
	MasterKey   *inst.InstanceKey
	// MastersOnly keeps instances that replicate from nobody (or from a
	// detached master): exactly those for which inst.Instance.IsMaster holds.
	MastersOnly bool
}

// mastersOnly is inst.Instance.IsMaster in SQL: not (master host set, not
// "_", port set, and a binlog file or GTID in use), or a detached master.
const mastersOnly = `(NOT (master_host NOT IN ('', '_') AND master_port <> 0 AND (master_log_file <> '' OR oracle_gtid <> 0 OR mariadb_gtid <> 0)) OR master_host LIKE '//%')`

// ReadInstances returns instances, ordered by cluster, depth and key.
func (s *Store) ReadInstances(ctx context.Context, f InstanceFilter) ([]*inst.Instance, error) {
	var where []string
	var args []any
	if f.Key != nil {
		where = append(where, "hostname=? AND port=?")
		args = append(args, f.Key.Hostname, f.Key.Port)
	}
	if f.ClusterName != "" {
		where = append(where, "cluster_name=?")
		args = append(args, f.ClusterName)
	}
	if f.MasterKey != nil {
		where = append(where, "master_host=? AND master_port=?")
		args = append(args, f.MasterKey.Hostname, f.MasterKey.Port)
	}
	if f.MastersOnly {
		where = append(where, mastersOnly)
	}
	q := "SELECT " + strings.Join(instanceColumnNames, ",") + " FROM database_instance"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY cluster_name, replication_depth, hostname, port"
	var out []*inst.Instance
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		i := &inst.Instance{}
		cols := instanceColumns(i)
		ptrs := make([]any, len(cols))
		for n, c := range cols {
			ptrs[n] = c.ptr
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out = append(out, i)
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read instances: %w", err)
	}
	return out, nil
}

// ReadInstance returns one instance or an error wrapping inst.ErrNotFound.
func (s *Store) ReadInstance(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	list, err := s.ReadInstances(ctx, InstanceFilter{Key: &key})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("instance %s: %w", key, inst.ErrNotFound)
	}
	return list[0], nil
}

// ForgetInstance deletes an instance; it reports ErrNotFound when unknown.
func (s *Store) ForgetInstance(ctx context.Context, key inst.InstanceKey) error {
	n, err := s.affected(ctx, `DELETE FROM database_instance WHERE hostname=? AND port=?`, key.Hostname, key.Port)
	if err != nil {
		return fmt.Errorf("forget %s: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("forget %s: %w", key, inst.ErrNotFound)
	}
	return nil
}

// InstanceKeys lists every known key with its last attempted check time.
func (s *Store) InstanceKeys(ctx context.Context) ([]inst.InstanceKey, error) {
	var out []inst.InstanceKey
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var k inst.InstanceKey
		if err := rows.Scan(&k.Hostname, &k.Port); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	}, `SELECT hostname, port FROM database_instance ORDER BY hostname, port`)
	if err != nil {
		return nil, fmt.Errorf("read instance keys: %w", err)
	}
	return out, nil
}

// IsNotFound reports whether err wraps inst.ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, inst.ErrNotFound) }

// SetClusterAndDepth updates an instance's cluster name and depth.
func (s *Store) SetClusterAndDepth(ctx context.Context, key inst.InstanceKey, cluster string, depth uint) error {
	if _, err := s.exec(ctx, `UPDATE database_instance SET cluster_name=?, replication_depth=? WHERE hostname=? AND port=?`, cluster, depth, key.Hostname, key.Port); err != nil {
		return fmt.Errorf("set cluster of %s: %w", key, err)
	}
	return nil
}

// DueInstanceKeys lists instances whose last check is older than the cutoff.
func (s *Store) DueInstanceKeys(ctx context.Context, checkedBefore time.Time) ([]inst.InstanceKey, error) {
	var out []inst.InstanceKey
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var k inst.InstanceKey
		if err := rows.Scan(&k.Hostname, &k.Port); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	}, `SELECT hostname, port FROM database_instance WHERE last_checked IS NULL OR last_checked < ?`, ts(checkedBefore))
	if err != nil {
		return nil, fmt.Errorf("read due instances: %w", err)
	}
	return out, nil
}

// ClustersOfHostnamePrefix lists the distinct clusters of instances whose
// hostname starts with prefix.
func (s *Store) ClustersOfHostnamePrefix(ctx context.Context, prefix string) ([]string, error) {
	out := []string{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		out = append(out, name)
		return nil
	}, `SELECT DISTINCT cluster_name FROM database_instance WHERE substr(hostname, 1, ?) = ? ORDER BY cluster_name`, utf8.RuneCountInString(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("read clusters of hostname prefix %q: %w", prefix, err)
	}
	return out, nil
}
