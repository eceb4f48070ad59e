package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// Detection is one topology_failure_detection row: a failure seen, once
// per detection period.
type Detection struct {
	Id                     int64 //nolint:revive // upstream JSON name
	Key                    inst.InstanceKey
	Analysis               string
	ClusterName            string
	ClusterAlias           string
	CountAffectedReplicas  int
	IsActionable           bool
	InActivePeriod         bool
	StartActivePeriod      string
	ProcessingNodeHostname string
	ProcessingNodeToken    string
	Explanation            string
}

// InsertDetection records a detection unless one for the same instance
// (and actionability) is still in its active period. inserted says which.
func (s *Store) InsertDetection(ctx context.Context, d Detection) (id int64, inserted bool, err error) {
	q := s.dialect.InsertIgnore("topology_failure_detection", []string{"hostname", "port", "in_active_period",
		"start_active_period", "end_active_period_unixtime", "processing_node_hostname", "processcing_node_token",
		"analysis", "cluster_name", "cluster_alias", "count_affected_slaves", "is_actionable", "explanation"})
	res, err := s.exec(ctx, q, d.Key.Hostname, d.Key.Port, 1, ts(time.Now()), 0, d.ProcessingNodeHostname,
		d.ProcessingNodeToken, d.Analysis, d.ClusterName, d.ClusterAlias, d.CountAffectedReplicas, boolInt(d.IsActionable), d.Explanation)
	if err != nil {
		return 0, false, fmt.Errorf("register detection on %s: %w", d.Key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	id, err = res.LastInsertId()
	return id, err == nil, err
}

// ExpireDetections ends the active period of detections older than period.
func (s *Store) ExpireDetections(ctx context.Context, period time.Duration) (int64, error) {
	return s.affected(ctx, `UPDATE topology_failure_detection SET in_active_period=0, end_active_period_unixtime=?
		WHERE in_active_period=1 AND start_active_period < ?`, time.Now().UnixNano(), ts(time.Now().Add(-period)))
}

// AckDetections ends the active period of an instance's detections.
func (s *Store) AckDetections(ctx context.Context, key inst.InstanceKey) error {
	_, err := s.exec(ctx, `UPDATE topology_failure_detection SET in_active_period=0, end_active_period_unixtime=?
		WHERE in_active_period=1 AND hostname=? AND port=?`, time.Now().UnixNano(), key.Hostname, key.Port)
	return err
}

// ReadDetections returns detections, newest first, a page at a time,
// optionally one by id or one cluster alias.
func (s *Store) ReadDetections(ctx context.Context, page int, id int64, alias string) ([]Detection, error) {
	where, args := "", []any{}
	switch {
	case id != 0:
		where, args = " WHERE detection_id=?", append(args, id)
	case alias != "":
		where, args = " WHERE cluster_alias=?", append(args, alias)
	}
	out := []Detection{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var d Detection
		var start Time
		var active, actionable int
		var expl sql.NullString
		if err := rows.Scan(&d.Id, &d.Key.Hostname, &d.Key.Port, &active, &start, &d.ProcessingNodeHostname, &d.ProcessingNodeToken,
			&d.Analysis, &d.ClusterName, &d.ClusterAlias, &d.CountAffectedReplicas, &actionable, &expl); err != nil {
			return err
		}
		d.InActivePeriod, d.IsActionable, d.StartActivePeriod, d.Explanation = active == 1, actionable == 1, inst.FormatTime(start.Time), expl.String
		out = append(out, d)
		return nil
	}, `SELECT detection_id, hostname, port, in_active_period, start_active_period, processing_node_hostname,
		processcing_node_token, analysis, cluster_name, cluster_alias, count_affected_slaves, is_actionable, explanation
		FROM topology_failure_detection`+where+fmt.Sprintf(" ORDER BY detection_id DESC LIMIT %d OFFSET %d", RecoveryPageSize, max(page, 0)*RecoveryPageSize), args...)
	if err != nil {
		return nil, fmt.Errorf("read detections: %w", err)
	}
	return out, nil
}

// BlockedRecovery is a recovery refused by anti-flapping, in upstream's shape.
type BlockedRecovery struct {
	FailedInstanceKey    inst.InstanceKey
	ClusterName          string
	Analysis             string
	LastBlockedTimestamp string
	BlockingRecoveryId   int64 //nolint:revive // upstream JSON name
	Reason               string
}

// RecordBlockedRecovery notes (or refreshes) a blocked recovery.
func (s *Store) RecordBlockedRecovery(ctx context.Context, b BlockedRecovery) error {
	_, err := s.exec(ctx, s.dialect.Upsert("blocked_topology_recovery",
		[]string{"hostname", "port", "cluster_name", "analysis", "last_blocked_timestamp", "blocking_recovery_id", "reason"},
		[]string{"hostname", "port"}),
		b.FailedInstanceKey.Hostname, b.FailedInstanceKey.Port, b.ClusterName, b.Analysis, ts(time.Now()), b.BlockingRecoveryId, b.Reason)
	if err != nil {
		return fmt.Errorf("record blocked recovery on %s: %w", b.FailedInstanceKey, err)
	}
	return nil
}

// BlockedRecoveries lists blocked recoveries seen within the last period,
// optionally of one cluster.
func (s *Store) BlockedRecoveries(ctx context.Context, cluster string, within time.Duration) ([]BlockedRecovery, error) {
	q := `SELECT hostname, port, cluster_name, analysis, last_blocked_timestamp, blocking_recovery_id, reason
		FROM blocked_topology_recovery WHERE last_blocked_timestamp >= ?`
	args := []any{ts(time.Now().Add(-within))}
	if cluster != "" {
		q, args = q+` AND cluster_name=?`, append(args, cluster)
	}
	out := []BlockedRecovery{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var b BlockedRecovery
		var at Time
		var reason sql.NullString
		if err := rows.Scan(&b.FailedInstanceKey.Hostname, &b.FailedInstanceKey.Port, &b.ClusterName, &b.Analysis, &at, &b.BlockingRecoveryId, &reason); err != nil {
			return err
		}
		b.LastBlockedTimestamp, b.Reason = inst.FormatTime(at.Time), reason.String
		out = append(out, b)
		return nil
	}, q+` ORDER BY last_blocked_timestamp DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("read blocked recoveries: %w", err)
	}
	return out, nil
}

// AnalysisChange is one instance's analysis code, for the changelog.
type AnalysisChange struct {
	AnalyzedInstanceKey inst.InstanceKey
	Changelog           []string
}

// RecordAnalysis stores the latest analysis code per instance and appends
// to the changelog the ones that changed. codes holds every analysed
// instance of this round.
func (s *Store) RecordAnalysis(ctx context.Context, codes map[inst.InstanceKey]string) error {
	last := map[inst.InstanceKey]string{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var k inst.InstanceKey
		var a string
		if err := rows.Scan(&k.Hostname, &k.Port, &a); err != nil {
			return err
		}
		last[k] = a
		return nil
	}, `SELECT hostname, port, analysis FROM database_instance_last_analysis`)
	if err != nil {
		return fmt.Errorf("read last analysis: %w", err)
	}
	now := ts(time.Now())
	upsert := s.dialect.Upsert("database_instance_last_analysis", []string{"hostname", "port", "analysis_timestamp", "analysis"}, []string{"hostname", "port"})
	for k, code := range codes {
		if prev, ok := last[k]; ok && prev == code {
			continue
		}
		if _, err := s.exec(ctx, upsert, k.Hostname, k.Port, now, code); err != nil {
			return fmt.Errorf("record analysis of %s: %w", k, err)
		}
		if _, err := s.exec(ctx, `INSERT INTO database_instance_analysis_changelog (hostname, port, analysis_timestamp, analysis) VALUES (?,?,?,?)`,
			k.Hostname, k.Port, now, code); err != nil {
			return fmt.Errorf("record analysis change of %s: %w", k, err)
		}
	}
	return nil
}

// AnalysisChangelog returns each instance's analysis changes, newest first.
func (s *Store) AnalysisChangelog(ctx context.Context) ([]AnalysisChange, error) {
	byKey := map[inst.InstanceKey]*AnalysisChange{}
	out := []AnalysisChange{}
	var order []inst.InstanceKey
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var k inst.InstanceKey
		var at Time
		var a string
		if err := rows.Scan(&k.Hostname, &k.Port, &at, &a); err != nil {
			return err
		}
		c, ok := byKey[k]
		if !ok {
			c = &AnalysisChange{AnalyzedInstanceKey: k}
			byKey[k] = c
			order = append(order, k)
		}
		c.Changelog = append(c.Changelog, inst.FormatTime(at.Time)+";"+a)
		return nil
	}, `SELECT hostname, port, analysis_timestamp, analysis FROM database_instance_analysis_changelog ORDER BY changelog_id DESC LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("read analysis changelog: %w", err)
	}
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out, nil
}

// PurgeDetections deletes detections that started before olderThan and
// are no longer in their active period.
func (s *Store) PurgeDetections(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM topology_failure_detection WHERE start_active_period < ? AND in_active_period=0`, ts(olderThan))
	if err != nil {
		return 0, fmt.Errorf("purge detections: %w", err)
	}
	return n, nil
}

// PurgeAnalysisChangelog deletes analysis changes recorded before olderThan.
func (s *Store) PurgeAnalysisChangelog(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM database_instance_analysis_changelog WHERE analysis_timestamp < ?`, ts(olderThan))
	if err != nil {
		return 0, fmt.Errorf("purge analysis changelog: %w", err)
	}
	return n, nil
}
