package backend

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Dialect holds the few SQL differences between the MySQL and SQLite
// backends. Everything else is shared SQL.
type Dialect interface {
	Name() string
	// Upsert builds an insert that updates the non-key columns on conflict.
	Upsert(table string, cols, keyCols []string) string
	// InsertIgnore builds an insert that silently skips duplicates.
	InsertIgnore(table string, cols []string) string
	// Now is an expression for the backend's current UTC time.
	Now() string
	// NowMinusSeconds is an expression for now minus a literal count of seconds.
	NowMinusSeconds(n int) string
	// NowPlus is an expression for now plus d (negative d: minus),
	// to the millisecond at least.
	NowPlus(d time.Duration) string
	// DDL rewrites the portable schema placeholders.
	DDL(stmt string) string
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

type mysqlDialect struct{}

func (mysqlDialect) Name() string { return "mysql" }

func (mysqlDialect) Upsert(table string, cols, keyCols []string) string {
	set := make([]string, 0, len(cols))
	for _, c := range cols {
		if !slices.Contains(keyCols, c) {
			set = append(set, fmt.Sprintf("%s=VALUES(%s)", c, c))
		}
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON DUPLICATE KEY UPDATE %s",
		table, strings.Join(cols, ","), placeholders(len(cols)), strings.Join(set, ","))
}

func (mysqlDialect) InsertIgnore(table string, cols []string) string {
	return fmt.Sprintf("INSERT IGNORE INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ","), placeholders(len(cols)))
}

func (mysqlDialect) Now() string { return "UTC_TIMESTAMP(6)" }

func (mysqlDialect) NowMinusSeconds(n int) string {
	return fmt.Sprintf("(UTC_TIMESTAMP(6) - INTERVAL %d SECOND)", n)
}

func (mysqlDialect) NowPlus(d time.Duration) string {
	return fmt.Sprintf("(UTC_TIMESTAMP(6) + INTERVAL %d MICROSECOND)", d.Microseconds())
}

func (mysqlDialect) DDL(stmt string) string {
	return strings.NewReplacer(
		"{{AUTO_PK}}", "BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY",
		"{{TS}}", "DATETIME(6)",
		"{{TEXT}}", "MEDIUMTEXT",
		"{{ENGINE}}", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	).Replace(stmt)
}

type sqliteDialect struct{}

func (sqliteDialect) Name() string { return "sqlite3" }

func (sqliteDialect) Upsert(table string, cols, keyCols []string) string {
	set := make([]string, 0, len(cols))
	for _, c := range cols {
		if !slices.Contains(keyCols, c) {
			set = append(set, fmt.Sprintf("%s=excluded.%s", c, c))
		}
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT(%s) DO UPDATE SET %s",
		table, strings.Join(cols, ","), placeholders(len(cols)), strings.Join(keyCols, ","), strings.Join(set, ","))
}

func (sqliteDialect) InsertIgnore(table string, cols []string) string {
	return fmt.Sprintf("INSERT OR IGNORE INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ","), placeholders(len(cols)))
}

func (sqliteDialect) Now() string { return "strftime('%Y-%m-%d %H:%M:%f','now')" }

func (sqliteDialect) NowMinusSeconds(n int) string {
	return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%f','now','-%d seconds')", n)
}

func (sqliteDialect) NowPlus(d time.Duration) string {
	return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%f','now','%+.3f seconds')", d.Seconds())
}

func (sqliteDialect) DDL(stmt string) string {
	return strings.NewReplacer(
		"{{AUTO_PK}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		"{{TS}}", "TEXT",
		"{{TEXT}}", "TEXT",
		"{{ENGINE}}", "",
	).Replace(stmt)
}
