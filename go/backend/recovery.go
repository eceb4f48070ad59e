package backend

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// RecoveryPageSize is the number of recoveries per page.
const RecoveryPageSize = 20

// RecoveryRow is one topology_recovery row. List fields are stored as JSON;
// AnalysisEntry and DataSafety are JSON documents owned by go/recovery.
type RecoveryRow struct {
	Id                        int64 //nolint:revive // upstream JSON name
	UID                       string
	Key                       inst.InstanceKey
	InActivePeriod            bool
	StartActivePeriod         time.Time
	EndRecovery               time.Time
	ProcessingNodeHostname    string
	ProcessingNodeToken       string
	SuccessorKey              inst.InstanceKey
	SuccessorAlias            string
	SuccessorBinlogCoords     string
	Analysis                  string
	ClusterName               string
	ClusterAlias              string
	CountAffectedReplicas     int
	ReplicaHosts              []inst.InstanceKey
	ParticipatingInstanceKeys []inst.InstanceKey
	LostReplicas              []inst.InstanceKey
	AllErrors                 []string
	IsSuccessful              bool
	Acknowledged              bool
	AcknowledgedAt            time.Time
	AcknowledgedBy            string
	AcknowledgedComment       string
	LastDetectionId           int64 //nolint:revive // upstream JSON name
	RecoveryType              string
	Kind                      string
	CommandHint               string
	AnalysisEntry             string
	DataSafety                string
	Interrupted               bool
}

// RecoveryStep is one line of a recovery's progress.
type RecoveryStep struct {
	Id          int64 //nolint:revive // upstream JSON name
	RecoveryUID string
	AuditAt     string
	Message     string
}

const recoveryColumns = `recovery_id, uid, hostname, port, in_active_period, start_active_period, end_recovery,
	processing_node_hostname, processcing_node_token, successor_hostname, successor_port, successor_alias,
	successor_binlog_coordinates, analysis, cluster_name, cluster_alias, count_affected_slaves, slave_hosts,
	participating_instances, lost_slaves, all_errors, is_successful, acknowledged, acknowledged_at,
	acknowledged_by, acknowledge_comment, last_detection_id, recovery_type, recovery_kind, command_hint,
	analysis_entry, data_safety, interrupted`

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// InsertRecovery registers a recovery in its active period and returns its id.
func (s *Store) InsertRecovery(ctx context.Context, r *RecoveryRow) (int64, error) {
	res, err := s.exec(ctx, `INSERT INTO topology_recovery (uid, hostname, port, in_active_period, start_active_period,
		processing_node_hostname, processcing_node_token, analysis, cluster_name, cluster_alias, count_affected_slaves,
		slave_hosts, last_detection_id, recovery_type, recovery_kind, command_hint, analysis_entry, all_errors, lost_slaves, participating_instances)
		VALUES (?,?,?,1,?,?,?,?,?,?,?,?,?,?,?,?,?,'[]','[]','[]')`,
		r.UID, r.Key.Hostname, r.Key.Port, ts(r.StartActivePeriod), r.ProcessingNodeHostname, r.ProcessingNodeToken,
		r.Analysis, r.ClusterName, r.ClusterAlias, r.CountAffectedReplicas, jsonText(r.ReplicaHosts), r.LastDetectionId,
		r.RecoveryType, r.Kind, r.CommandHint, r.AnalysisEntry)
	if err != nil {
		return 0, fmt.Errorf("register recovery of %s: %w", r.Key, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("register recovery of %s: %w", r.Key, err)
	}
	r.Id, r.InActivePeriod = id, true
	return id, nil
}

// ResolveRecovery writes a recovery's outcome.
func (s *Store) ResolveRecovery(ctx context.Context, r *RecoveryRow) error {
	_, err := s.exec(ctx, `UPDATE topology_recovery SET end_recovery=?, successor_hostname=?, successor_port=?,
		successor_alias=?, successor_binlog_coordinates=?, is_successful=?, lost_slaves=?, participating_instances=?,
		all_errors=?, recovery_type=?, data_safety=?, interrupted=?, analysis_entry=? WHERE uid=?`,
		ts(r.EndRecovery), r.SuccessorKey.Hostname, r.SuccessorKey.Port, r.SuccessorAlias, r.SuccessorBinlogCoords,
		boolInt(r.IsSuccessful), jsonText(keysOrEmpty(r.LostReplicas)), jsonText(keysOrEmpty(r.ParticipatingInstanceKeys)),
		jsonText(stringsOrEmpty(r.AllErrors)), r.RecoveryType, r.DataSafety, boolInt(r.Interrupted), r.AnalysisEntry, r.UID)
	if err != nil {
		return fmt.Errorf("resolve recovery %s: %w", r.UID, err)
	}
	return nil
}

// RecordPromotionIntent notes, before a recovery promotes successor, that
// it is about to: an interrupted recovery that had come this far must
// keep blocking its cluster (it may have changed the topology), one that
// had not need not.
func (s *Store) RecordPromotionIntent(ctx context.Context, uid string, successor inst.InstanceKey) error {
	n, err := s.affected(ctx, `UPDATE topology_recovery SET successor_hostname=?, successor_port=? WHERE uid=?`, successor.Hostname, successor.Port, uid)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("record the promotion of %s by recovery %s: %w", successor, uid, err)
	}
	return nil
}

// SetRecoveryDataSafety replaces a recovery's data-safety report.
func (s *Store) SetRecoveryDataSafety(ctx context.Context, uid, report string) error {
	if _, err := s.exec(ctx, `UPDATE topology_recovery SET data_safety=? WHERE uid=?`, report, uid); err != nil {
		return fmt.Errorf("data-safety report of %s: %w", uid, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func keysOrEmpty(k []inst.InstanceKey) []inst.InstanceKey {
	if k == nil {
		return []inst.InstanceKey{}
	}
	return k
}

func stringsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteRecoveryStep appends a progress line to a recovery.
func (s *Store) WriteRecoveryStep(ctx context.Context, uid, message string) error {
	_, err := s.exec(ctx, `INSERT INTO topology_recovery_steps (recovery_uid, audit_at, message) VALUES (?,?,?)`, uid, ts(time.Now()), message)
	if err != nil {
		return fmt.Errorf("recovery step of %s: %w", uid, err)
	}
	return nil
}

// RecoverySteps returns a recovery's steps, oldest first.
func (s *Store) RecoverySteps(ctx context.Context, uid string) ([]RecoveryStep, error) {
	out := []RecoveryStep{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var st RecoveryStep
		var at Time
		if err := rows.Scan(&st.Id, &st.RecoveryUID, &at, &st.Message); err != nil {
			return err
		}
		st.AuditAt = inst.FormatTime(at.Time)
		out = append(out, st)
		return nil
	}, `SELECT recovery_step_id, recovery_uid, audit_at, message FROM topology_recovery_steps WHERE recovery_uid=? ORDER BY recovery_step_id`, uid)
	if err != nil {
		return nil, fmt.Errorf("read recovery steps of %s: %w", uid, err)
	}
	return out, nil
}

// RecoveryQuery selects recoveries; zero fields do not filter.
type RecoveryQuery struct {
	Page           int
	ID             int64
	UID            string
	ClusterName    string
	ClusterAlias   string
	Key            *inst.InstanceKey
	Unacknowledged bool
	ActiveOnly     bool // in the active (blocking) period
	InProgress     bool // not yet resolved
	All            bool // no paging
}

func (q RecoveryQuery) where() (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if q.ID != 0 {
		add("recovery_id=?", q.ID)
	}
	if q.UID != "" {
		add("uid=?", q.UID)
	}
	if q.ClusterName != "" {
		add("cluster_name=?", q.ClusterName)
	}
	if q.ClusterAlias != "" {
		add("cluster_alias=?", q.ClusterAlias)
	}
	if q.Key != nil {
		add("hostname=? AND port=?", q.Key.Hostname, q.Key.Port)
	}
	if q.Unacknowledged {
		add("acknowledged=0")
	}
	if q.ActiveOnly {
		add("in_active_period=1")
	}
	if q.InProgress {
		add("end_recovery IS NULL")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ReadRecoveries returns recoveries, newest first, a page at a time.
func (s *Store) ReadRecoveries(ctx context.Context, q RecoveryQuery) ([]RecoveryRow, error) {
	where, args := q.where()
	query := `SELECT ` + recoveryColumns + ` FROM topology_recovery` + where + ` ORDER BY recovery_id DESC`
	if !q.All {
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", RecoveryPageSize, max(q.Page, 0)*RecoveryPageSize)
	}
	out := []RecoveryRow{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		r, err := scanRecovery(rows)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read recoveries: %w", err)
	}
	return out, nil
}

func scanRecovery(rows *sql.Rows) (RecoveryRow, error) {
	var r RecoveryRow
	var start, end, ackAt Time
	var replicaHosts, participating, lost, errs, entry, safety, comment sql.NullString
	var inActive, ok, ack, interrupted int
	err := rows.Scan(&r.Id, &r.UID, &r.Key.Hostname, &r.Key.Port, &inActive, &start, &end,
		&r.ProcessingNodeHostname, &r.ProcessingNodeToken, &r.SuccessorKey.Hostname, &r.SuccessorKey.Port, &r.SuccessorAlias,
		&r.SuccessorBinlogCoords, &r.Analysis, &r.ClusterName, &r.ClusterAlias, &r.CountAffectedReplicas, &replicaHosts,
		&participating, &lost, &errs, &ok, &ack, &ackAt, &r.AcknowledgedBy, &comment, &r.LastDetectionId,
		&r.RecoveryType, &r.Kind, &r.CommandHint, &entry, &safety, &interrupted)
	if err != nil {
		return r, err
	}
	r.InActivePeriod, r.IsSuccessful, r.Acknowledged, r.Interrupted = inActive == 1, ok == 1, ack == 1, interrupted == 1
	r.StartActivePeriod, r.EndRecovery, r.AcknowledgedAt = start.Time, end.Time, ackAt.Time
	r.AcknowledgedComment, r.AnalysisEntry, r.DataSafety = comment.String, entry.String, safety.String
	for _, f := range []struct {
		text sql.NullString
		dst  any
	}{{replicaHosts, &r.ReplicaHosts}, {participating, &r.ParticipatingInstanceKeys}, {lost, &r.LostReplicas}, {errs, &r.AllErrors}} {
		if f.text.String != "" {
			_ = json.Unmarshal([]byte(f.text.String), f.dst)
		}
	}
	r.ReplicaHosts, r.ParticipatingInstanceKeys, r.LostReplicas = keysOrEmpty(r.ReplicaHosts), keysOrEmpty(r.ParticipatingInstanceKeys), keysOrEmpty(r.LostReplicas)
	r.AllErrors = stringsOrEmpty(r.AllErrors)
	return r, nil
}

// AckRecoveries acknowledges the selected unacknowledged recoveries and ends
// their active period, so they no longer block a new recovery.
func (s *Store) AckRecoveries(ctx context.Context, q RecoveryQuery, by, comment string) (int64, error) {
	q.Unacknowledged = true
	where, args := q.where()
	args = append([]any{ts(time.Now()), by, comment, time.Now().Unix()}, args...)
	n, err := s.affected(ctx, `UPDATE topology_recovery SET acknowledged=1, acknowledged_at=?, acknowledged_by=?,
		acknowledge_comment=?, in_active_period=0, end_active_period_unixtime=?`+where, args...)
	if err != nil {
		return 0, fmt.Errorf("acknowledge recoveries: %w", err)
	}
	return n, nil
}

// BlockingRecovery returns the recovery that blocks a new one on key in
// cluster: unacknowledged, started within block, and either in the same
// cluster or having promoted key itself. A recovery interrupted before it
// recorded the intent to promote changed nothing and does not block; nor
// does one that failed before that point block the recovery of another
// instance (an intermediate master's failed recovery must not hold up the
// master's), though it still blocks a new attempt on its own instance.
// ErrNoRows when none.
func (s *Store) BlockingRecovery(ctx context.Context, cluster string, key inst.InstanceKey, block time.Duration) (RecoveryRow, error) {
	rows, err := s.readRecoveriesWhere(ctx, `in_active_period=1 AND acknowledged=0 AND start_active_period >= ?
		AND NOT (interrupted=1 AND successor_hostname='')
		AND NOT (end_recovery IS NOT NULL AND is_successful=0 AND successor_hostname='' AND NOT (hostname=? AND port=?))
		AND (cluster_name=? OR (successor_hostname=? AND successor_port=?)) ORDER BY recovery_id DESC LIMIT 1`,
		ts(time.Now().Add(-block)), key.Hostname, key.Port, cluster, key.Hostname, key.Port)
	if err != nil {
		return RecoveryRow{}, err
	}
	if len(rows) == 0 {
		return RecoveryRow{}, ErrNoRows
	}
	return rows[0], nil
}

func (s *Store) readRecoveriesWhere(ctx context.Context, cond string, args ...any) ([]RecoveryRow, error) {
	var out []RecoveryRow
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		r, err := scanRecovery(rows)
		if err == nil {
			out = append(out, r)
		}
		return err
	}, `SELECT `+recoveryColumns+` FROM topology_recovery WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("read recoveries: %w", err)
	}
	return out, nil
}

// ExpireRecoveryPeriods ends the active period of recoveries older than block.
func (s *Store) ExpireRecoveryPeriods(ctx context.Context, block time.Duration) (int64, error) {
	return s.affected(ctx, `UPDATE topology_recovery SET in_active_period=0, end_active_period_unixtime=?
		WHERE in_active_period=1 AND start_active_period < ?`, time.Now().Unix(), ts(time.Now().Add(-block)))
}

// revisitWindow bounds how long after a failover the failed master is
// watched for: an acknowledgement or the end of the block period does
// not end it.
const revisitWindow = 24 * time.Hour

// RecoveriesToRevisit returns successful master and co-master recoveries
// of the last day whose data-safety report has not been completed.
func (s *Store) RecoveriesToRevisit(ctx context.Context) ([]RecoveryRow, error) {
	return s.readRecoveriesWhere(ctx, `is_successful=1 AND recovery_kind IN ('MasterRecovery', 'CoMasterRecovery')
		AND end_recovery >= ? AND (data_safety IS NULL OR data_safety NOT LIKE '%"FailedMasterChecked":true%') ORDER BY recovery_id`,
		ts(time.Now().Add(-revisitWindow)))
}

// PurgeRecoveries deletes recoveries that started before olderThan, and
// their steps. A recovery is kept, whatever its age, while it is not
// resolved, still in its active (blocking) period, or within the day in
// which its failed master is revisited: purging never lifts a block or
// ends a watch.
func (s *Store) PurgeRecoveries(ctx context.Context, olderThan time.Time) (int64, error) {
	cond := `start_active_period < ? AND end_recovery IS NOT NULL AND end_recovery < ? AND in_active_period=0`
	args := []any{ts(olderThan), ts(time.Now().Add(-revisitWindow))}
	if _, err := s.exec(ctx, `DELETE FROM topology_recovery_steps WHERE recovery_uid IN (SELECT uid FROM topology_recovery WHERE `+cond+`)`, args...); err != nil {
		return 0, fmt.Errorf("purge recovery steps: %w", err)
	}
	n, err := s.affected(ctx, `DELETE FROM topology_recovery WHERE `+cond, args...)
	if err != nil {
		return 0, fmt.Errorf("purge recoveries: %w", err)
	}
	return n, nil
}
