package recovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
)

// Fence says whether this process may still act on servers: nil while it
// may. The leader's recovery loop is handed one that fails once this node
// is no longer leader (or its term of leadership ended); every recovery
// adds the lease on its cluster's recovery lock.
type Fence func() error

// ErrFenced is wrapped by the fence errors: the process lost the right to
// act (its lease lapsed or was taken over, or it is no longer leader), so
// nothing more was sent to the servers.
var ErrFenced = errors.New("fenced")

// defaultLockLease is how long a cluster's recovery lock holds without
// renewal (Deps.LockLease).
const defaultLockLease = 10 * time.Second

// lease is a recovery's hold on its cluster's recovery lock, renewed four
// times per lease while the recovery runs. The lock lapses in the backend
// a whole lease after the instant a renewal reached it; this process
// counts it held only until a quarter of a lease earlier, measured from
// before the renewal was sent and on the monotonic clock (which runs on
// while the process is stopped). A lease that lapsed here, or that the
// backend no longer names this process for, is lost for good: check fails
// and the recovery's context is cancelled. So a process resumed after a
// pause, or cut off from the backend, stops acting before anyone else
// may claim the lock.
type lease struct {
	store   *backend.Store
	cluster string
	holder  backend.LockHolder
	ttl     time.Duration

	mu    sync.Mutex
	until time.Time // held (here) until then unless renewed
	err   error     // why it was lost; nil while held

	lost          context.CancelCauseFunc
	stop, stopped chan struct{}
}

// lockCluster takes the backend's per-cluster recovery lock, so that no
// two nodes or CLIs recover one cluster at once, and keeps it renewed
// until released. The returned context is cancelled, with the reason as
// its cause, when the lock is lost.
func (rc *Recoverer) lockCluster(ctx context.Context, cluster string) (context.Context, *lease, error) {
	ttl := rc.d.LockLease
	if ttl <= 0 {
		ttl = defaultLockLease
	}
	sent := time.Now()
	ok, err := rc.d.Store.AcquireClusterRecoveryLock(ctx, cluster, rc.d.Holder, ttl)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s", ErrLocked, cluster)
	}
	l := &lease{store: rc.d.Store, cluster: cluster, holder: rc.d.Holder, ttl: ttl, until: sent.Add(ttl - ttl/4),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	lctx, lost := context.WithCancelCause(ctx)
	l.lost = lost
	go func() { defer close(l.stopped); l.keep(lctx) }()
	return lctx, l, nil
}

// check is the lease's fence: nil while it is held.
func (l *lease) check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil && !time.Now().Before(l.until) {
		l.err = fmt.Errorf("%w: the recovery lock of %s was not renewed in time (process paused or backend unreachable)", ErrFenced, l.cluster)
	}
	return l.err
}

// keep renews the lease four times per lease until released or lost.
func (l *lease) keep(ctx context.Context) {
	t := time.NewTicker(l.ttl / 4)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.check(); err != nil { // lapsed here: never renewed again
			l.lose(err)
			return
		}
		sent := time.Now()
		c, cancel := context.WithTimeout(ctx, l.ttl/4)
		ok, err := l.store.RenewClusterRecoveryLock(c, l.cluster, l.holder, l.ttl)
		cancel()
		switch {
		case err == nil && ok:
			l.mu.Lock()
			if l.err == nil {
				l.until = sent.Add(l.ttl - l.ttl/4)
			}
			l.mu.Unlock()
		case err == nil:
			l.lose(fmt.Errorf("%w: the recovery lock of %s was taken over (its lease had lapsed)", ErrFenced, l.cluster))
			return
		default:
			log.Warningf("recovery lock of %s: renewal failed (held here for %s more): %v", l.cluster, time.Until(l.untilTime()).Round(time.Millisecond), err)
		}
	}
}

func (l *lease) untilTime() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until
}

// lose records why the lease is lost and cancels the recovery.
func (l *lease) lose(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	err = l.err
	l.mu.Unlock()
	log.Errorf("recovery of cluster %s: %v", l.cluster, err)
	l.lost(err)
}

// release stops renewing and deletes the lock (if still ours).
func (l *lease) release(ctx context.Context) {
	close(l.stop)
	<-l.stopped
	l.mu.Lock()
	if l.err == nil {
		l.err = fmt.Errorf("%w: the recovery lock of %s was released", ErrFenced, l.cluster)
	}
	l.mu.Unlock()
	l.lost(nil)
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), stepTimeout)
	defer cancel()
	if err := l.store.ReleaseClusterRecoveryLock(c, l.cluster, l.holder); err != nil {
		log.Errorf("%v", err)
	}
}

// fence is the fence of a recovery under this lease: the lease, then
// leader (when the recovery is leader work).
func (l *lease) fence(leader Fence) Fence {
	return func() error {
		if err := l.check(); err != nil {
			return err
		}
		if leader != nil {
			return leader()
		}
		return nil
	}
}
