package recovery

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// TestForceMasterTakeoverOntoDesignated: with a healthy master, a forced
// takeover onto replica2 promotes it, moves replica1 (and so replica3
// through it) below it, sets the old master read-only and leaves it
// where it was; writes on the new master reach every moved replica.
// Naming a server that is not a direct replica is refused and changes
// nothing.
func TestForceMasterTakeoverOntoDesignated(t *testing.T) {
	f := setup(t, nil, nil)
	ctx := context.Background()

	_, err := f.rc.ForceMasterTakeover(ctx, f.master.String(), f.r3)
	require.ErrorIs(t, err, inst.ErrBadRequest, "replica3 replicates from replica1")
	require.Equal(t, f.master.Port, f.masterPortOf(t, f.r1), "a refusal changes nothing")
	require.Equal(t, f.master.Port, f.masterPortOf(t, f.r2))

	rec, err := f.rc.ForceMasterTakeover(ctx, f.master.String(), f.r2)
	require.NoError(t, err)
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.Equal(t, f.r2, *rec.SuccessorKey, "the designated replica: %v", rec.Decision)
	require.Equal(t, f.r2.Port, f.masterPortOf(t, f.r1), "replica1 moved below the new master")
	require.Equal(t, f.r1.Port, f.masterPortOf(t, f.r3), "replica3 stays below replica1")
	ro, err := f.sb.SQL(f.r2.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "0", strings.TrimSpace(ro), "the new master is writable")
	st, err := f.in.ReplicationStatus(ctx, f.r2)
	require.NoError(t, err)
	require.False(t, st.IsReplica && st.MasterKey == f.master && st.IOThread == inst.ThreadStateRunning,
		"the new master no longer replicates from the old one: %+v", st)
	ro, err = f.sb.SQL(f.master.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "1", strings.TrimSpace(ro), "the old master is set read-only")
	f.requireFlows(t, f.r2, f.r1, f.r3)
}

// TestDeadCoMasterPromotesOtherCoMaster: master and replica1 are
// co-masters (each replicates from the other); kill -9 of the master is a
// DeadCoMaster, and with CoMasterRecoveryMustPromoteOtherCoMaster the
// surviving co-master, replica1, takes the master's replicas.
func TestDeadCoMasterPromotesOtherCoMaster(t *testing.T) {
	f := setup(t, func(c *config.Config) { c.CoMasterRecoveryMustPromoteOtherCoMaster = true }, nil)
	ctx := context.Background()
	// The master replicates from replica1, by GTID, as make-co-master does.
	_, err := f.sb.SQL(f.master.Port, "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='"+f.sb.Host+"', MASTER_PORT="+
		strconv.Itoa(f.r1.Port)+", MASTER_USER='repl', MASTER_PASSWORD='repl_pass', MASTER_USE_GTID=slave_pos; START SLAVE")
	require.NoError(t, err)
	require.NoError(t, f.sb.WaitReplicating(ctx, f.master.Port))
	f.requireFlows(t, f.master, f.r1, f.r2, f.r3)
	f.requireFlows(t, f.r1, f.master)
	_, err = f.disc.DiscoverTopology(ctx, f.master)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		m, err := f.reader.Instance(ctx, f.master)
		return err == nil && m.IsCoMaster
	}, 10*time.Second, 100*time.Millisecond, "the master is seen as a co-master")
	f.runLoops(t)
	time.Sleep(1500 * time.Millisecond)

	require.NoError(t, f.sb.Kill(f.master.Port))
	rec := f.waitRecovery(t, f.master, 30*time.Second)
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.Equal(t, KindCoMaster, rec.Type, "analysis %s", rec.AnalysisEntry.Analysis)
	require.Equal(t, analysis.DeadCoMaster, rec.AnalysisEntry.Analysis)
	require.Equal(t, f.r1, *rec.SuccessorKey, "the other co-master: %v", rec.Decision)
	require.Equal(t, f.r1.Port, f.masterPortOf(t, f.r2), "replica2 moved below replica1")
	require.Equal(t, f.r1.Port, f.masterPortOf(t, f.r3), "replica3 stays below replica1")
	st, err := f.in.ReplicationStatus(ctx, f.r1)
	require.NoError(t, err)
	require.False(t, st.IsReplica && st.MasterKey == f.master && st.IOThread == inst.ThreadStateRunning,
		"the promoted co-master no longer replicates from the dead one: %+v", st)
	ro, err := f.sb.SQL(f.r1.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "0", strings.TrimSpace(ro), "the promoted co-master is writable")
	f.requireFlows(t, f.r1, f.r2, f.r3)
}

// TestSuccessorDowntimeEnded: a downtimed replica promoted by a takeover
// is downtimed no longer (a downtimed master's failures would be skipped),
// and the recovery says so.
func TestSuccessorDowntimeEnded(t *testing.T) {
	f := setup(t, nil, nil)
	ctx := context.Background()
	require.NoError(t, f.store.BeginDowntime(ctx, backend.Downtime{Key: f.r2, Owner: "ops", Reason: "reimage",
		BeginsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}))
	rec, err := f.rc.ForceMasterTakeover(ctx, f.master.String(), f.r2)
	require.NoError(t, err)
	require.Equal(t, f.r2, *rec.SuccessorKey)
	downtimes, err := f.store.ActiveDowntimes(ctx)
	require.NoError(t, err)
	require.NotContains(t, downtimes, f.r2, "the new master is not downtimed")
	stored, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{UID: rec.UID})
	require.NoError(t, err)
	require.Contains(t, strings.Join(stored[0].Decision, "\n"), "ended the downtime of the successor "+f.r2.String()+" (by ops: reimage")
}

// TestGracefulTakeoverBinlogPositions: every replica on binlog
// coordinates. The read-only master's replicas catch up with its last
// position, replica2 is promoted, and replica1 and the old master are
// pointed at replica2's binlog coordinates taken while it was stopped and
// read-only: a row written on the new master reaches all three, still
// by coordinates.
func TestGracefulTakeoverBinlogPositions(t *testing.T) {
	f := setup(t, func(c *config.Config) { c.ReplicationCredentialsQuery = "SELECT 'repl', 'repl_pass'" }, nil)
	ctx := context.Background()
	for _, k := range []inst.InstanceKey{f.r1, f.r2, f.r3} {
		_, err := f.sb.SQL(k.Port, "STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=no; START SLAVE")
		require.NoError(t, err)
		require.NoError(t, f.sb.WaitReplicating(ctx, k.Port))
		_, err = f.disc.Probe(ctx, k)
		require.NoError(t, err)
	}
	f.requireFlows(t, f.master, f.r1, f.r2, f.r3)
	rec, err := f.rc.GracefulMasterTakeover(ctx, f.master.String(), f.r2, true)
	require.NoError(t, err)
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	require.Equal(t, f.r2, *rec.SuccessorKey)
	require.Equal(t, f.r2.Port, f.masterPortOf(t, f.master), "the old master below the new one")
	require.Equal(t, f.r2.Port, f.masterPortOf(t, f.r1))
	require.Equal(t, f.r1.Port, f.masterPortOf(t, f.r3), "replica3 stays below replica1")
	ro, err := f.sb.SQL(f.r2.Port, "SELECT @@read_only")
	require.NoError(t, err)
	require.Equal(t, "0", strings.TrimSpace(ro))
	f.requireFlows(t, f.r2, f.master, f.r1, f.r3)
	for _, k := range []inst.InstanceKey{f.master, f.r1} {
		st, err := f.in.ReplicationStatus(ctx, k)
		require.NoError(t, err)
		require.False(t, st.UsingGTID(), "%s by binlog coordinates", k)
		require.Empty(t, st.LastSQLError, "%s", k)
	}
	require.Contains(t, strings.Join(rec.Decision, "\n"), "pointed the old master "+f.master.String()+" below "+f.r2.String()+" at ")
}
