package backend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// migrationHostAttributes creates upstream's table of generic attributes.
// Attributes of hostname "*" are general ones: set-heuristic-domain-instance
// stores a cluster domain's writer there.
var migrationHostAttributes = []string{
	`CREATE TABLE host_attributes (
		hostname VARCHAR(128) NOT NULL,
		attribute_name VARCHAR(255) NOT NULL,
		attribute_value VARCHAR(255) NOT NULL,
		submit_timestamp {{TS}} NOT NULL,
		expire_timestamp {{TS}} NULL,
		PRIMARY KEY (hostname, attribute_name)
	) {{ENGINE}}`,
}

// GeneralAttributeHost is the hostname of attributes that belong to no host.
const GeneralAttributeHost = "*"

// SetHostAttribute stores (or replaces) an attribute of a host.
func (s *Store) SetHostAttribute(ctx context.Context, hostname, name, value string) error {
	_, err := s.exec(ctx, s.dialect.Upsert("host_attributes", []string{"hostname", "attribute_name", "attribute_value", "submit_timestamp"}, []string{"hostname", "attribute_name"}),
		hostname, name, value, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("set attribute %s of %s: %w", name, hostname, err)
	}
	return nil
}

// HostAttribute reads an attribute of a host; a missing one wraps
// inst.ErrNotFound.
func (s *Store) HostAttribute(ctx context.Context, hostname, name string) (string, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	var v string
	err := s.db.QueryRowContext(c, `SELECT attribute_value FROM host_attributes WHERE hostname=? AND attribute_name=?`, hostname, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("attribute %s of %s: %w", name, hostname, inst.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read attribute %s of %s: %w", name, hostname, err)
	}
	return v, nil
}
