package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// Candidate is a registered promotion rule.
type Candidate struct {
	Key           inst.InstanceKey
	PromotionRule inst.PromotionRule
	LastSuggested string
}

// RegisterCandidate stores a promotion rule for an instance.
func (s *Store) RegisterCandidate(ctx context.Context, key inst.InstanceKey, rule inst.PromotionRule) error {
	_, err := s.exec(ctx, s.dialect.Upsert("candidate_database_instance",
		[]string{"hostname", "port", "last_suggested", "promotion_rule"}, []string{"hostname", "port"}),
		key.Hostname, key.Port, ts(time.Now()), string(rule))
	if err != nil {
		return fmt.Errorf("register candidate %s: %w", key, err)
	}
	return nil
}

// Candidates returns registrations newer than the cutoff, by key.
func (s *Store) Candidates(ctx context.Context, since time.Time) (map[inst.InstanceKey]Candidate, error) {
	out := map[inst.InstanceKey]Candidate{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var c Candidate
		var at Time
		var rule string
		if err := rows.Scan(&c.Key.Hostname, &c.Key.Port, &rule, &at); err != nil {
			return err
		}
		c.PromotionRule, c.LastSuggested = inst.PromotionRule(rule), inst.FormatTime(at.Time)
		out[c.Key] = c
		return nil
	}, `SELECT hostname, port, promotion_rule, last_suggested FROM candidate_database_instance WHERE last_suggested >= ?`, ts(since))
	if err != nil {
		return nil, fmt.Errorf("read candidates: %w", err)
	}
	return out, nil
}

// ExpireCandidates deletes registrations older than the cutoff.
func (s *Store) ExpireCandidates(ctx context.Context, olderThan time.Time) (int64, error) {
	return s.affected(ctx, `DELETE FROM candidate_database_instance WHERE last_suggested < ?`, ts(olderThan))
}
