package recovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func mariadbAt(host string, pos string) *inst.Instance {
	return &inst.Instance{Key: inst.InstanceKey{Hostname: host, Port: 3306}, FlavorName: inst.FlavorMariaDB,
		MariaDBGtidCurrentPos: pos, ReplicationIOThreadState: inst.ThreadStateNoThread, ReplicationSQLThreadState: inst.ThreadStateNoThread}
}

// TestCheckFailedMasterCountsAgainstThePromotedPosition: the new master
// has written on since the promotion (higher sequence numbers in the same
// domain); what the failed master had beyond the promoted position is
// still reported lost.
func TestCheckFailedMasterCountsAgainstThePromotedPosition(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, failed, promotedAt, newMasterNow, lost string
		count                                        int64
	}{
		{"three lost, new master wrote on", "0-1-100", "0-1-97", "0-2-250", "0-1-100", 3},
		{"nothing lost", "0-1-97", "0-1-97", "0-2-250", "", 0},
		{"lost in a second domain only", "0-1-97,1-1-12", "0-1-97,1-1-10", "0-2-98,1-2-40", "1-1-12", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep := &DataSafetyReport{Method: "GTID", PromotedPosition: c.promotedAt}
			rep.checkFailedMaster(mariadbAt("old", c.failed), mariadbAt("new", c.newMasterNow), time.Now())
			require.True(t, rep.FailedMasterChecked)
			require.Equal(t, c.failed, rep.FailedMasterPosition)
			require.Equal(t, c.lost, rep.LostTransactions)
			require.Equal(t, c.count, rep.LostTransactionCount)
		})
	}
}

// TestCheckFailedMasterOracle: transactions the failed master had that the
// promoted one had not are listed and counted.
func TestCheckFailedMasterOracle(t *testing.T) {
	t.Parallel()
	u1, u2 := "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
	failed := &inst.Instance{Key: inst.InstanceKey{Hostname: "old", Port: 3306}, ExecutedGtidSet: u1 + ":1-10"}
	newMaster := &inst.Instance{Key: inst.InstanceKey{Hostname: "new", Port: 3306}, ExecutedGtidSet: u1 + ":1-8," + u2 + ":1-5"}
	rep := &DataSafetyReport{Method: "GTID", PromotedPosition: u1 + ":1-8"}
	rep.checkFailedMaster(failed, newMaster, time.Now())
	require.Equal(t, u1+":9-10", rep.LostTransactions)
	require.EqualValues(t, 2, rep.LostTransactionCount)
}

// TestRejoined: a failed master put back into replication (or whose
// successor replicates again) is left alone.
func TestRejoined(t *testing.T) {
	t.Parallel()
	alone, promoted := mariadbAt("old", "0-1-5"), mariadbAt("new", "0-1-5")
	require.Empty(t, rejoined(alone, promoted), "a failed master standing alone is compared and set read-only")

	withReplicas := mariadbAt("old", "0-1-5")
	withReplicas.Replicas = []inst.InstanceKey{{Hostname: "new", Port: 3306}}
	require.Contains(t, rejoined(withReplicas, promoted), "has replicas again")

	replicating := mariadbAt("old", "0-1-5")
	replicating.MasterKey, replicating.UsingMariaDBGTID = promoted.Key, true
	replicating.ReplicationIOThreadState, replicating.ReplicationSQLThreadState = inst.ThreadStateRunning, inst.ThreadStateRunning
	require.Contains(t, rejoined(replicating, promoted), "replicates from new:3306 again")

	back := mariadbAt("new", "0-1-5")
	back.MasterKey, back.UsingMariaDBGTID = alone.Key, true
	back.ReplicationIOThreadState, back.ReplicationSQLThreadState = inst.ThreadStateRunning, inst.ThreadStateRunning
	require.Contains(t, rejoined(alone, back), "the promoted new:3306 replicates from old:3306 again")

	rep := &DataSafetyReport{Method: "GTID", PromotedPosition: "0-1-5"}
	rep.noteRejoined(withReplicas, rejoined(withReplicas, promoted), time.Now())
	require.True(t, rep.FailedMasterChecked)
	require.False(t, rep.FailedMasterSetReadOnly)
	require.EqualValues(t, -1, rep.LostTransactionCount)
	require.Contains(t, rep.FailedMasterReadOnlyNote, "left as it is")
}
