package hatest

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkTakeover measures the time from killing (SIGKILL) or stopping
// (SIGTERM) the leader of three service nodes until another node answers
// 200 on /api/leader-check. It reports the median over b.N runs
// (script/bench-ha runs it with -benchtime=3x).
func BenchmarkTakeover(b *testing.B) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		name := map[syscall.Signal]string{syscall.SIGKILL: "kill-9", syscall.SIGTERM: "sigterm"}[sig]
		b.Run(name, func(b *testing.B) {
			c := newCluster(b, 3)
			leader := c.waitLeader(20*time.Second, nil)
			var took []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				old := leader
				t0 := time.Now()
				c.signal(old, sig)
				for {
					if l := c.httpLeaders(); len(l) == 1 && l[0] != old {
						took = append(took, time.Since(t0))
						break
					}
					if time.Since(t0) > 3*expire {
						b.Fatalf("no takeover within %v", 3*expire)
					}
					time.Sleep(10 * time.Millisecond)
				}
				b.StopTimer()
				<-old.exited
				c.start(old)
				c.waitUp(old)
				leader = c.waitLeader(20*time.Second, nil)
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(took[len(took)/2].Seconds(), "median-takeover-s")
			b.ReportMetric(took[len(took)-1].Seconds(), "max-takeover-s")
			b.Logf("%s: takeover times %v", name, took)
		})
	}
}
