package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SetClusterAliasOverride stores a manual alias for a cluster.
func (s *Store) SetClusterAliasOverride(ctx context.Context, clusterName, alias string) error {
	if _, err := s.exec(ctx, `DELETE FROM cluster_alias_override WHERE alias=? AND cluster_name<>?`, alias, clusterName); err != nil {
		return fmt.Errorf("set cluster alias: %w", err)
	}
	_, err := s.exec(ctx, s.dialect.Upsert("cluster_alias_override", []string{"cluster_name", "alias"}, []string{"cluster_name"}), clusterName, alias)
	if err != nil {
		return fmt.Errorf("set cluster alias: %w", err)
	}
	return nil
}

// RegisterClusterAlias stores an alias detected on a cluster's master.
func (s *Store) RegisterClusterAlias(ctx context.Context, clusterName, alias string) error {
	if _, err := s.exec(ctx, `DELETE FROM cluster_alias WHERE alias=? AND cluster_name<>?`, alias, clusterName); err != nil {
		return fmt.Errorf("register cluster alias: %w", err)
	}
	_, err := s.exec(ctx, s.dialect.Upsert("cluster_alias", []string{"cluster_name", "alias", "last_registered"}, []string{"cluster_name"}), clusterName, alias, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("register cluster alias: %w", err)
	}
	return nil
}

// RegisterClusterDomain stores a domain detected on a cluster's master.
func (s *Store) RegisterClusterDomain(ctx context.Context, clusterName, domain string) error {
	_, err := s.exec(ctx, s.dialect.Upsert("cluster_domain_name", []string{"cluster_name", "domain_name", "last_registered"}, []string{"cluster_name"}), clusterName, domain, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("register cluster domain: %w", err)
	}
	return nil
}

// MoveClusterNames renames a cluster's alias and domain rows after its
// master changed (the cluster is named after the new master).
func (s *Store) MoveClusterNames(ctx context.Context, from, to string) error {
	for _, table := range []string{"cluster_alias_override", "cluster_alias", "cluster_domain_name"} {
		n, err := s.count(ctx, `SELECT COUNT(*) FROM `+table+` WHERE cluster_name=?`, from)
		if err != nil {
			return fmt.Errorf("move cluster names: %w", err)
		}
		if n == 0 {
			continue
		}
		if _, err := s.exec(ctx, `DELETE FROM `+table+` WHERE cluster_name=?`, to); err != nil {
			return fmt.Errorf("move cluster names: %w", err)
		}
		if _, err := s.exec(ctx, `UPDATE `+table+` SET cluster_name=? WHERE cluster_name=?`, to, from); err != nil {
			return fmt.Errorf("move cluster names: %w", err)
		}
	}
	return nil
}

// ClusterAliases returns cluster name → alias, manual overrides winning
// over detected aliases.
func (s *Store) ClusterAliases(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, table := range []string{"cluster_alias", "cluster_alias_override"} {
		err := s.queryRows(ctx, func(rows *sql.Rows) error {
			var name, alias string
			if err := rows.Scan(&name, &alias); err != nil {
				return err
			}
			out[name] = alias
			return nil
		}, `SELECT cluster_name, alias FROM `+table)
		if err != nil {
			return nil, fmt.Errorf("read cluster aliases: %w", err)
		}
	}
	return out, nil
}

// ClusterDomains returns cluster name → domain.
func (s *Store) ClusterDomains(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var name, domain string
		if err := rows.Scan(&name, &domain); err != nil {
			return err
		}
		out[name] = domain
		return nil
	}, `SELECT cluster_name, domain_name FROM cluster_domain_name`)
	if err != nil {
		return nil, fmt.Errorf("read cluster domains: %w", err)
	}
	return out, nil
}

// GlobalRecoveriesDisabled reports the global recovery switch.
func (s *Store) GlobalRecoveriesDisabled(ctx context.Context) (bool, error) {
	n, err := s.count(ctx, `SELECT COUNT(*) FROM global_recovery_disable`)
	if err != nil {
		return false, fmt.Errorf("read global recovery switch: %w", err)
	}
	return n > 0, nil
}

// SetGlobalRecoveriesDisabled flips the global recovery switch.
func (s *Store) SetGlobalRecoveriesDisabled(ctx context.Context, disabled bool) error {
	var err error
	if disabled {
		_, err = s.exec(ctx, s.dialect.InsertIgnore("global_recovery_disable", []string{"disable_recovery"}), 1)
	} else {
		_, err = s.exec(ctx, `DELETE FROM global_recovery_disable`)
	}
	if err != nil {
		return fmt.Errorf("set global recovery switch: %w", err)
	}
	return nil
}

// ClusterNames returns the distinct cluster names of known instances, sorted.
func (s *Store) ClusterNames(ctx context.Context) ([]string, error) {
	names := []string{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		names = append(names, n)
		return nil
	}, `SELECT DISTINCT cluster_name FROM database_instance ORDER BY cluster_name`)
	if err != nil {
		return nil, fmt.Errorf("read cluster names: %w", err)
	}
	return names, nil
}
