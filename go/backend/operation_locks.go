package backend

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// OperationLock is an operation's lock whose lease lapsed: the process
// running the operation stopped renewing it (it died or hung).
type OperationLock struct {
	ID        int64
	Key       inst.InstanceKey
	Operation string
	Holder    LockHolder
	Began     time.Time
	// RestartReplication: the instance replicated when the operation
	// began, so replication found stopped is the operation's doing.
	RestartReplication bool
}

// idList renders ids as "?,?,?" and their arguments.
func idList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// RenewOperationLocks extends the leases of ids still held by holder to
// until. It returns how many it extended: fewer than len(ids) means the
// operation lost a lock (taken over by the leader's repair).
func (s *Store) RenewOperationLocks(ctx context.Context, ids []int64, holder LockHolder, until time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	in, args := idList(ids)
	n, err := s.affected(ctx, `UPDATE database_instance_maintenance SET end_timestamp=? WHERE database_instance_maintenance_id IN (`+in+`)
		AND maintenance_active=1 AND explicitly_bounded=0 AND processing_node_hostname=? AND processing_node_token=?`,
		append(append([]any{ts(until)}, args...), holder.Hostname, holder.Token)...)
	if err != nil {
		return 0, fmt.Errorf("renew operation locks: %w", err)
	}
	return n, nil
}

// MarkRestartReplication records on the locks ids that their instances
// replicated when the operation began.
func (s *Store) MarkRestartReplication(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := idList(ids)
	if _, err := s.exec(ctx, `UPDATE database_instance_maintenance SET restart_replication=1 WHERE database_instance_maintenance_id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("mark operation locks: %w", err)
	}
	return nil
}

// LapsedOperationLocks lists the operation locks whose lease lapsed and
// which still hold their instance.
func (s *Store) LapsedOperationLocks(ctx context.Context) ([]OperationLock, error) {
	var out []OperationLock
	now := time.Now()
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var l OperationLock
		var began Time
		if err := rows.Scan(&l.ID, &l.Key.Hostname, &l.Key.Port, &l.Operation, &l.Holder.Hostname, &l.Holder.Token, &began, &l.RestartReplication); err != nil {
			return err
		}
		l.Began = began.Time
		out = append(out, l)
		return nil
	}, `SELECT database_instance_maintenance_id, hostname, port, reason, processing_node_hostname, processing_node_token, begin_timestamp, restart_replication
		FROM database_instance_maintenance WHERE maintenance_active=1 AND explicitly_bounded=0 AND end_timestamp < ? AND end_timestamp >= ?
		ORDER BY database_instance_maintenance_id`, heldArgs(now)...)
	if err != nil {
		return nil, fmt.Errorf("read lapsed operation locks: %w", err)
	}
	return out, nil
}

// ClaimOperationLock takes the lapsed lock id over for holder, for d. It
// reports whether this call took it: false when its owner renewed it or
// someone else claimed it first.
func (s *Store) ClaimOperationLock(ctx context.Context, id int64, holder LockHolder, d time.Duration) (bool, error) {
	now := time.Now()
	n, err := s.affected(ctx, `UPDATE database_instance_maintenance SET processing_node_hostname=?, processing_node_token=?, end_timestamp=?
		WHERE database_instance_maintenance_id=? AND maintenance_active=1 AND explicitly_bounded=0 AND end_timestamp < ?`,
		holder.Hostname, holder.Token, ts(now.Add(d)), id, ts(now))
	if err != nil {
		return false, fmt.Errorf("claim operation lock %d: %w", id, err)
	}
	return n == 1, nil
}
