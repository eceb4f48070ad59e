package http

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// The hottest read routes (/api/clusters, /api/clusters-info,
// /api/cluster/:hint, /api/all-instances, /api/replication-analysis) answer
// from one in-memory read of every instance, kept until something changes,
// with each answer encoded to JSON once per read. Reading the backend and
// decoding its rows costs a millisecond or more of CPU; serving a stored
// answer costs microseconds.
//
// Freshness rules (docs/high-availability.md, "How fresh API reads are"):
//
//   - A mutating request of this node makes the view stale at once (the
//     coalescer's generation): a client always reads its own changes.
//   - Otherwise the view is served while it is known to have been current
//     less than its minimum age ago: 10 × the duration of the read that
//     built it, at most maxViewAge. This bounds refresh work to about a
//     tenth of one core whatever the fleet size (a read of 10,000
//     instances takes ~100 ms).
//   - "Known current" starts when the view's read began, and moves forward
//     each time the backend's change mark (backend.ChangeWatch: SQLite's
//     data_version), asked once the minimum age has passed, shows no
//     commit by any connection or process since the view was read. The
//     mark is asked at most once per minimum age, by one caller at a time.
//     On MySQL the mark is unknown, so the view lives its minimum age only.
//   - Never once the view is maxViewAge old, changed or not: time-derived
//     fields (SecondsSinceLastSeen, IsUpToDate, downtime ends,
//     "not_recently_checked") must not freeze.
//   - Except on a large fleet: when the read that built the view took
//     slowRead or more (about 500 instances and up), a view that went
//     stale without a mutation of this node is served at once while one
//     read runs in the background, for at most maxViewAge plus twice that
//     read's duration. Readers never wait for a read they would only be
//     one read fresher for; a mutation of this node still makes the next
//     read wait for a view that shows it.
//
// So a commit made elsewhere (the poll loop, a CLI, another node) shows in
// every read that starts more than the minimum age after it — at most
// maxViewAge, about 10 ms for the sandbox's 4 instances. Callers that find
// the view stale share one refresh (the coalescer), never one begun before
// a mutation of this node.

// maxViewAge caps the minimum age of a view and is the oldest a view is
// ever served.
const maxViewAge = time.Second

// minAgeFactor: a view lives at least this many times its read's duration.
const minAgeFactor = 10

// slowRead is the read duration from which a stale view is served while
// the next one is read in the background.
const slowRead = 50 * time.Millisecond

// backgroundReadTimeout bounds a background read.
const backgroundReadTimeout = 30 * time.Second

// views holds the current view and builds the next one.
type views struct {
	deps      *Deps
	coalescer *coalescer
	factor    time.Duration // minAgeFactor; tests change it
	maxAge    time.Duration // maxViewAge; tests change it

	watchOnce  sync.Once
	watch      *backend.ChangeWatch
	cur        atomic.Pointer[view]
	refreshing atomic.Bool // a background read is running
}

func newViews(deps *Deps, c *coalescer) *views {
	return &views{deps: deps, coalescer: c, factor: minAgeFactor, maxAge: maxViewAge}
}

// view is one consistent read of every instance, with the answers encoded
// from it so far.
type view struct {
	gen     uint64    // coalescer generation when the read began
	mark    uint64    // backend change mark, read before the data
	marked  bool      // the mark is known
	taken   time.Time // when the read began
	readDur time.Duration
	minAge  time.Duration
	// current: how long after taken the view was last known current
	// (the start of the last mark check that found no commit).
	current atomic.Int64

	instances []*inst.Instance            // annotated, ordered as backend.ReadInstances
	clusters  map[string][]*inst.Instance // by cluster name, same order
	names     []string                    // sorted cluster names

	mu      sync.Mutex
	answers map[string]*answer
}

type answer struct {
	mu   sync.Mutex
	done bool
	body []byte
}

// current returns a view fresh enough to answer from (see the rules above).
func (v *views) current(ctx context.Context) (*view, error) {
	gen := v.coalescer.gen.Load()
	if cur := v.cur.Load(); cur != nil {
		if v.fresh(ctx, cur, gen) {
			return cur, nil
		}
		if v.servableStale(cur, gen) {
			v.readInBackground()
			return cur, nil
		}
	}
	return v.readShared(ctx)
}

// readShared reads a new view, shared by the callers arriving meanwhile.
func (v *views) readShared(ctx context.Context) (*view, error) {
	x, _, err := v.coalescer.do("\x00view", func() (any, string, error) {
		nv, err := v.read(ctx)
		return nv, "", err
	})
	if err != nil {
		return nil, err
	}
	return x.(*view), nil
}

// servableStale: a stale view of a large fleet, with no mutation of this
// node since, young enough to serve while the next one is read.
func (v *views) servableStale(cur *view, gen uint64) bool {
	return cur.gen == gen && cur.readDur >= slowRead && time.Since(cur.taken) < v.maxAge+2*cur.readDur
}

// readInBackground starts one background read unless one is running.
func (v *views) readInBackground() {
	if !v.refreshing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer v.refreshing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), backgroundReadTimeout)
		defer cancel()
		_, _ = v.readShared(ctx) // a failure leaves the view to go stale: the next reader reads itself
	}()
}

func (v *views) fresh(ctx context.Context, cur *view, gen uint64) bool {
	if cur.gen != gen {
		return false
	}
	age := time.Since(cur.taken)
	if age >= v.maxAge {
		return false
	}
	if age-time.Duration(cur.current.Load()) < cur.minAge {
		return true
	}
	if !cur.marked {
		return false
	}
	m := v.mark(ctx)
	if !m.ok || m.mark != cur.mark {
		return false
	}
	asked := int64(m.asked.Sub(cur.taken))
	for { // move "known current" forward, never back
		was := cur.current.Load()
		if asked <= was || cur.current.CompareAndSwap(was, asked) {
			return true
		}
	}
}

// changeMark is a backend change mark, whether it is known, and when it
// was asked.
type changeMark struct {
	mark  uint64
	ok    bool
	asked time.Time
}

// mark asks the backend's change mark; callers arriving while it is being
// asked share that answer (one statement, not one per request), as
// identical reads share one answer (coalescer).
func (v *views) mark(ctx context.Context) changeMark {
	x, _, _ := v.coalescer.do("\x00mark", func() (any, string, error) {
		asked := time.Now()
		m, ok := v.changeWatch().Mark(ctx)
		return changeMark{mark: m, ok: ok, asked: asked}, "", nil
	})
	return x.(changeMark)
}

func (v *views) changeWatch() *backend.ChangeWatch {
	v.watchOnce.Do(func() { v.watch = v.deps.Store.WatchChanges() })
	return v.watch
}

// read builds a view: the generation and the change mark first, then the
// data, so that anything committed after the mark makes the view stale.
func (v *views) read(ctx context.Context) (*view, error) {
	nv := &view{gen: v.coalescer.gen.Load(), taken: time.Now(), answers: map[string]*answer{}}
	nv.mark, nv.marked = v.changeWatch().Mark(ctx)
	list, err := v.deps.Reader.Instances(ctx, backend.InstanceFilter{})
	if err != nil {
		return nil, err
	}
	nv.instances = nonNil(list)
	nv.clusters, nv.names = map[string][]*inst.Instance{}, []string{}
	for _, i := range nv.instances {
		if _, ok := nv.clusters[i.ClusterName]; !ok {
			nv.names = append(nv.names, i.ClusterName)
		}
		nv.clusters[i.ClusterName] = append(nv.clusters[i.ClusterName], i)
	}
	slices.Sort(nv.names)
	nv.readDur = time.Since(nv.taken)
	nv.minAge = min(v.factor*nv.readDur, v.maxAge)
	v.publish(nv)
	return nv, nil
}

// publish makes nv current unless a view begun later is already there.
func (v *views) publish(nv *view) {
	for {
		cur := v.cur.Load()
		if cur != nil && (cur.gen > nv.gen || cur.taken.After(nv.taken)) {
			return
		}
		if v.cur.CompareAndSwap(cur, nv) {
			return
		}
	}
}

// resolve finds the cluster a hint names, as topology.Reader.ResolveCluster
// does: a cluster name, an alias, an instance key, or a hostname prefix
// unique to one cluster. ok is false when the view knows no such cluster
// (callers then ask the backend: the cluster may be newer than the view).
func (vw *view) resolve(hint string, defaultPort int) (name string, ok bool) {
	hint = strings.TrimSpace(hint)
	if hint == "" {
		return "", false
	}
	if _, ok := vw.clusters[hint]; ok {
		return hint, true
	}
	for _, n := range vw.names {
		if vw.clusters[n][0].ClusterAlias == hint {
			return n, true
		}
	}
	if key, err := inst.ParseInstanceKey(hint, defaultPort); err == nil {
		for _, i := range vw.instances {
			if i.Key == key {
				return i.ClusterName, true
			}
		}
	}
	var matches []string
	for _, i := range vw.instances {
		if strings.HasPrefix(i.Key.Hostname, hint) && !slices.Contains(matches, i.ClusterName) {
			matches = append(matches, i.ClusterName)
		}
	}
	if len(matches) == 1 {
		return matches[0], true
	}
	return "", false
}

// json returns the answer stored under key, encoding build's value on the
// first call; concurrent callers wait for that one encoding. A failed
// build is not stored.
func (vw *view) json(key string, build func() (any, error)) (Raw, error) {
	vw.mu.Lock()
	a, ok := vw.answers[key]
	if !ok {
		a = &answer{}
		vw.answers[key] = a
	}
	vw.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.done {
		value, err := build()
		if err != nil {
			return Raw{}, err
		}
		if a.body, err = json.Marshal(value); err != nil {
			return Raw{}, fmt.Errorf("encode %s: %w", key, err)
		}
		a.done = true
	}
	return Raw{ContentType: jsonContentType, Body: a.body}, nil
}

// jsonContentType is what render.JSON sets.
const jsonContentType = "application/json; charset=UTF-8"
