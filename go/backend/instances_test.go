package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestWriteInstancesBatches writes more rows than one statement holds,
// with a key repeated (its last row wins), then updates them all.
func TestWriteInstancesBatches(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			n := instanceRowsPerStatement*2 + 7
			list := make([]*inst.Instance, 0, n+1)
			for k := 0; k < n; k++ {
				list = append(list, &inst.Instance{
					Key: inst.InstanceKey{Hostname: fmt.Sprintf("db%04d", k), Port: 3306}, ServerID: uint(k + 1),
					ClusterName: "db0000:3306", LastChecked: time.Now(), Version: "8.4.2",
				})
			}
			dup := *list[3]
			dup.ServerID = 9999
			list = append(list, &dup)
			require.NoError(t, s.WriteInstances(ctx, list))
			got, err := s.ReadInstances(ctx, InstanceFilter{ClusterName: "db0000:3306"})
			require.NoError(t, err)
			require.Len(t, got, n)
			one, err := s.ReadInstance(ctx, list[3].Key)
			require.NoError(t, err)
			require.Equal(t, uint(9999), one.ServerID)

			for _, i := range list {
				i.ReadOnly = true
			}
			require.NoError(t, s.WriteInstances(ctx, list[:n]))
			last, err := s.ReadInstance(ctx, list[n-1].Key)
			require.NoError(t, err)
			require.True(t, last.ReadOnly)
			require.Equal(t, uint(n), last.ServerID)
		})
	}
}

// TestWriteInstancesConcurrentBatches writes batches from four writers at
// once, as the poll loop's sharded writer does on MySQL: all of them must
// be stored (on SQLite they take turns, on MySQL they run side by side),
// and the callers' slices keep their order.
func TestWriteInstancesConcurrentBatches(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			fleet := benchFleet(400)
			errs := make(chan error, 4)
			for w := 0; w < 4; w++ {
				part := fleet[w*100 : (w+1)*100]
				slices.Reverse(part)
				go func() {
					for round := 0; round < 3; round++ {
						if err := s.WriteInstances(ctx, part); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for w := 0; w < 4; w++ {
				require.NoError(t, <-errs)
			}
			require.Equal(t, "127.1.0.100", fleet[0].Key.Hostname, "the caller's order is kept")
			keys, err := s.InstanceKeys(ctx)
			require.NoError(t, err)
			require.Len(t, keys, 400)
		})
	}
}

// TestIsDeadlock: only MySQL's deadlock error (wrapped or not) makes a
// batch of probe results run again.
func TestIsDeadlock(t *testing.T) {
	require.True(t, isDeadlock(fmt.Errorf("write 200 instances: %w", &mysql.MySQLError{Number: 1213, Message: "Deadlock found"})))
	require.False(t, isDeadlock(&mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}))
	require.False(t, isDeadlock(errors.New("deadlock")))
	require.False(t, isDeadlock(nil))
}
