package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

// Flags are the global CLI flags a command may use.
type Flags struct {
	Command, Instance, Destination, Owner, Reason, Duration, Pattern, Alias string
	PromotionRule, Binlog, Statement, Hostname, Tag                         string
	Noop, Quiet, DryRun, SkipRegistration                                   bool
}

// Env is what a command runs with. Components are built on first use so
// that a command that only reads the backend starts lean.
type Env struct {
	Ctx     context.Context
	Config  *config.Config
	Flags   Flags
	Out     io.Writer
	Version string

	hostname, token string
	store           *backend.Store
	reader          *topology.Reader
	connector       *mysql.Connector
	inspector       *mysql.Inspector
	applier         *mysql.Applier
	discoverer      *discovery.Discoverer
	recoverer       *recovery.Recoverer
	closers         []func()
}

func newEnv(ctx context.Context, cfg *config.Config, flags Flags, out io.Writer, version string) *Env {
	host, _ := os.Hostname()
	return &Env{Ctx: ctx, Config: cfg, Flags: flags, Out: out, Version: version, hostname: host, token: newToken()}
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Close releases what the Env opened.
func (e *Env) Close() {
	for n := len(e.closers) - 1; n >= 0; n-- {
		e.closers[n]()
	}
}

// Store opens the backend and makes sure its schema is current.
func (e *Env) Store() (*backend.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	s, err := backend.Open(e.Ctx, e.Config)
	if err != nil {
		return nil, err
	}
	if !e.Config.SkipOrchestratorDatabaseUpdate {
		if err := s.EnsureSchema(e.Ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	e.store = s
	e.closers = append(e.closers, func() { _ = s.Close() })
	return s, nil
}

// Reader returns the topology reader.
func (e *Env) Reader() (*topology.Reader, error) {
	if e.reader != nil {
		return e.reader, nil
	}
	s, err := e.Store()
	if err != nil {
		return nil, err
	}
	e.reader = topology.NewReader(s, e.Config)
	return e.reader, nil
}

// Holder identifies this process for locks.
func (e *Env) Holder() backend.LockHolder {
	return backend.LockHolder{Hostname: e.hostname, Token: e.token}
}

// InstanceKey parses -i.
func (e *Env) InstanceKey() (inst.InstanceKey, error) {
	return inst.ParseInstanceKey(e.Flags.Instance, e.Config.DefaultInstancePort)
}

// InstanceKeys parses -i as a comma or space separated list.
func (e *Env) InstanceKeys() ([]inst.InstanceKey, error) {
	var keys []inst.InstanceKey
	for _, part := range strings.FieldsFunc(e.Flags.Instance, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, err := inst.ParseInstanceKey(part, e.Config.DefaultInstancePort)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: -i is empty", inst.ErrBadRequest)
	}
	return keys, nil
}

// DestinationKey parses -d.
func (e *Env) DestinationKey() (inst.InstanceKey, error) {
	return inst.ParseInstanceKey(e.Flags.Destination, e.Config.DefaultInstancePort)
}

// ClusterHint is --alias when given, else -i.
func (e *Env) ClusterHint() string {
	if e.Flags.Alias != "" {
		return e.Flags.Alias
	}
	return e.Flags.Instance
}

// Owner is --owner or the OS user.
func (e *Env) Owner() string {
	if e.Flags.Owner != "" {
		return e.Flags.Owner
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "orchestrator"
}

// DurationOr parses --duration (30s, 10m, 2h, 1d, 1w) or returns def.
func (e *Env) DurationOr(def time.Duration) (time.Duration, error) {
	if e.Flags.Duration == "" {
		return def, nil
	}
	return inst.ParseDuration(e.Flags.Duration)
}

func (e *Env) println(a ...any) { fmt.Fprintln(e.Out, a...) }
