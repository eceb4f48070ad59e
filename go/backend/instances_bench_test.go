package backend

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// BenchmarkWriteInstances stores batches of 500 poll results (replicas
// with GTID sets, as the poll loop writes them) into a table of 10,000
// instances, on both backends, from 1 writer and from 4 writers at once
// (on disjoint keys, as the poll loop's sharded writer does):
//
//	go test ./go/backend -run '^$' -bench WriteInstances -benchtime 40x
func BenchmarkWriteInstances(b *testing.B) {
	const fleet, batch = 10000, 500
	for name, cfg := range dialects(b) {
		for _, writers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/writers=%d", name, writers), func(b *testing.B) {
				ctx := context.Background()
				s := open(b, cfg)
				if q := os.Getenv("BENCH_BACKEND_SQL"); q != "" && name == "mysql" {
					_, err := s.DB().Exec(q)
					require.NoError(b, err)
				}
				list := benchFleet(fleet)
				for k := 0; k < fleet; k += batch {
					require.NoError(b, s.WriteInstances(ctx, list[k:k+batch]))
				}
				b.ResetTimer()
				var wg sync.WaitGroup
				errs := make([]error, writers)
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						part := list[w*fleet/writers : (w+1)*fleet/writers]
						for n := w; n < b.N; n += writers {
							k := (n / writers * batch) % (len(part) - batch + 1)
							now := time.Now()
							for _, i := range part[k : k+batch] {
								i.LastChecked, i.LastSeen, i.LastAttemptedCheck = now, now, now
								i.SelfBinlogCoordinates.LogPos += 100
							}
							if err := s.WriteInstances(ctx, part[k:k+batch]); err != nil {
								errs[w] = err
								return
							}
						}
					}()
				}
				wg.Wait()
				for _, err := range errs {
					require.NoError(b, err)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/row")
			})
		}
	}
}

func benchFleet(n int) []*inst.Instance {
	out := make([]*inst.Instance, n)
	for k := range out {
		master := inst.InstanceKey{Hostname: fmt.Sprintf("127.0.%d.%d", k/13/250, k/13%250+1), Port: 3306}
		out[k] = &inst.Instance{
			Key: inst.InstanceKey{Hostname: fmt.Sprintf("127.1.%d.%d", k/250, k%250+1), Port: 3306}, ServerID: uint(k + 1),
			Version: "8.0.36", VersionComment: "MySQL Community Server - GPL", FlavorName: "MySQL", ReadOnly: true,
			Binlog_format: "ROW", BinlogRowImage: "FULL", LogBinEnabled: true, LogReplicationUpdatesEnabled: true,
			SelfBinlogCoordinates: inst.BinlogCoordinates{LogFile: "binlog.000012", LogPos: 4711},
			MasterKey:             master, MasterUUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562",
			ReplicationSQLThreadState: inst.ThreadStateRunning, ReplicationIOThreadState: inst.ThreadStateRunning,
			SupportsOracleGTID: true, UsingOracleGTID: true, GTIDMode: "ON",
			ExecutedGtidSet:       "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-48213",
			ReadBinlogCoordinates: inst.BinlogCoordinates{LogFile: "binlog.000012", LogPos: 4711},
			ExecBinlogCoordinates: inst.BinlogCoordinates{LogFile: "binlog.000012", LogPos: 4711},
			RelaylogCoordinates:   inst.BinlogCoordinates{LogFile: "relay.000003", LogPos: 912},
			ClusterName:           master.String(), ReplicationDepth: 1, Uptime: 86400, DataCenter: "dc1",
			Replicas: []inst.InstanceKey{{Hostname: "127.2.0.1", Port: 3306}, {Hostname: "127.2.0.2", Port: 3306}},
		}
	}
	return out
}
