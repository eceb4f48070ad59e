package backend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The per-cluster recovery lock (cluster_recovery_lock) is a lease on the
// backend's clock: the recovery holding it renews it while it runs
// (go/recovery), so a live runner never loses it, and a lease that lapsed
// means its runner died, hung or lost the backend. Expiry is judged by the
// backend's clock alone, so the clocks of nodes and CLI hosts do not
// matter. A recovery left unresolved by a runner whose lease lapsed is an
// orphan (EndOrphanedRecovery).

// RecoveryLock is one cluster's recovery lock.
type RecoveryLock struct {
	Cluster    string
	Holder     LockHolder
	AcquiredAt time.Time
	ExpiresAt  time.Time
	// Lapsed: the lease ran out by the backend's clock (not renewed).
	Lapsed bool
}

// AcquireClusterRecoveryLock takes cluster's recovery lock for holder, as
// a lease of ttl. It succeeds when the lock is free, lapsed, or already
// holder's; only one holder has it at a time.
func (s *Store) AcquireClusterRecoveryLock(ctx context.Context, cluster string, holder LockHolder, ttl time.Duration) (bool, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(c, nil)
	if err != nil {
		return false, fmt.Errorf("recovery lock on %s: %w", cluster, err)
	}
	defer func() { _ = tx.Rollback() }()
	now := s.dialect.Now()
	if _, err := tx.ExecContext(c, `DELETE FROM cluster_recovery_lock WHERE cluster_name=? AND (expires_at < `+now+` OR (hostname=? AND token=?))`,
		cluster, holder.Hostname, holder.Token); err != nil {
		return false, fmt.Errorf("recovery lock on %s: %w", cluster, err)
	}
	res, err := tx.ExecContext(c, s.insertIgnorePrefix()+` INTO cluster_recovery_lock (cluster_name, hostname, token, acquired_at, expires_at)
		VALUES (?, ?, ?, `+now+`, `+s.dialect.NowPlus(ttl)+`)`, cluster, holder.Hostname, holder.Token)
	if err != nil {
		return false, fmt.Errorf("recovery lock on %s: %w", cluster, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("recovery lock on %s: %w", cluster, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("recovery lock on %s: %w", cluster, err)
	}
	return n == 1, nil
}

// RenewClusterRecoveryLock extends holder's lease on cluster's lock to ttl
// from now. It reports false when holder no longer holds the lock: it was
// released, claimed after its lease lapsed, or taken by another holder.
func (s *Store) RenewClusterRecoveryLock(ctx context.Context, cluster string, holder LockHolder, ttl time.Duration) (bool, error) {
	n, err := s.affected(ctx, `UPDATE cluster_recovery_lock SET expires_at=`+s.dialect.NowPlus(ttl)+`
		WHERE cluster_name=? AND hostname=? AND token=?`, cluster, holder.Hostname, holder.Token)
	if err != nil {
		return false, fmt.Errorf("renew recovery lock on %s: %w", cluster, err)
	}
	return n == 1, nil
}

// ClaimLapsedClusterRecoveryLock takes cluster's lock over from `from`
// for `to`, for ttl, only if from holds it and its lease lapsed. One
// statement: either the claim happens or from's renewal does, never both.
func (s *Store) ClaimLapsedClusterRecoveryLock(ctx context.Context, cluster string, from, to LockHolder, ttl time.Duration) (bool, error) {
	n, err := s.affected(ctx, `UPDATE cluster_recovery_lock SET hostname=?, token=?, acquired_at=`+s.dialect.Now()+`, expires_at=`+s.dialect.NowPlus(ttl)+`
		WHERE cluster_name=? AND hostname=? AND token=? AND expires_at < `+s.dialect.Now(),
		to.Hostname, to.Token, cluster, from.Hostname, from.Token)
	if err != nil {
		return false, fmt.Errorf("claim recovery lock on %s: %w", cluster, err)
	}
	return n == 1, nil
}

// ReleaseClusterRecoveryLock releases the lock if holder has it.
func (s *Store) ReleaseClusterRecoveryLock(ctx context.Context, cluster string, holder LockHolder) error {
	_, err := s.exec(ctx, `DELETE FROM cluster_recovery_lock WHERE cluster_name=? AND hostname=? AND token=?`, cluster, holder.Hostname, holder.Token)
	if err != nil {
		return fmt.Errorf("release recovery lock on %s: %w", cluster, err)
	}
	return nil
}

// ClusterRecoveryLock reads cluster's lock; ErrNoRows when nobody holds it.
func (s *Store) ClusterRecoveryLock(ctx context.Context, cluster string) (RecoveryLock, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	l := RecoveryLock{Cluster: cluster}
	var acquired, expires Time
	var lapsed int
	err := s.db.QueryRowContext(c, `SELECT hostname, token, acquired_at, expires_at, CASE WHEN expires_at < `+s.dialect.Now()+` THEN 1 ELSE 0 END
		FROM cluster_recovery_lock WHERE cluster_name=?`, cluster).Scan(&l.Holder.Hostname, &l.Holder.Token, &acquired, &expires, &lapsed)
	if errors.Is(err, sql.ErrNoRows) {
		return RecoveryLock{}, ErrNoRows
	}
	if err != nil {
		return RecoveryLock{}, fmt.Errorf("read recovery lock on %s: %w", cluster, err)
	}
	l.AcquiredAt, l.ExpiresAt, l.Lapsed = acquired.Time, expires.Time, lapsed == 1
	return l, nil
}

// orphanedRecoveryError is what an orphaned recovery's all_errors says.
const orphanedRecoveryError = "interrupted: the processing node stopped renewing the cluster's recovery lock before the recovery ended (it died, hung or lost the backend)"

// EndOrphanedRecovery records the unresolved recovery r as interrupted if
// its processing node no longer holds a live lease on r's cluster lock,
// and releases the lock it left. It does nothing (false) while that node
// holds the lock with a lease that has not lapsed: the recovery may still
// be acting. A lapsed lease is first claimed by `by` in one statement, so
// the runner can no longer renew it (and so no longer act); when the
// runner holds no lock at all (released, or taken by another after it
// lapsed) it cannot act either. It reports whether r was ended.
func (s *Store) EndOrphanedRecovery(ctx context.Context, r RecoveryRow, by LockHolder, claimTTL time.Duration) (bool, error) {
	runner := LockHolder{Hostname: r.ProcessingNodeHostname, Token: r.ProcessingNodeToken}
	claimed, err := s.ClaimLapsedClusterRecoveryLock(ctx, r.ClusterName, runner, by, claimTTL)
	if err != nil {
		return false, err
	}
	if !claimed {
		l, err := s.ClusterRecoveryLock(ctx, r.ClusterName)
		switch {
		case err == nil && l.Holder == runner:
			return false, nil // alive, or lapsed only now: claimed next time
		case err != nil && !errors.Is(err, ErrNoRows):
			return false, err
		}
	}
	n, err := s.affected(ctx, `UPDATE topology_recovery SET interrupted=1, end_recovery=?, all_errors=? WHERE uid=? AND end_recovery IS NULL`,
		ts(time.Now()), jsonText([]string{orphanedRecoveryError}), r.UID)
	if err != nil {
		err = fmt.Errorf("end orphaned recovery %s: %w", r.UID, err)
	}
	if claimed {
		err = errors.Join(err, s.ReleaseClusterRecoveryLock(context.WithoutCancel(ctx), r.ClusterName, by))
	}
	return n == 1, err
}
