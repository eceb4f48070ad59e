package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Inspector reads servers. It never changes one: every statement it sends
// is a SELECT or a SHOW (plus the operator's configured Detect*/lag
// queries). It is safe for concurrent use.
type Inspector struct {
	c        *Connector
	cfg      *config.Config
	patterns hostPatterns

	servers sync.Map // inst.InstanceKey -> *server

	probes, failedProbes, queries, roundTrips atomic.Uint64
}

// server is what the Inspector remembers about one server between probes:
// its version (so later probes send one batch) and whether it accepts
// several statements per round trip.
type server struct {
	version, comment string
	term             Terminology
	batch            atomic.Int32 // batchUnknown, batchYes, batchNo
}

const (
	batchUnknown int32 = iota
	batchYes
	batchNo
)

// NewInspector builds an Inspector over c's pools and cfg's detection
// settings.
func NewInspector(c *Connector, cfg *config.Config) *Inspector {
	return &Inspector{c: c, cfg: cfg, patterns: compilePatterns(cfg)}
}

// Stats are running totals over every probe since the Inspector was built.
type Stats struct {
	Probes       uint64 // Probe/ProbeDetails calls
	FailedProbes uint64
	Queries      uint64 // statements sent by probes (version check and batches included)
	RoundTrips   uint64 // network round trips of probes (a batch counts once)
}

// Stats returns the probe counters (queries per probe = Queries/Probes).
func (in *Inspector) Stats() Stats {
	return Stats{Probes: in.probes.Load(), FailedProbes: in.failedProbes.Load(),
		Queries: in.queries.Load(), RoundTrips: in.roundTrips.Load()}
}

// Identity is how a server names itself.
type Identity struct {
	Hostname   string // @@hostname
	ReportHost string // @@report_host ("" when unset)
	ReportPort int    // @@report_port
}

// ProbeResult is one probe's instance plus what the probe cost and what
// went wrong without failing it.
type ProbeResult struct {
	Instance   *inst.Instance
	Identity   Identity
	Warnings   []error // failed Detect*/ReplicationLagQuery queries, bad values; the probe still succeeded
	Queries    int     // statements sent
	RoundTrips int
}

// Probe reads everything a server can tell about itself and its
// replication, over one connection and in as few round trips as possible:
// after the first probe of a server (which also reads its version), one
// batch of statements, plus one more round trip after any failing
// configured query. A failed probe returns an error naming the key; the
// caller records it.
func (in *Inspector) Probe(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	res, err := in.ProbeDetails(ctx, key)
	if err != nil {
		return nil, err
	}
	return res.Instance, nil
}

// ProbeDetails is Probe, also returning identity, warnings and cost.
func (in *Inspector) ProbeDetails(ctx context.Context, key inst.InstanceKey) (*ProbeResult, error) {
	start := time.Now()
	ctx, cancel := in.probeContext(ctx)
	defer cancel()
	s := &session{}
	res, err := in.probe(ctx, key, s)
	in.probes.Add(1)
	in.queries.Add(uint64(s.queries))
	in.roundTrips.Add(uint64(s.roundTrips))
	if err != nil {
		in.failedProbes.Add(1)
		if serverError(err) == 0 {
			// Not an answer from the server: the connection may be broken
			// or hung, and the server may have been replaced.
			in.c.Forget(key)
			in.servers.Delete(key)
		}
		return nil, fmt.Errorf("probe %s: %w", key, in.c.Redact(err))
	}
	now := time.Now()
	i := res.Instance
	i.LastDiscoveryLatency = now.Sub(start)
	i.LastSeen, i.LastChecked, i.LastAttemptedCheck = now, now, now
	res.Queries, res.RoundTrips = s.queries, s.roundTrips
	return res, nil
}

// probeContext bounds a probe by MySQLDiscoveryReadTimeoutSeconds unless
// the caller's deadline is sooner.
func (in *Inspector) probeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := in.cfg.DiscoveryReadTimeout(); d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// probe reads the server. Once a pool for key exists (a bad key or TLS
// setting fails before), every failure is the server's
// (inst.ErrServerFailed): it could not be reached, or failed a statement.
func (in *Inspector) probe(ctx context.Context, key inst.InstanceKey, s *session) (*ProbeResult, error) {
	db, err := in.c.DB(key)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, inst.WithKind(inst.ErrServerFailed, err)
	}
	defer conn.Close()
	s.q = conn
	srv, err := in.server(ctx, key, s)
	if err != nil {
		return nil, inst.WithKind(inst.ErrServerFailed, err)
	}
	p := newProbe(key, srv.term)
	steps := append(p.coreSteps(), p.configSteps(in.cfg)...)
	if err := runSteps(ctx, s, srv, steps, p.warn); err != nil {
		return nil, inst.WithKind(inst.ErrServerFailed, err)
	}
	if p.inst.Version != srv.version || p.inst.VersionComment != srv.comment {
		// Upgraded or replaced behind the same address: the next probe uses
		// the new vocabulary.
		in.remember(key, p.inst.Version, p.inst.VersionComment)
	}
	p.finish(in.cfg, in.patterns)
	return &ProbeResult{Instance: p.inst, Identity: p.identity, Warnings: p.warnings}, nil
}

// server returns what is known about key, reading its version first if
// this is the first contact.
func (in *Inspector) server(ctx context.Context, key inst.InstanceKey, s *session) (*server, error) {
	if v, ok := in.servers.Load(key); ok {
		return v.(*server), nil
	}
	rows, err := s.query(ctx, "SELECT @@version, @@version_comment")
	if err != nil {
		return nil, fmt.Errorf("read version: %w", err)
	}
	defer rows.Close()
	vals, err := readValues(rows)
	if err != nil {
		return nil, fmt.Errorf("read version: %w", err)
	}
	if len(vals) != 2 {
		return nil, errors.New("read version: no result")
	}
	return in.remember(key, vals[0].String, vals[1].String), nil
}

func (in *Inspector) remember(key inst.InstanceKey, version, comment string) *server {
	srv := &server{version: version, comment: comment, term: TerminologyFor(version, comment)}
	in.servers.Store(key, srv)
	return srv
}

// Terminology returns key's vocabulary, reading its version on first use.
func (in *Inspector) Terminology(ctx context.Context, key inst.InstanceKey) (Terminology, error) {
	if v, ok := in.servers.Load(key); ok {
		return v.(*server).term, nil
	}
	db, err := in.c.DB(key)
	if err != nil {
		return Terminology{}, err
	}
	srv, err := in.server(ctx, key, &session{q: db})
	if err != nil {
		return Terminology{}, inst.WithKind(inst.ErrServerFailed, fmt.Errorf("%s: %w", key, in.c.Redact(err)))
	}
	return srv.term, nil
}

// queryer is a *sql.DB or a *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// session counts the statements and round trips of one probe or read.
type session struct {
	q                   queryer
	queries, roundTrips int
}

func (s *session) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s.queries++
	s.roundTrips++
	return s.q.QueryContext(ctx, q, args...)
}

// hostPatterns are the compiled DataCenterPattern, RegionPattern and
// PhysicalEnvironmentPattern (nil when unset or invalid; config validation
// rejects invalid ones).
type hostPatterns struct {
	dataCenter, region, physicalEnvironment *regexp.Regexp
}

func compilePatterns(cfg *config.Config) hostPatterns {
	compile := func(p string) *regexp.Regexp {
		if p == "" {
			return nil
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil
		}
		return re
	}
	return hostPatterns{compile(cfg.DataCenterPattern), compile(cfg.RegionPattern), compile(cfg.PhysicalEnvironmentPattern)}
}

// match returns the pattern's first capture group in host ("" if none).
func match(re *regexp.Regexp, host string) string {
	if re == nil {
		return ""
	}
	m := re.FindStringSubmatch(host)
	if len(m) < 2 {
		return ""
	}
	return m[1]
}
