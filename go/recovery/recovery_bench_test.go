package recovery

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// BenchmarkKillMasterFailover measures kill -9 of the sandbox master →
// detection (a failure-detection row) → promotion (a replica writable with
// no master) → topology converged on MariaDB (the other direct replica
// replicates from the new master) → API converged (the backend, which the
// API reads, shows the new master heading the cluster). A random delay
// before each kill lands it anywhere in the poll cycle. The poll interval
// comes from BENCH_POLL_SECONDS (default 5). Run by script/bench-failover.
func BenchmarkKillMasterFailover(b *testing.B) {
	poll := uint(5)
	if v, err := strconv.Atoi(os.Getenv("BENCH_POLL_SECONDS")); err == nil && v > 0 {
		poll = uint(v)
	}
	var detect, promote, converge, api []float64
	for n := 0; n < b.N; n++ {
		f := setupBench(b, poll)
		d, p, c, a := f.measureFailover(b, poll)
		detect, promote, converge, api = append(detect, d), append(promote, p), append(converge, c), append(api, a)
		f.stop()
	}
	b.ReportMetric(median(detect), "s-detect")
	b.ReportMetric(median(promote), "s-promote")
	b.ReportMetric(median(converge), "s-topology")
	b.ReportMetric(median(api), "s-api")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchFixture is a fixture whose loops the benchmark stops itself.
type benchFixture struct {
	*fixture
	stop func()
}

func setupBench(b *testing.B, poll uint) *benchFixture {
	b.Helper()
	var cleanups []func()
	f := setupWith(b, func(c *config.Config) { c.InstancePollSeconds = poll }, nil, func(fn func()) { cleanups = append(cleanups, fn) })
	ctx, cancel := context.WithCancel(context.Background())
	f.disc.OnProblem(f.rc.Trigger)
	done := make(chan struct{}, 2)
	go func() { f.disc.Run(ctx); done <- struct{}{} }()
	go func() { f.rc.Run(ctx, alwaysLeader); done <- struct{}{} }()
	return &benchFixture{fixture: f, stop: func() {
		cancel()
		<-done
		<-done
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}}
}

// measureFailover kills the master and returns the seconds to each stage.
func (f *benchFixture) measureFailover(b *testing.B, poll uint) (detect, promote, converge, api float64) {
	b.Helper()
	ctx := context.Background()
	time.Sleep(time.Duration(poll)*time.Second + time.Duration(rand.Int64N(int64(time.Duration(poll)*time.Second))))
	dbs := map[int]*sql.DB{}
	for _, k := range []inst.InstanceKey{f.r1, f.r2} {
		db, err := f.sb.DB(k.Port)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		dbs[k.Port] = db
	}
	start := time.Now()
	if err := f.sb.Kill(f.master.Port); err != nil {
		b.Fatal(err)
	}
	since := func() float64 { return time.Since(start).Seconds() }
	var newMaster inst.InstanceKey
	deadline := start.Add(60 * time.Second)
	for (detect == 0 || promote == 0 || converge == 0 || api == 0) && time.Now().Before(deadline) {
		if detect == 0 {
			if d, err := f.store.ReadDetections(ctx, 0, 0, ""); err == nil && len(d) > 0 {
				detect = since()
			}
		}
		if promote == 0 {
			for port, db := range dbs {
				var ro int
				if db.QueryRowContext(ctx, "SELECT @@read_only").Scan(&ro) == nil && ro == 0 {
					promote, newMaster = since(), inst.InstanceKey{Hostname: f.sb.Host, Port: port}
				}
			}
		}
		if promote != 0 && converge == 0 {
			other := f.r1
			if newMaster == f.r1 {
				other = f.r2
			}
			if st, err := f.in.ReplicationStatus(ctx, other); err == nil && st.MasterKey == newMaster && st.IOThread == inst.ThreadStateRunning {
				converge = since()
			}
		}
		if promote != 0 && api == 0 {
			list, err := f.reader.Instances(ctx, backend.InstanceFilter{ClusterName: newMaster.String()})
			if err == nil && len(list) == 3 {
				api = since()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if api == 0 {
		b.Fatalf("no convergence within 60s: detect %.2f promote %.2f topology %.2f", detect, promote, converge)
	}
	b.Logf("poll %ds: detect %.2fs promote %.2fs topology %.2fs api %.2fs", poll, detect, promote, converge, api)
	return detect, promote, converge, api
}
