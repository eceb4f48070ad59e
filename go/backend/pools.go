package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// SubmitPoolInstances replaces the membership of a pool
// (table database_instance_pool) with the given instances.
func (s *Store) SubmitPoolInstances(ctx context.Context, pool string, keys []inst.InstanceKey) error {
	c, cancel := s.ctx(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(c, nil)
	if err != nil {
		return fmt.Errorf("submit pool %s: %w", pool, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(c, `DELETE FROM database_instance_pool WHERE pool=?`, pool); err != nil {
		return fmt.Errorf("submit pool %s: %w", pool, err)
	}
	insert := s.dialect.Upsert("database_instance_pool", []string{"hostname", "port", "pool", "registered_at"}, []string{"hostname", "port", "pool"})
	now := ts(time.Now())
	for _, k := range keys {
		if _, err := tx.ExecContext(c, insert, k.Hostname, k.Port, pool, now); err != nil {
			return fmt.Errorf("submit pool %s: %w", pool, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("submit pool %s: %w", pool, err)
	}
	return nil
}

// PoolInstances returns pool name → member keys for the instances of a
// cluster whose membership is newer than the cutoff; pool narrows to one
// pool when not empty.
func (s *Store) PoolInstances(ctx context.Context, clusterName, pool string, since time.Time) (map[string][]inst.InstanceKey, error) {
	query := `SELECT p.pool, p.hostname, p.port FROM database_instance_pool p
		JOIN database_instance i ON i.hostname = p.hostname AND i.port = p.port
		WHERE i.cluster_name = ? AND p.registered_at >= ?`
	args := []any{clusterName, ts(since)}
	if pool != "" {
		query, args = query+` AND p.pool = ?`, append(args, pool)
	}
	out := map[string][]inst.InstanceKey{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var name string
		var k inst.InstanceKey
		if err := rows.Scan(&name, &k.Hostname, &k.Port); err != nil {
			return err
		}
		out[name] = append(out[name], k)
		return nil
	}, query+` ORDER BY p.pool, p.hostname, p.port`, args...)
	if err != nil {
		return nil, fmt.Errorf("read pools of %s: %w", clusterName, err)
	}
	return out, nil
}

// ExpirePools deletes pool memberships older than the cutoff.
func (s *Store) ExpirePools(ctx context.Context, olderThan time.Time) (int64, error) {
	return s.affected(ctx, `DELETE FROM database_instance_pool WHERE registered_at < ?`, ts(olderThan))
}
