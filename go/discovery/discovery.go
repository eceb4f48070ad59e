// Package discovery keeps the store's view of every server fresh: a poll
// queue of due instances, a bounded worker pool, a separate back-off pool
// for failing servers, crawling of newly found masters and replicas, and
// batched writes.
package discovery

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/metrics"
	"orchestrator/go/mysql"
)

// Prober reads one live server.
type Prober interface {
	Probe(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error)
}

// detailedProber also tells how the server names itself (for
// MySQLHostnameResolveMethod); *mysql.Inspector is one.
type detailedProber interface {
	ProbeDetails(ctx context.Context, key inst.InstanceKey) (*mysql.ProbeResult, error)
}

// Discoverer polls servers and stores what it finds.
type Discoverer struct {
	store    *backend.Store
	prober   Prober
	settings atomic.Pointer[settings] // replaced whole by ApplyConfig
	resolver *resolver
	writer   *shardedWriter

	live    chan inst.InstanceKey
	failing chan inst.InstanceKey

	mu        sync.Mutex
	inflight  map[inst.InstanceKey]bool
	queued    map[inst.InstanceKey]bool
	failures  map[inst.InstanceKey]int
	retryAt   map[inst.InstanceKey]time.Time // back-off of failing instances
	lastProbe map[inst.InstanceKey]time.Time
	onProblem func(clusterName string)
	stats     Stats
	latency   *metrics.Histogram
	samples   samples // recent probes, queue sizes and batch writes (samples.go)

	// placedMu guards placed apart from mu: every probe of a replica reads
	// its master's placement, and 300 workers queued on mu for it.
	placedMu sync.RWMutex
	placed   map[inst.InstanceKey]placement // last stored cluster/depth per instance
}

// Stats are counters for metrics and benchmarks.
type Stats struct {
	ProbesOK, ProbesFailed int64
	TotalLatency           time.Duration
	// WriteBatches and RowsWritten count the backend upserts of probe
	// results (rows per batch = RowsWritten / WriteBatches).
	WriteBatches, RowsWritten int64
	// BackedOff counts polls skipped because the instance was failing and
	// its back-off had not expired.
	BackedOff int64
	// ProbeLatency is the distribution of probe durations (ok and failed).
	ProbeLatency metrics.Snapshot
}

// settings are the configuration a Discoverer runs with and the filters
// compiled from it.
type settings struct {
	cfg    *config.Config
	ignore ignoreFilters
}

func newSettings(cfg *config.Config) (*settings, error) {
	for _, f := range [][]string{cfg.DiscoveryIgnoreHostnameFilters, cfg.DiscoveryIgnoreMasterHostnameFilters, cfg.DiscoveryIgnoreReplicaHostnameFilters} {
		for _, re := range f {
			if _, err := regexp.Compile(re); err != nil {
				return nil, fmt.Errorf("discovery: invalid hostname filter %q: %w", re, err)
			}
		}
	}
	return &settings{cfg: cfg, ignore: ignoreFilters{
		all: inst.CompileKeyFilters(cfg.DiscoveryIgnoreHostnameFilters), masters: inst.CompileKeyFilters(cfg.DiscoveryIgnoreMasterHostnameFilters),
		replicas: inst.CompileKeyFilters(cfg.DiscoveryIgnoreReplicaHostnameFilters),
	}}, nil
}

// conf is the configuration the Discoverer runs with now.
func (d *Discoverer) conf() *config.Config { return d.settings.Load().cfg }

func (d *Discoverer) filters() ignoreFilters { return d.settings.Load().ignore }

// ApplyConfig takes a reloaded configuration: the Discovery*HostnameFilters
// and InstancePollSeconds apply from the next probe and the next poll tick.
// The other keys it reads (concurrency, queue capacity, timeouts, hostname
// resolution) keep their values until a restart: the reloader hands it a
// configuration where they are unchanged. A filter that does not compile
// is refused and the running configuration kept.
func (d *Discoverer) ApplyConfig(cfg *config.Config) error {
	st, err := newSettings(cfg)
	if err != nil {
		return err
	}
	d.settings.Store(st)
	return nil
}

// ignoreFilters are the Discovery*HostnameFilters: all keeps an instance
// out of discovery altogether; masters and replicas stop the crawl from
// following a master link or a replica to a matching server (which may
// still be discovered when asked for explicitly).
type ignoreFilters struct{ all, masters, replicas inst.KeyFilters }

// New builds a Discoverer.
func New(store *backend.Store, prober Prober, cfg *config.Config) *Discoverer {
	capacity := int(cfg.DiscoveryQueueCapacity)
	if capacity <= 0 {
		capacity = 100000
	}
	d := &Discoverer{
		store: store, prober: prober, resolver: newResolver(cfg),
		live: make(chan inst.InstanceKey, capacity), failing: make(chan inst.InstanceKey, capacity),
		inflight: map[inst.InstanceKey]bool{}, queued: map[inst.InstanceKey]bool{}, failures: map[inst.InstanceKey]int{},
		retryAt: map[inst.InstanceKey]time.Time{}, lastProbe: map[inst.InstanceKey]time.Time{}, placed: map[inst.InstanceKey]placement{},
		onProblem: func(string) {},
		latency:   metrics.NewHistogram(),
		samples:   newSamples(cfg.DiscoveryQueueMaxStatisticsSize),
	}
	st, err := newSettings(cfg)
	if err != nil { // validated by config.Load; a filter that does not compile matches nothing
		log.Errorf("%v", err)
		st = &settings{cfg: cfg}
	}
	d.settings.Store(st)
	d.writer = newShardedWriter(store.WriteInstances, 0, writeShards(store))
	d.writer.recordInto(d.samples.writes)
	d.resolver.record = d.recordResolve
	return d
}

// writeShards is how many batches of probe results are stored at once:
// SQLite has one writer anyway; a MySQL backend runs each on its own
// connection and server thread, which keeps up where one batch at a time
// waits on round trips and on a server busy with reads.
func writeShards(store *backend.Store) int {
	if store.Dialect().Name() == "sqlite3" {
		return 1
	}
	return 4
}

// OnProblem registers a callback run when a probe suggests a failure in a
// cluster (a master unreachable, a replica's IO thread failing).
func (d *Discoverer) OnProblem(f func(clusterName string)) { d.onProblem = f }

// Stats returns a copy of the counters.
func (d *Discoverer) Stats() Stats {
	d.mu.Lock()
	st := d.stats
	d.mu.Unlock()
	st.WriteBatches, st.RowsWritten = d.writer.counts()
	st.ProbeLatency = d.latency.Snapshot()
	return st
}

// Ignored reports whether discovery must skip an instance
// (DiscoveryIgnoreHostnameFilters).
func (d *Discoverer) Ignored(key inst.InstanceKey) bool { return d.filters().all.Match(key) }

// Enqueue asks for a probe of key soon (deduplicated; dropped if full).
// Failing instances go to their own queue, served by a separate pool.
func (d *Discoverer) Enqueue(key inst.InstanceKey) {
	if !key.IsValid() {
		return
	}
	key = d.resolver.Resolve(context.Background(), key)
	if d.Ignored(key) {
		return
	}
	d.mu.Lock()
	if d.queued[key] {
		d.mu.Unlock()
		return
	}
	d.queued[key] = true
	failing := d.failures[key] > 0
	d.mu.Unlock()
	ch := d.live
	if failing {
		ch = d.failing
	}
	select {
	case ch <- key:
	default:
		d.dequeued(key)
		log.Warningf("discovery queue full, dropping %s", key)
	}
}

// RequestDiscovery asks for key to be discovered in the background
// (async-discover): the request is stored, so that the poll loop of the
// running service probes it and crawls from it even when asked by another
// process (the CLI), and queued here for this process's own poll loop. A
// key matching DiscoveryIgnoreHostnameFilters is refused.
func (d *Discoverer) RequestDiscovery(ctx context.Context, key inst.InstanceKey) (inst.InstanceKey, error) {
	key = d.resolver.Resolve(ctx, key)
	if d.Ignored(key) {
		return key, errIgnored(key)
	}
	if err := d.store.RequestDiscovery(ctx, key, time.Now()); err != nil {
		return key, err
	}
	d.Enqueue(key)
	return key, nil
}

func (d *Discoverer) dequeued(key inst.InstanceKey) {
	d.mu.Lock()
	delete(d.queued, key)
	d.mu.Unlock()
}

// Probe probes one server now (whatever its back-off), stores the result
// and returns it. The key is resolved by the hostname policy first. It
// never runs two probes of one instance at once: a concurrent caller waits
// for nothing and gets ErrInFlight.
func (d *Discoverer) Probe(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	key = d.resolver.Resolve(ctx, key)
	if !d.begin(key) {
		return nil, errInFlight{key}
	}
	defer d.end(key)
	return d.probeAndStore(ctx, key, true)
}

// poll is the poll loop's probe: like Probe, but the result is handed to
// the batch writer without waiting for it to be stored (unless the
// instance moved, see probeAndStore), so a worker is free for the next
// server while the backend writes.
func (d *Discoverer) poll(ctx context.Context, key inst.InstanceKey) error {
	if !d.begin(key) {
		return errInFlight{key}
	}
	defer d.end(key)
	_, err := d.probeAndStore(ctx, key, false)
	return err
}

type errInFlight struct{ key inst.InstanceKey }

func (e errInFlight) Error() string { return "a probe of " + e.key.String() + " is already running" }

func (d *Discoverer) begin(key inst.InstanceKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[key] {
		return false
	}
	d.inflight[key] = true
	return true
}

func (d *Discoverer) end(key inst.InstanceKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.inflight, key)
	d.lastProbe[key] = time.Now()
}

func (d *Discoverer) probeTimeout() time.Duration {
	t := d.conf().ConnectTimeout() + d.conf().DiscoveryReadTimeout()
	if poll := d.conf().InstancePoll(); poll > time.Second && t > poll {
		t = poll
	}
	if t < 2*time.Second {
		t = 2 * time.Second
	}
	return t
}

// probeAndStore probes key and stores the result; wait=false only queues
// the write, except for an instance whose cluster or depth changed: that
// one is stored before its descendants are updated, so no queued row of
// its own can land after them.
func (d *Discoverer) probeAndStore(ctx context.Context, key inst.InstanceKey, wait bool) (*inst.Instance, error) {
	pctx, cancel := context.WithTimeout(ctx, d.probeTimeout())
	defer cancel()
	started := time.Now()
	i, err := d.probe(pctx, key)
	latency := time.Since(started)
	d.latency.Observe(latency)
	if err != nil {
		d.recordFailure(ctx, key, err, latency)
		d.recordProbe(started, key, latency, err)
		return nil, err
	}
	i.LastDiscoveryLatency = latency
	d.mu.Lock()
	delete(d.failures, key)
	delete(d.retryAt, key)
	d.stats.ProbesOK++
	d.stats.TotalLatency += latency
	d.mu.Unlock()
	moved, err := d.place(ctx, i)
	if err != nil {
		return nil, err
	}
	if wait || moved {
		if err := d.writer.Write(ctx, i); err != nil {
			return nil, err
		}
	} else {
		d.writer.Submit(ctx, i)
	}
	d.recordProbe(started, key, latency, nil)
	d.remember(i)
	if moved {
		if err := d.propagateCluster(ctx, i); err != nil {
			log.Errorf("discovery: %v", err)
		}
	}
	d.registerClusterNames(ctx, i)
	d.crawl(i)
	if i.IsReplica() && (i.IsFailingToConnectToMaster() || (i.ReplicationIOThreadState != inst.ThreadStateRunning && i.LastIOError != "")) {
		if d.isPlaced(i.MasterKey) || !d.filters().masters.Match(i.MasterKey) {
			d.Enqueue(i.MasterKey) // a known master is checked at once; an ignored one is not discovered
		}
		d.onProblem(i.ClusterName)
	}
	return i, nil
}

// probe reads the server and applies the hostname policy to the keys it
// reports (its own, its master's, its replicas').
func (d *Discoverer) probe(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	dp, ok := d.prober.(detailedProber)
	if !ok {
		return d.prober.Probe(ctx, key)
	}
	res, err := dp.ProbeDetails(ctx, key)
	if err != nil {
		return nil, err
	}
	i := res.Instance
	if name, ok := d.resolver.SelfName(ctx, key, res.Identity.Hostname, res.Identity.ReportHost); ok {
		i.Key.Hostname = name
	}
	if i.MasterKey.IsValid() && !i.MasterKey.IsDetached() {
		i.MasterKey = d.resolver.Resolve(ctx, i.MasterKey)
	}
	for n, r := range i.Replicas {
		i.Replicas[n] = d.resolver.Resolve(ctx, r)
	}
	return i, nil
}

func (d *Discoverer) recordFailure(ctx context.Context, key inst.InstanceKey, err error, latency time.Duration) {
	d.mu.Lock()
	d.failures[key]++
	first := d.failures[key] == 1
	d.retryAt[key] = time.Now().Add(backoff(d.conf().InstancePoll(), d.failures[key]))
	d.stats.ProbesFailed++
	d.mu.Unlock()
	if first {
		log.Warningf("discovery: probe of %s failed: %v", key, err)
	}
	if rerr := d.store.RecordFailedCheck(ctx, key, err.Error(), latency, time.Now()); rerr != nil {
		log.Errorf("discovery: %v", rerr)
	}
	if !first {
		return
	}
	// A failure is news: re-probe the neighbours and let analysis look now.
	known, rerr := d.store.ReadInstances(ctx, backend.InstanceFilter{Key: &key})
	if rerr != nil || len(known) == 0 {
		return
	}
	replicas, _ := d.store.ReadInstances(ctx, backend.InstanceFilter{MasterKey: &key})
	for _, r := range replicas {
		d.Enqueue(r.Key)
	}
	d.onProblem(known[0].ClusterName)
}

// crawl queues the instance's master and replicas when they are new or due.
func (d *Discoverer) crawl(i *inst.Instance) {
	for _, k := range d.neighbours(i) {
		if d.due(k) {
			d.Enqueue(k)
		}
	}
}

// neighbours are the servers a crawl follows from i: its master (unless
// detached or matching DiscoveryIgnoreMasterHostnameFilters) and its
// replicas (unless matching DiscoveryIgnoreReplicaHostnameFilters), none
// matching DiscoveryIgnoreHostnameFilters. The poll loop's crawl and
// DiscoverTopology both follow these.
func (d *Discoverer) neighbours(i *inst.Instance) []inst.InstanceKey {
	var out []inst.InstanceKey
	if i.IsReplica() && !i.MasterKey.IsDetached() && !d.filters().masters.Match(i.MasterKey) && !d.Ignored(i.MasterKey) {
		out = append(out, i.MasterKey)
	}
	for _, r := range i.Replicas {
		if !d.filters().replicas.Match(r) && !d.Ignored(r) {
			out = append(out, r)
		}
	}
	return out
}

// due reports whether key was not probed within half a poll interval and
// is not waiting out a back-off.
func (d *Discoverer) due(key inst.InstanceKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[key] {
		return false
	}
	if at, ok := d.retryAt[key]; ok && time.Now().Before(at) {
		d.stats.BackedOff++
		return false
	}
	last, ok := d.lastProbe[key]
	return !ok || time.Since(last) > d.conf().InstancePoll()/2
}

// backoff is how long an instance that failed n probes in a row waits
// before the poll loop tries it again: one poll interval after the first
// failure, doubling, at most maxBackoffPolls intervals. A success resets
// it; explicit probes (Probe, DiscoverTopology) ignore it.
func backoff(poll time.Duration, n int) time.Duration {
	if poll <= 0 {
		poll = time.Second
	}
	d := poll
	for k := 1; k < n && d < maxBackoffPolls*poll; k++ {
		d *= 2
	}
	return min(d, maxBackoffPolls*poll)
}

const maxBackoffPolls = 8

// registerClusterNames records the alias and domain detected on a master.
func (d *Discoverer) registerClusterNames(ctx context.Context, i *inst.Instance) {
	if i.ReplicationDepth != 0 {
		return
	}
	if i.SuggestedClusterAlias != "" {
		if err := d.store.RegisterClusterAlias(ctx, i.ClusterName, i.SuggestedClusterAlias); err != nil {
			log.Errorf("discovery: %v", err)
		}
	}
	if i.ClusterDomain != "" {
		if err := d.store.RegisterClusterDomain(ctx, i.ClusterName, i.ClusterDomain); err != nil {
			log.Errorf("discovery: %v", err)
		}
	}
}
