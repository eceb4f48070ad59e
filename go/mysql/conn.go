package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Pool sizes per server. A probe pins one connection; an operation may use
// another concurrently. Idle connections are kept so the next probe reuses
// one instead of reconnecting.
const (
	maxOpenConnsPerServer = 3
	maxIdleConnsPerServer = 3
)

// Connector owns one *sql.DB per server. It is safe for concurrent use.
type Connector struct {
	cfg     *config.Config
	tls     *tls.Config // nil: plaintext
	tlsErr  error       // reported by DB when the TLS files cannot be read
	secrets []string

	mu     sync.Mutex
	dbs    map[inst.InstanceKey]*sql.DB
	closed bool
	dial   DialFunc // nil: the driver's TCP dialer
}

// DialFunc opens the network connection to a server's address.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// SetDialer routes new connections through dial (e.g. a proxy a test
// controls, to cut orchestrator alone off from a server). Pools opened
// before keep their dialer; call it before first use.
func (c *Connector) SetDialer(dial DialFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dial = dial
}

// NewConnector builds a Connector for the topology credentials and TLS
// settings in cfg. A TLS misconfiguration is reported by DB, not here.
func NewConnector(cfg *config.Config) *Connector {
	c := &Connector{cfg: cfg, dbs: map[inst.InstanceKey]*sql.DB{}, secrets: cfg.Secrets()}
	c.tls, c.tlsErr = topologyTLS(cfg)
	return c
}

// DB returns the pool for key, opening it on first use. Opening does not
// connect; the first query does.
func (c *Connector) DB(key inst.InstanceKey) (*sql.DB, error) {
	if !key.IsValid() {
		return nil, fmt.Errorf("%w: cannot connect to invalid instance key %q", inst.ErrBadRequest, key.String())
	}
	if c.tlsErr != nil {
		return nil, fmt.Errorf("connect to %s: %w", key, c.tlsErr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("connect to %s: connector closed", key)
	}
	if db, ok := c.dbs[key]; ok {
		return db, nil
	}
	mc := c.driverConfig(key)
	if c.dial != nil {
		mc.DialFunc = c.dial
	}
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", key, c.Redact(err))
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(maxOpenConnsPerServer)
	db.SetMaxIdleConns(maxIdleConnsPerServer)
	if c.cfg.MySQLConnectionLifetimeSeconds > 0 {
		db.SetConnMaxLifetime(seconds(c.cfg.MySQLConnectionLifetimeSeconds))
	}
	c.dbs[key] = db
	return db, nil
}

// Forget closes and drops the pool of one server, so that the next use
// connects afresh (e.g. after a failed probe: a hung connection is not
// reused). Queries in flight on the old pool finish on their own; the close
// happens in the background and never blocks the caller.
func (c *Connector) Forget(key inst.InstanceKey) {
	c.mu.Lock()
	db, ok := c.dbs[key]
	delete(c.dbs, key)
	c.mu.Unlock()
	if ok {
		go db.Close()
	}
}

// Close closes every pool. DB fails afterwards.
func (c *Connector) Close() error {
	c.mu.Lock()
	dbs := c.dbs
	c.dbs = map[inst.InstanceKey]*sql.DB{}
	c.closed = true
	c.mu.Unlock()
	var errs []error
	for _, db := range dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// DSN returns the DSN for key with the password masked, for display.
func (c *Connector) DSN(key inst.InstanceKey) string {
	mc := c.driverConfig(key)
	if mc.Passwd != "" {
		mc.Passwd = redactedMark
	}
	mc.TLS = nil
	if c.tls != nil {
		mc.TLSConfig = "custom"
	}
	return mc.FormatDSN()
}

// driverConfig is the go-sql-driver configuration for one server.
func (c *Connector) driverConfig(key inst.InstanceKey) *mysql.Config {
	mc := mysql.NewConfig()
	mc.User = c.cfg.MySQLTopologyUser
	mc.Passwd = c.cfg.MySQLTopologyPassword
	mc.Net = "tcp"
	mc.Addr = net.JoinHostPort(key.Hostname, strconv.Itoa(key.Port))
	mc.Timeout = c.cfg.ConnectTimeout()
	// The read timeout is a second guard behind each call's context: long
	// enough for the slowest topology statement (waits are bounded by it).
	mc.ReadTimeout = c.readTimeout()
	mc.WriteTimeout = mc.ReadTimeout
	mc.InterpolateParams = true
	// Several statements per round trip: a probe sends its reads as one batch.
	mc.MultiStatements = true
	mc.Logger = &mysql.NopLogger{}
	if c.tls != nil {
		mc.TLS = c.tls.Clone()
		mc.AllowFallbackToPlaintext = c.cfg.MySQLTopologyUseMixedTLS
	}
	return mc
}

// readTimeout is the socket read timeout of every pool (0: none).
func (c *Connector) readTimeout() time.Duration {
	return max(c.cfg.DiscoveryReadTimeout(), c.cfg.TopologyReadTimeout())
}

// topologyTLS builds the client TLS configuration from the MySQLTopologySSL*
// keys: nil (plaintext) unless mutual TLS is asked for or a CA file is given.
func topologyTLS(cfg *config.Config) (*tls.Config, error) {
	if !cfg.MySQLTopologyUseMutualTLS && cfg.MySQLTopologySSLCAFile == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.MySQLTopologySSLSkipVerify} //nolint:gosec // operator's choice
	if cfg.MySQLTopologySSLCAFile != "" {
		pem, err := os.ReadFile(cfg.MySQLTopologySSLCAFile)
		if err != nil {
			return nil, fmt.Errorf("MySQLTopologySSLCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("MySQLTopologySSLCAFile %s: no PEM certificate found", cfg.MySQLTopologySSLCAFile)
		}
		t.RootCAs = pool
	}
	if cfg.MySQLTopologyUseMutualTLS {
		cert, err := tls.LoadX509KeyPair(cfg.MySQLTopologySSLCertFile, cfg.MySQLTopologySSLPrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("MySQLTopologySSLCertFile/MySQLTopologySSLPrivateKeyFile: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

const redactedMark = "********"

// Redact returns err with every configured secret (topology password and
// the other redacted config keys) masked. It returns err itself when no
// secret appears in its text, so errors.Is/As keep working; otherwise the
// masked error still unwraps to err.
func (c *Connector) Redact(err error, extra ...string) error {
	return redact(err, append(extra, c.secrets...)...)
}

func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := RedactText(msg, secrets...)
	if masked == msg {
		return err
	}
	return &redactedError{msg: masked, err: err}
}

// RedactText replaces each non-empty secret in s with a mask.
func RedactText(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redactedMark)
		}
	}
	return s
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
