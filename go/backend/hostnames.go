package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RegisterHostnameUnresolve maps a resolved hostname to the virtual name
// operators use for it (table hostname_unresolve).
func (s *Store) RegisterHostnameUnresolve(ctx context.Context, hostname, unresolved string) error {
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
