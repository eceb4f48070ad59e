package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// Audit is one audit row, in upstream's JSON shape.
type Audit struct {
	AuditId          int64 //nolint:revive // upstream JSON name
	AuditTimestamp   string
	AuditType        string
	AuditInstanceKey inst.InstanceKey
	ClusterName      string
	Message          string
}

// AuditPageSize is the number of rows per audit page.
const AuditPageSize = 20

// WriteAudit appends an audit row.
func (s *Store) WriteAudit(ctx context.Context, auditType string, key inst.InstanceKey, clusterName, message string) error {
	_, err := s.exec(ctx, `INSERT INTO audit (audit_timestamp, audit_type, hostname, port, cluster_name, message) VALUES (?,?,?,?,?,?)`,
		ts(time.Now()), auditType, key.Hostname, key.Port, clusterName, message)
	if err != nil {
		return fmt.Errorf("write audit %s: %w", auditType, err)
	}
	return nil
}

// ReadAudit returns a page of audit rows, newest first, optionally for one instance.
func (s *Store) ReadAudit(ctx context.Context, page int, key *inst.InstanceKey) ([]Audit, error) {
	if page < 0 {
		page = 0
	}
	q := `SELECT audit_id, audit_timestamp, audit_type, hostname, port, cluster_name, message FROM audit`
	var args []any
	if key != nil {
		q += ` WHERE hostname=? AND port=?`
		args = append(args, key.Hostname, key.Port)
	}
	q += ` ORDER BY audit_id DESC LIMIT ? OFFSET ?`
	args = append(args, AuditPageSize, page*AuditPageSize)
	out := []Audit{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var a Audit
		var at Time
		if err := rows.Scan(&a.AuditId, &at, &a.AuditType, &a.AuditInstanceKey.Hostname, &a.AuditInstanceKey.Port, &a.ClusterName, &a.Message); err != nil {
			return err
		}
		a.AuditTimestamp = inst.FormatTime(at.Time)
		out = append(out, a)
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	return out, nil
}

// PurgeAudit deletes rows older than the cutoff.
func (s *Store) PurgeAudit(ctx context.Context, olderThan time.Time) (int64, error) {
	return s.affected(ctx, `DELETE FROM audit WHERE audit_timestamp < ?`, ts(olderThan))
}
