// Package discovery keeps the store's view of every server fresh: a poll
// queue of due instances, a bounded worker pool, a separate back-off pool
// for failing servers, crawling of newly found masters and replicas, and
// batched writes.
package discovery

import (
	"context"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Prober reads one live server.
type Prober interface {
	Probe(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error)
}

// Discoverer polls servers and stores what it finds.
type Discoverer struct {
	store  *backend.Store
	prober Prober
	cfg    *config.Config
	ignore ignoreFilters

	live    chan inst.InstanceKey
	failing chan inst.InstanceKey

	mu        sync.Mutex
	inflight  map[inst.InstanceKey]bool
	failures  map[inst.InstanceKey]int
	lastProbe map[inst.InstanceKey]time.Time
	onProblem func(clusterName string)
	stats     Stats
}

// Stats are counters for metrics and benchmarks.
type Stats struct {
	ProbesOK, ProbesFailed int64
	TotalLatency           time.Duration
}

type ignoreFilters struct{ all, masters, replicas inst.HostnameFilters }

// New builds a Discoverer.
func New(store *backend.Store, prober Prober, cfg *config.Config) *Discoverer {
	capacity := int(cfg.DiscoveryQueueCapacity)
	if capacity <= 0 {
		capacity = 100000
	}
	return &Discoverer{
		store: store, prober: prober, cfg: cfg,
		ignore: ignoreFilters{
			all: inst.CompileHostnameFilters(cfg.DiscoveryIgnoreHostnameFilters), masters: inst.CompileHostnameFilters(cfg.DiscoveryIgnoreMasterHostnameFilters),
			replicas: inst.CompileHostnameFilters(cfg.DiscoveryIgnoreReplicaHostnameFilters),
		},
		live: make(chan inst.InstanceKey, capacity), failing: make(chan inst.InstanceKey, capacity),
		inflight: map[inst.InstanceKey]bool{}, failures: map[inst.InstanceKey]int{}, lastProbe: map[inst.InstanceKey]time.Time{},
		onProblem: func(string) {},
	}
}

// OnProblem registers a callback run when a probe suggests a failure in a
// cluster (a master unreachable, a replica's IO thread failing).
func (d *Discoverer) OnProblem(f func(clusterName string)) { d.onProblem = f }

// Stats returns a copy of the counters.
func (d *Discoverer) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Ignored reports whether discovery must skip a hostname.
func (d *Discoverer) Ignored(key inst.InstanceKey) bool { return d.ignore.all.Match(key.Hostname) }

// Enqueue asks for a probe of key soon (deduplicated; dropped if full).
func (d *Discoverer) Enqueue(key inst.InstanceKey) {
	if !key.IsValid() || d.Ignored(key) {
		return
	}
	d.mu.Lock()
	failing := d.failures[key] > 0
	d.mu.Unlock()
	ch := d.live
	if failing {
		ch = d.failing
	}
	select {
	case ch <- key:
	default:
		log.Warningf("discovery queue full, dropping %s", key)
	}
}

// Probe probes one server now, stores the result and returns it. It never
// runs two probes of one instance at once: a concurrent caller waits for
// nothing and gets ErrInFlight.
func (d *Discoverer) Probe(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	if !d.begin(key) {
		return nil, errInFlight{key}
	}
	defer d.end(key)
	return d.probeAndStore(ctx, key)
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
	t := d.cfg.ConnectTimeout() + d.cfg.DiscoveryReadTimeout()
	if poll := d.cfg.InstancePoll(); poll > time.Second && t > poll {
		t = poll
	}
	if t < 2*time.Second {
		t = 2 * time.Second
	}
	return t
}

func (d *Discoverer) probeAndStore(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	pctx, cancel := context.WithTimeout(ctx, d.probeTimeout())
	defer cancel()
	started := time.Now()
	i, err := d.prober.Probe(pctx, key)
	latency := time.Since(started)
	if err != nil {
		d.recordFailure(ctx, key, err, latency)
		return nil, err
	}
	i.LastDiscoveryLatency = latency
	d.mu.Lock()
	d.failures[key] = 0
	delete(d.failures, key)
	d.stats.ProbesOK++
	d.stats.TotalLatency += latency
	d.mu.Unlock()
	if err := d.place(ctx, i); err != nil {
		return nil, err
	}
	if err := d.store.WriteInstances(ctx, []*inst.Instance{i}); err != nil {
		return nil, err
	}
	if err := d.propagateCluster(ctx, i); err != nil {
		log.Errorf("discovery: %v", err)
	}
	d.registerClusterNames(ctx, i)
	d.crawl(i)
	if i.IsReplica() && (i.IsFailingToConnectToMaster() || (i.ReplicationIOThreadState != inst.ThreadStateRunning && i.LastIOError != "")) {
		d.Enqueue(i.MasterKey)
		d.onProblem(i.ClusterName)
	}
	return i, nil
}

func (d *Discoverer) recordFailure(ctx context.Context, key inst.InstanceKey, err error, latency time.Duration) {
	d.mu.Lock()
	d.failures[key]++
	first := d.failures[key] == 1
	d.stats.ProbesFailed++
	d.mu.Unlock()
	if first {
		log.Warningf("discovery: probe of %s failed: %v", key, err)
	}
	if rerr := d.store.RecordFailedCheck(ctx, key, err.Error(), latency); rerr != nil {
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
	if i.IsReplica() && !i.MasterKey.IsDetached() && !d.ignore.masters.Match(i.MasterKey.Hostname) && d.due(i.MasterKey) {
		d.Enqueue(i.MasterKey)
	}
	for _, r := range i.Replicas {
		if !d.ignore.replicas.Match(r.Hostname) && d.due(r) {
			d.Enqueue(r)
		}
	}
}

// due reports whether key was not probed within half a poll interval.
func (d *Discoverer) due(key inst.InstanceKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[key] {
		return false
	}
	last, ok := d.lastProbe[key]
	return !ok || time.Since(last) > d.cfg.InstancePoll()/2
}

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
