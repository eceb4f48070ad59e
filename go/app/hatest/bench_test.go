package hatest

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"orchestrator/go/testutil/service"
)

// BenchmarkTakeover measures the time from killing (SIGKILL) or stopping
// (SIGTERM) the leader of three service nodes until another node answers
// 200 on /api/leader-check. It reports the median over b.N runs
// (script/bench-ha runs it with -benchtime=3x).
func BenchmarkTakeover(b *testing.B) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		name := map[syscall.Signal]string{syscall.SIGKILL: "kill-9", syscall.SIGTERM: "sigterm"}[sig]
		b.Run(name, func(b *testing.B) {
			c := service.New(b, binary, 3, nil)
			leader := c.WaitLeader(20*time.Second, nil)
			var took []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				old := leader
				t0 := time.Now()
				old.Signal(b, sig)
				for {
					if l := c.HTTPLeaders(); len(l) == 1 && l[0] != old {
						took = append(took, time.Since(t0))
						break
					}
					if time.Since(t0) > 3*service.Expire {
						b.Fatalf("no takeover within %v", 3*service.Expire)
					}
					time.Sleep(10 * time.Millisecond)
				}
				b.StopTimer()
				_ = old.Wait()
				c.Start(old)
				c.WaitUp(old)
				leader = c.WaitLeader(20*time.Second, nil)
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(took[len(took)/2].Seconds(), "median-takeover-s")
			b.ReportMetric(took[len(took)-1].Seconds(), "max-takeover-s")
			b.Logf("%s: takeover times %v", name, took)
		})
	}
}
