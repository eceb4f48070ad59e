package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/codegangsta/cli"
	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/election"
	orchttp "orchestrator/go/http"
	"orchestrator/go/recovery"
)

// node answers NodeInfo for the HTTP layer.
type node struct {
	elector  *election.Elector
	hostname string
	token    string
	version  string
	started  time.Time
}

func (n *node) IsLeader() bool     { return n.elector.IsLeader() }
func (n *node) Hostname() string   { return n.hostname }
func (n *node) Token() string      { return n.token }
func (n *node) AppVersion() string { return n.version }
func (n *node) Started() string    { return n.started.UTC().Format(time.RFC3339) }

func (n *node) Uptime() time.Duration { return time.Since(n.started) }

func runService(c *cli.Context, version string, stderr io.Writer) int {
	hangups := watchHangups(stderr)
	defer hangups.stop() // first: runs last, after the shutdown
	if !c.Bool("quiet") && !c.Bool("debug") {
		log.SetLevel(log.INFO) // the service log tells what it did: leadership, recoveries, cleanup
	}
	cfg, err := loadConfig(c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "orchestrator:", oneLine(err, cfg))
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	flags, _ := flagsFrom(c)
	e := newEnv(ctx, cfg, flags, io.Discard, version)
	defer e.Close()
	paths, explicit := configPaths(c)
	rl := newReloader(paths, explicit, cfg)
	rl.add("log", logLevel(c.Bool("debug"), c.Bool("quiet")))
	svc, err := newService(e, rl, c.Bool("grab-election"), !c.IsSet("discovery") || c.Bool("discovery"))
	if err == nil {
		hangups.use(rl)
		err = svc.run(ctx)
	}
	if err != nil {
		fmt.Fprintln(stderr, "orchestrator:", oneLine(err, cfg))
		return 1
	}
	return 0
}

type service struct {
	env       *Env
	store     *backend.Store
	elector   *election.Elector
	server    *orchttp.Server
	listener  net.Listener
	tls       *tls.Config // nil: plain HTTP
	grab      bool
	discovery bool
	leader    *leaderWork
}

func newService(e *Env, rl *reloader, grab, discovery bool) (*service, error) {
	if e.Config.IsSQLite() {
		release, err := lockSQLiteService(e.Config.SQLite3DataFile)
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, release)
	}
	tlsCfg, err := orchttp.TLSConfig(e.Config)
	if err != nil {
		return nil, err
	}
	ln, err := listen(e.Config.ListenAddress, e.Config.ListenSocket)
	if err != nil {
		return nil, err
	}
	store, err := e.Store()
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s := &service{env: e, store: store, listener: ln, tls: tlsCfg, grab: grab, discovery: discovery}
	bn := backend.Node{Hostname: e.hostname, Token: e.token, AppVersion: e.Version, ExtraInfo: "http", DBBackend: store.Describe(e.Config)}
	s.leader = newLeaderWork(e, discovery)
	s.elector = election.New(store, bn, e.Config.HealthPoll(), e.Config.ActiveNodeExpire(), s.leader.setLeader)
	deps, err := s.deps()
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	deps.Reloader = apiReloader{rl}
	s.server = orchttp.New(e.Config, deps)
	rl.add("http", s.server.ApplyConfig)
	rl.add("discovery", deps.Discoverer.ApplyConfig)
	rl.add("topology reads", deps.Reader.ApplyConfig)
	rl.add("recovery", deps.Recoverer.ApplyConfig)
	metrics := s.server.Metrics()
	deps.Recoverer.OnRecovery = func(r *recovery.TopologyRecovery) { metrics.RecordRecovery(r.Type, r.Outcome()) }
	return s, nil
}

func listen(addr, socket string) (net.Listener, error) {
	if socket != "" {
		_ = os.Remove(socket)
		ln, err := net.Listen("unix", socket)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w", socket, err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

func (s *service) deps() (orchttp.Deps, error) {
	reader, err := s.env.Reader()
	if err != nil {
		return orchttp.Deps{}, err
	}
	n := &node{elector: s.elector, hostname: s.env.hostname, token: s.env.token, version: s.env.Version, started: time.Now()}
	return s.env.httpDeps(s.store, reader, n)
}

// run serves until ctx ends (SIGTERM, SIGINT) or the listener fails. On
// the way out it hands leadership over first: leader work stops, then the
// elector deletes its row so that another node takes over at its next tick
// instead of waiting for the expiry; then in-flight requests finish.
func (s *service) run(ctx context.Context) error {
	srv := orchttp.NewHTTPServer(s.server, s.tls, orchttp.DefaultLimits())
	electCtx, stopElection := context.WithCancel(context.WithoutCancel(ctx))
	leadCtx, stopLeading := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElection()
	defer stopLeading()
	elected, led := make(chan struct{}), make(chan struct{})
	go func() { defer close(elected); s.elector.Run(electCtx, s.grab) }()
	go func() { defer close(led); s.leader.run(leadCtx, s.elector) }()
	errc := make(chan error, 1)
	go func() { errc <- orchttp.Serve(srv, s.listener) }()
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	log.Infof("orchestrator listening on %s (%s)", s.listener.Addr(), scheme)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopLeading()
	<-led
	stopElection()
	<-elected // Run resigned
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
		return err
	}
	return nil
}
