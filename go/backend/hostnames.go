package backend

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// migrationHostnameResolve keeps the hostname resolutions discovery made,
// so that other processes (the CLI's show-resolve-hosts) can list them and
// reset-hostname-resolve-cache can clear them.
var migrationHostnameResolve = []string{
	`CREATE TABLE hostname_resolve (
		hostname VARCHAR(128) NOT NULL PRIMARY KEY,
		resolved_hostname VARCHAR(128) NOT NULL,
		resolved_timestamp {{TS}} NOT NULL
	) {{ENGINE}}`,
}

// maxVirtualHostname is the longest name register-hostname-unresolve takes.
const maxVirtualHostname = 128

// RegisterHostnameUnresolve maps a resolved hostname to the virtual name
// operators use for it (table hostname_unresolve). The virtual name is
// trimmed; an empty or overlong one is an ErrBadRequest.
func (s *Store) RegisterHostnameUnresolve(ctx context.Context, hostname, unresolved string) error {
	unresolved = strings.TrimSpace(unresolved)
	if unresolved == "" || len(unresolved) > maxVirtualHostname {
		return fmt.Errorf("%w: virtual name must have 1 to %d characters", inst.ErrBadRequest, maxVirtualHostname)
	}
	_, err := s.exec(ctx, s.dialect.Upsert("hostname_unresolve", []string{"hostname", "unresolved_hostname", "last_registered"}, []string{"hostname"}),
		hostname, unresolved, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("register hostname unresolve %s: %w", hostname, err)
	}
	return nil
}

// DeregisterHostnameUnresolve removes a hostname's virtual name.
func (s *Store) DeregisterHostnameUnresolve(ctx context.Context, hostname string) error {
	if _, err := s.exec(ctx, `DELETE FROM hostname_unresolve WHERE hostname=?`, hostname); err != nil {
		return fmt.Errorf("deregister hostname unresolve %s: %w", hostname, err)
	}
	return nil
}

// HostnameUnresolves returns hostname → virtual name.
func (s *Store) HostnameUnresolves(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var h, u string
		if err := rows.Scan(&h, &u); err != nil {
			return err
		}
		out[h] = u
		return nil
	}, `SELECT hostname, unresolved_hostname FROM hostname_unresolve`)
	if err != nil {
		return nil, fmt.Errorf("read hostname unresolves: %w", err)
	}
	return out, nil
}

// ExpireHostnameUnresolves deletes virtual names last registered before
// olderThan (upstream expires them after ExpiryHostnameResolvesMinutes:
// whoever maps a name keeps registering it).
func (s *Store) ExpireHostnameUnresolves(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM hostname_unresolve WHERE last_registered < ?`, ts(olderThan))
	if err != nil {
		return 0, fmt.Errorf("expire hostname unresolves: %w", err)
	}
	return n, nil
}

// RecordHostnameResolve stores that hostname resolved to resolved at `at`.
func (s *Store) RecordHostnameResolve(ctx context.Context, hostname, resolved string, at time.Time) error {
	_, err := s.exec(ctx, s.dialect.Upsert("hostname_resolve", []string{"hostname", "resolved_hostname", "resolved_timestamp"}, []string{"hostname"}),
		hostname, resolved, ts(at))
	if err != nil {
		return fmt.Errorf("record hostname resolve %s: %w", hostname, err)
	}
	return nil
}

// HostnameResolves returns hostname → resolved name of the resolutions
// recorded since the cutoff.
func (s *Store) HostnameResolves(ctx context.Context, since time.Time) (map[string]string, error) {
	out := map[string]string{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var h, r string
		if err := rows.Scan(&h, &r); err != nil {
			return err
		}
		out[h] = r
		return nil
	}, `SELECT hostname, resolved_hostname FROM hostname_resolve WHERE resolved_timestamp >= ?`, ts(since))
	if err != nil {
		return nil, fmt.Errorf("read hostname resolves: %w", err)
	}
	return out, nil
}

// ExpireHostnameResolves deletes resolutions recorded before olderThan.
func (s *Store) ExpireHostnameResolves(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM hostname_resolve WHERE resolved_timestamp < ?`, ts(olderThan))
	if err != nil {
		return 0, fmt.Errorf("expire hostname resolves: %w", err)
	}
	return n, nil
}

// ResetHostnameResolves forgets every recorded resolution.
func (s *Store) ResetHostnameResolves(ctx context.Context) error {
	if _, err := s.exec(ctx, `DELETE FROM hostname_resolve`); err != nil {
		return fmt.Errorf("reset hostname resolves: %w", err)
	}
	return nil
}
