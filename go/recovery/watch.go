package recovery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

const (
	watchHold    = 10 * time.Second // one server-side sleep per watched master
	watchRefresh = 2 * time.Second  // how often the set of masters is re-read
)

// HoldFunc keeps a connection to a server busy for about d and fails as
// soon as the connection breaks (mysql.Inspector.Hold).
type HoldFunc func(ctx context.Context, key inst.InstanceKey, d time.Duration) error

// watchMasters keeps one watched connection per master, so a master that
// dies (its sockets close) is re-probed and its cluster analysed at once,
// whatever the poll interval. Watchers stop when their instance is no
// longer a reachable master, or when ctx ends.
func (rc *Recoverer) watchMasters(ctx context.Context) {
	if rc.d.Hold == nil {
		return
	}
	watching := map[inst.InstanceKey]context.CancelFunc{}
	var wg sync.WaitGroup
	defer func() {
		for _, cancel := range watching {
			cancel()
		}
		wg.Wait()
	}()
	t := time.NewTicker(watchRefresh)
	defer t.Stop()
	for {
		masters := rc.currentMasters(ctx)
		for k, cancel := range watching {
			if _, ok := masters[k]; !ok {
				cancel()
				delete(watching, k)
			}
		}
		for k, cluster := range masters {
			if _, ok := watching[k]; ok {
				continue
			}
			c, cancel := context.WithCancel(ctx)
			watching[k] = cancel
			wg.Add(1)
			go func(k inst.InstanceKey, cluster string) { defer wg.Done(); rc.watch(c, k, cluster) }(k, cluster)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// currentMasters returns the reachable masters (instances that replicate
// from nobody) with their cluster names.
func (rc *Recoverer) currentMasters(ctx context.Context) map[inst.InstanceKey]string {
	out := map[inst.InstanceKey]string{}
	list, err := rc.d.Reader.Instances(ctx, backend.InstanceFilter{MastersOnly: true})
	if err != nil {
		return out
	}
	for _, i := range list {
		if i.IsMaster() && i.IsLastCheckValid && !i.IsDowntimed {
			out[i.Key] = i.ClusterName
		}
	}
	return out
}

// watch holds a connection to one master; when it breaks, the master is
// probed now and its cluster checked, then the watch pauses for a poll
// interval before reconnecting. A server that answers the watch with an
// error of its own is alive: the watch only pauses and tries again.
func (rc *Recoverer) watch(ctx context.Context, key inst.InstanceKey, cluster string) {
	for ctx.Err() == nil {
		err := rc.d.Hold(ctx, key, watchHold)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			continue
		}
		if errors.Is(err, mysql.ErrWatchAnswered) {
			log.Debugf("master %s cannot be watched: %v", key, err)
		} else {
			broke := time.Now()
			perr := rc.fresh(ctx, key)
			rc.Trigger(cluster)
			log.Debugf("watched connection to %s broke (%v); re-probed in %v (%v), cluster %s triggered", key, err,
				time.Since(broke).Round(time.Millisecond), perr, cluster)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(rc.conf().InstancePoll(), time.Second)):
		}
	}
}
