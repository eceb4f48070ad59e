// Package backend is orchestrator's own store: the connection, the SQL
// dialects (MySQL, SQLite), migrations, and one file per table family.
package backend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // the embedded backend

	"orchestrator/go/config"
	"orchestrator/go/metrics"
)

// Store is a handle on the backend database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	timeout time.Duration

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // statements prepared once, reused on every connection

	latency *metrics.Histogram // of the statements run through exec, queryRows and count
	recent  *metrics.Ring[QuerySample]
}

// QuerySample is one backend statement run through exec, queryRows or
// count.
type QuerySample struct {
	At      time.Time
	Execute time.Duration // from sending it to reading its last row (waiting for a pooled connection included)
	Err     string
}

// querySamples bounds the recent statements kept (QuerySamples).
const querySamples = 10000

// QuerySamples returns the statements started at or after since, oldest
// first (at most the newest querySamples).
func (s *Store) QuerySamples(since time.Time) []QuerySample { return s.recent.Since(since) }

// QueryLatency is the distribution of backend statement durations.
func (s *Store) QueryLatency() metrics.Snapshot { return s.latency.Snapshot() }

// Open connects to the configured backend. It does not migrate; call
// Migrate (or EnsureSchema) for that.
func Open(ctx context.Context, cfg *config.Config) (*Store, error) {
	s := &Store{timeout: cfg.BackendQueryTimeout(), latency: metrics.NewHistogram(), recent: metrics.NewRing[QuerySample](querySamples)}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	switch cfg.BackendDB {
	case "sqlite3":
		if err := os.MkdirAll(filepath.Dir(cfg.SQLite3DataFile), 0o750); err != nil {
			return nil, fmt.Errorf("backend sqlite3 %s: %w", cfg.SQLite3DataFile, err)
		}
		dsn := "file:" + cfg.SQLite3DataFile + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("backend sqlite3 %s: %w", cfg.SQLite3DataFile, err)
		}
		db.SetMaxOpenConns(8)
		s.db, s.dialect = db, sqliteDialect{}
	case "mysql":
		connector, err := mysqlConnector(cfg)
		if err != nil {
			return nil, err
		}
		db := sql.OpenDB(connector)
		db.SetMaxOpenConns(cfg.MySQLOrchestratorMaxPoolConnections)
		db.SetMaxIdleConns(16)
		db.SetConnMaxLifetime(time.Minute)
		// A burst (a failover, a load spike) must not leave connections
		// idle on the shared backend for a minute.
		db.SetConnMaxIdleTime(10 * time.Second)
		s.db, s.dialect = db, mysqlDialect{}
	default:
		return nil, fmt.Errorf("backend: unsupported BackendDB %q", cfg.BackendDB)
	}
	if err := s.ping(ctx, cfg); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("backend %s unreachable: %w", s.Describe(cfg), err)
	}
	return s, nil
}

// ping checks the backend answers. On SQLite the first connection to a new
// file switches it to WAL, which reports busy at once (without waiting in
// the busy handler) while another process or pool does the same: that is
// retried for the busy timeout.
func (s *Store) ping(ctx context.Context, cfg *config.Config) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout()+time.Second)
		err := s.db.PingContext(pctx)
		cancel()
		if err == nil || cfg.BackendDB != "sqlite3" || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Describe names the backend without secrets.
func (s *Store) Describe(cfg *config.Config) string {
	if cfg.BackendDB == "sqlite3" {
		return "sqlite3 " + cfg.SQLite3DataFile
	}
	return "mysql " + net.JoinHostPort(cfg.MySQLOrchestratorHost, strconv.Itoa(int(cfg.MySQLOrchestratorPort))) + "/" + cfg.MySQLOrchestratorDatabase
}

func mysqlConnector(cfg *config.Config) (driver.Connector, error) {
	mc := mysql.NewConfig()
	mc.User = cfg.MySQLOrchestratorUser
	mc.Passwd = cfg.MySQLOrchestratorPassword
	mc.Net = "tcp"
	mc.Addr = net.JoinHostPort(cfg.MySQLOrchestratorHost, strconv.Itoa(int(cfg.MySQLOrchestratorPort)))
	mc.DBName = cfg.MySQLOrchestratorDatabase
	mc.Timeout = cfg.ConnectTimeout()
	mc.ReadTimeout = time.Duration(cfg.MySQLOrchestratorReadTimeoutSeconds) * time.Second
	mc.WriteTimeout = mc.ReadTimeout
	mc.InterpolateParams = true
	mc.RejectReadOnly = cfg.MySQLOrchestratorRejectReadOnly
	if cfg.MySQLOrchestratorUseMutualTLS || cfg.MySQLOrchestratorSSLCAFile != "" {
		t, err := TLSConfig(cfg.MySQLOrchestratorSSLCAFile, cfg.MySQLOrchestratorSSLCertFile, cfg.MySQLOrchestratorSSLPrivateKeyFile, cfg.MySQLOrchestratorSSLSkipVerify)
		if err != nil {
			return nil, fmt.Errorf("backend TLS: %w", err)
		}
		t.ServerName = cfg.MySQLOrchestratorHost
		mc.TLS = t
	}
	return mysql.NewConnector(mc)
}

// TLSConfig builds a client TLS configuration from PEM files.
func TLSConfig(caFile, certFile, keyFile string, skipVerify bool) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify} //nolint:gosec // operator's choice
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificates in %s", caFile)
		}
		t.RootCAs = pool
	}
	if certFile != "" && keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// Close releases the prepared statements and the connection pool.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for q, st := range s.stmts {
		_ = st.Close()
		delete(s.stmts, q)
	}
	s.stmtMu.Unlock()
	return s.db.Close()
}

// prepared returns query prepared on the pool, preparing it on first use
// (database/sql prepares it again on each connection that runs it).
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// Dialect exposes the SQL dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the pool for tests and the schema checker.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	started := time.Now()
	res, err := s.db.ExecContext(c, query, args...)
	s.observe(started, err)
	return res, err
}

// observe records a statement's duration and outcome.
func (s *Store) observe(started time.Time, err error) {
	d := time.Since(started)
	s.latency.Observe(d)
	q := QuerySample{At: started, Execute: d}
	if err != nil {
		q.Err = err.Error()
	}
	s.recent.Add(started, q)
}

// affected runs a statement and returns the number of rows it changed.
func (s *Store) affected(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// queryRows runs a query and calls scan for each row.
func (s *Store) queryRows(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) (err error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	started := time.Now()
	defer func() { s.observe(started, err) }()
	rows, err := s.db.QueryContext(c, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// count runs a single-value integer query.
func (s *Store) count(ctx context.Context, query string, args ...any) (int64, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	started := time.Now()
	var n sql.NullInt64
	err := s.db.QueryRowContext(c, query, args...).Scan(&n)
	s.observe(started, err)
	return n.Int64, err
}

// Ping checks the backend answers.
func (s *Store) Ping(ctx context.Context) error {
	c, cancel := s.ctx(ctx)
	defer cancel()
	return s.db.PingContext(c)
}

// tsFormat is how timestamps are stored: UTC, microseconds, sortable text.
const tsFormat = "2006-01-02 15:04:05.000000"

// ts formats a time for the backend.
func ts(t time.Time) string { return t.UTC().Format(tsFormat) }

// Time scans a backend timestamp stored as text or DATETIME.
type Time struct{ time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case time.Time:
		t.Time = x.UTC()
		return nil
	case []byte:
		return t.parse(string(x))
	case string:
		return t.parse(x)
	}
	return fmt.Errorf("backend: cannot scan %T as time", v)
}

func (t *Time) parse(s string) error {
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range []string{tsFormat, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", time.RFC3339Nano} {
		if p, err := time.Parse(layout, s); err == nil {
			t.Time = p.UTC()
			return nil
		}
	}
	return fmt.Errorf("backend: cannot parse time %q", s)
}

// ErrNoRows is returned by single-row reads that found nothing.
var ErrNoRows = errors.New("no rows")
