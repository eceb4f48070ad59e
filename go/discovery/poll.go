package discovery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/inst"
)

// Run polls until ctx ends: every tick it queues the instances due for a
// refresh; live servers are probed by DiscoveryMaxConcurrency workers and
// failing ones by a separate, smaller pool so they never delay the others.
// Once a second it samples the queue (QueueSamples).
func (d *Discoverer) Run(ctx context.Context) {
	workers := int(d.conf().DiscoveryMaxConcurrency)
	if workers <= 0 {
		workers = 1
	}
	failingWorkers := workers / 10
	if failingWorkers < 2 {
		failingWorkers = 2
	}
	var wg sync.WaitGroup
	for n := 0; n < workers; n++ {
		wg.Add(1)
		go func() { defer wg.Done(); d.worker(ctx, d.live) }()
	}
	for n := 0; n < failingWorkers; n++ {
		wg.Add(1)
		go func() { defer wg.Done(); d.worker(ctx, d.failing) }()
	}
	for _, seed := range d.conf().DiscoverySeeds {
		if key, err := inst.ParseInstanceKey(seed, d.conf().DefaultInstancePort); err == nil {
			d.Enqueue(key)
		}
	}
	tick := pollTick(d.conf().InstancePoll())
	t := time.NewTicker(tick)
	defer t.Stop()
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	d.queueDue(ctx, tick)
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-sample.C:
			d.sampleQueue()
		case <-t.C:
			if next := pollTick(d.conf().InstancePoll()); next != tick { // InstancePollSeconds reloaded
				tick = next
				t.Reset(tick)
			}
			d.queueDue(ctx, tick)
		}
	}
}

// pollTick is how often the poll loop looks for due instances: a tenth of
// the poll interval, at least 100 ms.
func pollTick(poll time.Duration) time.Duration { return max(poll/10, 100*time.Millisecond) }

// dueBefore is the last-check time before which an instance is queued at
// now: one poll interval ago, less one tick, so that an instance that falls
// due before the next tick goes now. Otherwise each check would come a
// poll interval plus up to a tick (plus the probe) after the last one: at
// InstancePollSeconds 5 about every 5.5-6 s, 10-20 % fewer probes than the
// interval promises.
func dueBefore(now time.Time, poll, tick time.Duration) time.Time {
	return now.Add(-poll + min(tick, poll/2))
}

func (d *Discoverer) queueDue(ctx context.Context, tick time.Duration) {
	keys, err := d.store.DueInstanceKeys(ctx, dueBefore(time.Now(), d.conf().InstancePoll(), tick))
	if err != nil {
		if ctx.Err() == nil {
			log.Errorf("discovery: %v", err)
		}
		return
	}
	for _, k := range keys {
		if d.due(k) {
			d.Enqueue(k)
		}
	}
}

func (d *Discoverer) worker(ctx context.Context, queue chan inst.InstanceKey) {
	for {
		select {
		case <-ctx.Done():
			return
		case key := <-queue:
			d.dequeued(key)
			if !d.due(key) {
				continue
			}
			if err := d.poll(ctx, key); err != nil && ctx.Err() == nil {
				log.Debugf("discovery: %v", err)
			}
		}
	}
}

// DiscoverTopology probes key and crawls everything reachable from it
// (see neighbours), synchronously, until nothing new is found or ctx ends.
// It returns the first instance's result. A key matching
// DiscoveryIgnoreHostnameFilters is refused without a probe.
func (d *Discoverer) DiscoverTopology(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	key = d.resolver.Resolve(ctx, key)
	if d.Ignored(key) {
		return nil, errIgnored(key)
	}
	first, err := d.Probe(ctx, key)
	if err != nil {
		return nil, err
	}
	seen := map[inst.InstanceKey]bool{key: true, first.Key: true}
	frontier := d.neighbours(first)
	for len(frontier) > 0 && ctx.Err() == nil {
		var next []inst.InstanceKey
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, k := range frontier {
			if seen[k] {
				continue
			}
			seen[k] = true
			wg.Add(1)
			go func(k inst.InstanceKey) {
				defer wg.Done()
				i, err := d.Probe(ctx, k)
				if err != nil {
					return
				}
				mu.Lock()
				next = append(next, d.neighbours(i)...)
				mu.Unlock()
			}(k)
		}
		wg.Wait()
		frontier = next
	}
	return first, nil
}

func errIgnored(key inst.InstanceKey) error {
	return fmt.Errorf("%w: %s matches DiscoveryIgnoreHostnameFilters", inst.ErrRefused, key)
}
