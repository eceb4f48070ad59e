package backend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// Maintenance is an active maintenance lock on an instance.
type Maintenance struct {
	MaintenanceId  int64 //nolint:revive // upstream JSON name
	Key            inst.InstanceKey
	BeginTimestamp string
	EndTimestamp   string
	SecondsElapsed int64
	IsActive       bool
	Owner          string
	Reason         string
}

// LockHolder identifies who takes a lock: the node's hostname and token.
type LockHolder struct {
	Hostname, Token string
}

// migrationOperationLocks adds what an interrupted operation's lock must
// say: whether its instance replicated when the operation began.
var migrationOperationLocks = []string{
	`ALTER TABLE database_instance_maintenance ADD COLUMN restart_replication TINYINT NOT NULL DEFAULT 0`,
}

// Two kinds of lock share the table. A maintenance lock taken by a person
// (begin-maintenance) lasts its explicit duration (explicitly_bounded=1).
// An operation's lock (explicitly_bounded=0) is a lease: short, renewed
// by the running operation, released when it ends. A lease that lapsed
// means the process running the operation died or hung: the lock keeps
// holding its instance (up to OperationLockGrace) until the leader has
// repaired what the operation may have left (InterruptedOperationLocks).
const (
	boundedByDuration = 1
	boundedByLease    = 0
)

// OperationLockGrace is how long a lapsed operation lock keeps holding its
// instance while no leader repairs it; after that it is released like an
// expired maintenance lock.
const OperationLockGrace = 10 * time.Minute

// heldCond selects the rows that still hold their instance; its arguments
// are heldArgs(now).
const heldCond = `maintenance_active=1 AND (end_timestamp >= ? OR (explicitly_bounded=0 AND end_timestamp >= ?))`

func heldArgs(now time.Time) []any { return []any{ts(now), ts(now.Add(-OperationLockGrace))} }

// expiredCond selects active rows that no longer hold their instance.
const expiredCond = `maintenance_active=1 AND end_timestamp < ? AND (explicitly_bounded=1 OR end_timestamp < ?)`

// BeginMaintenance takes the maintenance locks of every key atomically: all
// or none, for d. A key already locked by someone else fails with
// inst.ErrLocked, naming the owner and reason. Expired locks are released
// first.
func (s *Store) BeginMaintenance(ctx context.Context, keys []inst.InstanceKey, owner, reason string, d time.Duration, holder LockHolder) ([]int64, error) {
	return s.beginLocks(ctx, keys, owner, reason, d, holder, boundedByDuration)
}

// BeginOperationLocks takes an operation's locks on every key (all or
// none) as a lease of the given length, owned by "orchestrator" with the
// operation's name as reason. The operation renews them
// (RenewOperationLocks) and releases them (EndMaintenanceByIDs).
func (s *Store) BeginOperationLocks(ctx context.Context, keys []inst.InstanceKey, name string, lease time.Duration, holder LockHolder) ([]int64, error) {
	return s.beginLocks(ctx, keys, "orchestrator", name, lease, holder, boundedByLease)
}

// lockAttempts bounds the retries of a lock taking that collided with a
// concurrent one (a duplicate key, SQLite busy, an InnoDB deadlock): the
// retry sees the winner's row and names its owner and reason.
const lockAttempts = 5

func (s *Store) beginLocks(ctx context.Context, keys []inst.InstanceKey, owner, reason string, d time.Duration, holder LockHolder, bounded int) ([]int64, error) {
	for attempt := 1; ; attempt++ {
		ids, err := s.beginLocksOnce(ctx, keys, owner, reason, d, holder, bounded)
		if err == nil || !errors.Is(err, errLockCollision) || attempt == lockAttempts {
			if errors.Is(err, errLockCollision) {
				return nil, inst.Errorf(inst.ErrLocked, "%s: instance is under maintenance (taken concurrently)", keys[0])
			}
			return ids, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}

// errLockCollision: a concurrent lock taker got in the way; try again.
var errLockCollision = errors.New("lock taken concurrently")

func (s *Store) beginLocksOnce(ctx context.Context, keys []inst.InstanceKey, owner, reason string, d time.Duration, holder LockHolder, bounded int) ([]int64, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(c, nil)
	if err != nil {
		return nil, lockError(keys[0], err)
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Now()
	ids := make([]int64, 0, len(keys))
	for _, key := range keys {
		if _, err := tx.ExecContext(c, `UPDATE database_instance_maintenance SET maintenance_active=NULL WHERE hostname=? AND port=? AND `+expiredCond,
			append([]any{key.Hostname, key.Port}, heldArgs(now)...)...); err != nil {
			return nil, lockError(key, err)
		}
		var holderOwner, holderReason string
		err := tx.QueryRowContext(c, `SELECT owner, reason FROM database_instance_maintenance WHERE hostname=? AND port=? AND maintenance_active=1`, key.Hostname, key.Port).Scan(&holderOwner, &holderReason)
		if err == nil {
			return nil, inst.Errorf(inst.ErrLocked, "%s: instance is under maintenance by %s: %s", key, holderOwner, holderReason)
		}
		if err != sql.ErrNoRows {
			return nil, lockError(key, err)
		}
		res, err := tx.ExecContext(c, `INSERT INTO database_instance_maintenance (hostname, port, maintenance_active, begin_timestamp, end_timestamp, owner, reason, processing_node_hostname, processing_node_token, explicitly_bounded) VALUES (?,?,1,?,?,?,?,?,?,?)`,
			key.Hostname, key.Port, ts(now), ts(now.Add(d)), owner, reason, holder.Hostname, holder.Token, bounded)
		if err != nil {
			return nil, lockError(key, err)
		}
		id, _ := res.LastInsertId()
		ids = append(ids, id)
	}
	if err := tx.Commit(); err != nil {
		return nil, lockError(keys[0], err)
	}
	return ids, nil
}

// lockError marks a conflict with a concurrent lock taker for a retry.
func lockError(key inst.InstanceKey, err error) error {
	if isDuplicate(err) || isBusy(err) {
		return fmt.Errorf("%s: %w: %v", key, errLockCollision, err)
	}
	return fmt.Errorf("begin maintenance on %s: %w", key, err)
}

func isDuplicate(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "duplicate") || strings.Contains(m, "unique constraint")
}

func isBusy(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "database is locked") || strings.Contains(m, "deadlock") || strings.Contains(m, "sqlite_busy")
}

// EndMaintenanceByIDs releases locks taken by BeginMaintenance.
func (s *Store) EndMaintenanceByIDs(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := s.exec(ctx, `UPDATE database_instance_maintenance SET maintenance_active=NULL, end_timestamp=? WHERE database_instance_maintenance_id=?`, ts(time.Now()), id); err != nil {
			return fmt.Errorf("end maintenance %d: %w", id, err)
		}
	}
	return nil
}

// EndMaintenance releases the active lock on an instance; ErrNotFound if none.
func (s *Store) EndMaintenance(ctx context.Context, key inst.InstanceKey) error {
	n, err := s.affected(ctx, `UPDATE database_instance_maintenance SET maintenance_active=NULL, end_timestamp=?
		WHERE hostname=? AND port=? AND maintenance_active=1 AND explicitly_bounded=1`, ts(time.Now()), key.Hostname, key.Port)
	if err != nil {
		return fmt.Errorf("end maintenance on %s: %w", key, err)
	}
	if n == 0 {
		return s.notEnded(ctx, "hostname=? AND port=?", []any{key.Hostname, key.Port}, key.String()+" is not in maintenance")
	}
	return nil
}

// EndMaintenanceByID ends one maintenance lock taken by a person
// (begin-maintenance), by its id.
func (s *Store) EndMaintenanceByID(ctx context.Context, id int64) error {
	n, err := s.affected(ctx, `UPDATE database_instance_maintenance SET maintenance_active=NULL, end_timestamp=?
		WHERE database_instance_maintenance_id=? AND maintenance_active=1 AND explicitly_bounded=1`, ts(time.Now()), id)
	if err != nil {
		return fmt.Errorf("end maintenance %d: %w", id, err)
	}
	if n == 0 {
		return s.notEnded(ctx, "database_instance_maintenance_id=?", []any{id}, fmt.Sprintf("no active maintenance lock %d", id))
	}
	return nil
}

// notEnded explains why no person's lock matched: an operation's lease
// holds it (it ends with the operation, or the leader repairs it), or
// there is none.
func (s *Store) notEnded(ctx context.Context, where string, args []any, none string) error {
	c, cancel := s.ctx(ctx)
	defer cancel()
	var reason, node string
	err := s.db.QueryRowContext(c, `SELECT reason, processing_node_hostname FROM database_instance_maintenance
		WHERE maintenance_active=1 AND explicitly_bounded=0 AND `+where, args...).Scan(&reason, &node)
	switch {
	case err == nil:
		return inst.Errorf(inst.ErrLocked, "held by the running operation %s of %s: it ends with the operation (or is repaired by the leader if that process died)", reason, node)
	case errors.Is(err, sql.ErrNoRows):
		return inst.Errorf(inst.ErrNotFound, "%s", none)
	}
	return fmt.Errorf("read maintenance: %w", err)
}

// ActiveMaintenance lists the locks that hold their instance: unexpired,
// or operation locks awaiting their repair.
func (s *Store) ActiveMaintenance(ctx context.Context) ([]Maintenance, error) {
	var out []Maintenance
	now := time.Now()
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var m Maintenance
		var begin, end Time
		if err := rows.Scan(&m.MaintenanceId, &m.Key.Hostname, &m.Key.Port, &begin, &end, &m.Owner, &m.Reason); err != nil {
			return err
		}
		m.BeginTimestamp, m.EndTimestamp = inst.FormatTime(begin.Time), inst.FormatTime(end.Time)
		m.SecondsElapsed = int64(now.Sub(begin.Time).Seconds())
		m.IsActive = true
		out = append(out, m)
		return nil
	}, `SELECT database_instance_maintenance_id, hostname, port, begin_timestamp, end_timestamp, owner, reason FROM database_instance_maintenance WHERE `+heldCond+` ORDER BY database_instance_maintenance_id`, heldArgs(now)...)
	if err != nil {
		return nil, fmt.Errorf("read maintenance: %w", err)
	}
	return out, nil
}

// ExpireMaintenance releases locks past their end time (operation locks
// past OperationLockGrace: until then the leader repairs them).
func (s *Store) ExpireMaintenance(ctx context.Context) (int64, error) {
	return s.affected(ctx, `UPDATE database_instance_maintenance SET maintenance_active=NULL WHERE `+expiredCond, heldArgs(time.Now())...)
}
