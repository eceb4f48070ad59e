package backend

import (
	"context"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// migrationUnseenSince adds when a row for a server never seen was created
// (a key given to discover that never answered, say). last_attempted_check
// cannot tell: every retry of the back-off moves it forward, so such a row
// never grew older than UnseenInstanceForgetHours and was polled forever.
// Rows created before it get theirs at their next failed check
// (RecordFailedCheck).
var migrationUnseenSince = []string{
	`ALTER TABLE database_instance ADD COLUMN unseen_since {{TS}} NULL`,
}

// RecordFailedCheck notes a probe attempted at `at` that failed: last
// attempted check and last checked advance, last seen does not. An unknown
// instance gets a row (unseen since at) so that the attempt is visible
// and retried until ForgetUnseen removes it; a row never seen that has no
// unseen_since yet (created before migration 5) gets at.
func (s *Store) RecordFailedCheck(ctx context.Context, key inst.InstanceKey, probeErr string, latency time.Duration, at time.Time) error {
	now := ts(at)
	if len(probeErr) > 500 {
		probeErr = probeErr[:500]
	}
	n, err := s.affected(ctx, `UPDATE database_instance SET last_checked=?, last_attempted_check=?, last_probe_error=?, last_discovery_latency=?,
		unseen_since=CASE WHEN last_seen IS NULL AND unseen_since IS NULL THEN ? ELSE unseen_since END WHERE hostname=? AND port=?`,
		now, now, probeErr, int64(latency), now, key.Hostname, key.Port)
	if err != nil {
		return fmt.Errorf("record failed check of %s: %w", key, err)
	}
	if n > 0 {
		return nil
	}
	_, err = s.exec(ctx, s.dialect.InsertIgnore("database_instance", []string{"hostname", "port", "last_checked", "last_attempted_check",
		"last_probe_error", "last_discovery_latency", "cluster_name", "unseen_since"}),
		key.Hostname, key.Port, now, now, probeErr, int64(latency), key.String(), now)
	if err != nil {
		return fmt.Errorf("record failed check of %s: %w", key, err)
	}
	return nil
}

// ForgetUnseen deletes the instances not seen since the cutoff: those last
// seen before it, and those never seen whose row is older than it.
func (s *Store) ForgetUnseen(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM database_instance WHERE (last_seen IS NULL AND COALESCE(unseen_since, last_attempted_check) < ?) OR last_seen < ?`,
		ts(olderThan), ts(olderThan))
	if err != nil {
		return 0, fmt.Errorf("forget unseen instances: %w", err)
	}
	return n, nil
}

// RequestDiscovery records that key should be discovered: a row never
// checked, which the poll loop of any running service takes as due at once
// (DueInstanceKeys) and probes, crawling from it. A known instance is left
// as it is (it is polled anyway).
func (s *Store) RequestDiscovery(ctx context.Context, key inst.InstanceKey, at time.Time) error {
	_, err := s.exec(ctx, s.dialect.InsertIgnore("database_instance", []string{"hostname", "port", "cluster_name", "unseen_since"}),
		key.Hostname, key.Port, key.String(), ts(at))
	if err != nil {
		return fmt.Errorf("request discovery of %s: %w", key, err)
	}
	return nil
}
