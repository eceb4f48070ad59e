package backend

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"time"
)

const deploymentsTable = `CREATE TABLE IF NOT EXISTS orchestrator_db_deployments (
	deployed_version INT NOT NULL PRIMARY KEY,
	deployed_timestamp {{TS}} NOT NULL
) {{ENGINE}}`

// DeployedVersion returns the highest applied migration (0 when none). It
// is one query: the start-up check for CLI commands.
func (s *Store) DeployedVersion(ctx context.Context) (int, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	var v sql.NullInt64
	err := s.db.QueryRowContext(c, `SELECT MAX(deployed_version) FROM orchestrator_db_deployments`).Scan(&v)
	if err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// EnsureSchema migrates only when the deployed version is behind: the
// common path costs one query.
func (s *Store) EnsureSchema(ctx context.Context) error {
	if v, err := s.DeployedVersion(ctx); err == nil && v >= SchemaVersion() {
		return nil
	}
	return s.Migrate(ctx)
}

// Migrate applies pending migrations under a backend-wide lock, so several
// processes starting at once against one backend apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.lockSchema(ctx, conn)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, s.dialect.DDL(deploymentsTable)); err != nil {
		return fmt.Errorf("migrate: create deployments table: %w", err)
	}
	var deployed sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(deployed_version) FROM orchestrator_db_deployments`).Scan(&deployed); err != nil {
		return fmt.Errorf("migrate: read deployed version: %w", err)
	}
	for v := int(deployed.Int64) + 1; v <= SchemaVersion(); v++ {
		if err := s.applyMigration(ctx, conn, v); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	if s.dialect.Name() == "sqlite3" {
		// Every pending migration in the one immediate transaction that
		// holds the lock: another process waits, then sees them all.
		if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
			return fmt.Errorf("migrate: commit: %w", err)
		}
	}
	return nil
}

// lockSchema serialises migrations: GET_LOCK on MySQL, an immediate
// transaction on SQLite (which also makes the DDL atomic; Migrate commits
// it, the unlock rolls back whatever was not committed).
func (s *Store) lockSchema(ctx context.Context, conn *sql.Conn) (func(), error) {
	if s.dialect.Name() == "mysql" {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK('orchestrator.schema', 60)`).Scan(&got); err != nil {
			return nil, err
		}
		if got.Int64 != 1 {
			return nil, fmt.Errorf("could not take the schema lock within 60s")
		}
		return func() {
			_, _ = conn.ExecContext(context.Background(), `SELECT RELEASE_LOCK('orchestrator.schema')`)
		}, nil
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return nil, err
	}
	return func() { _, _ = conn.ExecContext(context.Background(), `ROLLBACK`) }, nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, v int) error {
	for _, stmt := range migrations[v] {
		done, err := s.alreadyApplied(ctx, conn, stmt)
		if err != nil {
			return fmt.Errorf("%.80s...: %w", stmt, err)
		}
		if done {
			continue
		}
		if _, err := conn.ExecContext(ctx, s.dialect.DDL(stmt)); err != nil {
			return fmt.Errorf("%.80s...: %w", stmt, err)
		}
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO orchestrator_db_deployments (deployed_version, deployed_timestamp) VALUES (?, ?)`, v, ts(time.Now()))
	return err
}

// The DDL forms migrations use, and how to tell one has already run.
var (
	createTableDDL = regexp.MustCompile(`^\s*CREATE TABLE (\w+)\b`)
	createIndexDDL = regexp.MustCompile(`^\s*CREATE (?:UNIQUE )?INDEX (\w+) ON (\w+)\b`)
	addColumnDDL   = regexp.MustCompile(`^\s*ALTER TABLE (\w+) ADD COLUMN (\w+)\b`)
)

// alreadyApplied reports whether a migration statement's object exists. On
// MySQL every DDL statement commits by itself, so a migration cut short
// (a dropped connection, a killed process, a missing privilege) leaves
// some of its objects behind without its version row; the next start
// applies the rest. The schema is read from information_schema, not
// guessed from error texts. On SQLite a migration is one transaction and
// never half-applied.
func (s *Store) alreadyApplied(ctx context.Context, conn *sql.Conn, stmt string) (bool, error) {
	if s.dialect.Name() != "mysql" {
		return false, nil
	}
	var query string
	var args []any
	if m := createTableDDL.FindStringSubmatch(stmt); m != nil {
		query, args = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`, []any{m[1]}
	} else if m := createIndexDDL.FindStringSubmatch(stmt); m != nil {
		query, args = `SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ? AND table_name = ?`, []any{m[1], m[2]}
	} else if m := addColumnDDL.FindStringSubmatch(stmt); m != nil {
		query, args = `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?`, []any{m[1], m[2]}
	} else {
		return false, nil
	}
	var n int
	if err := conn.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("read the schema: %w", err)
	}
	return n > 0, nil
}
