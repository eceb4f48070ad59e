package discovery

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPollingFindsErrantGTID: a local write on replica3 (depth 2) is
// reported as its errant GTID by polling, and nobody else's; a replica
// that has received more of the master's writes than the master's last
// probe showed is not errant.
func TestPollingFindsErrantGTID(t *testing.T) {
	r := newRig(t, nil)
	t.Cleanup(func() { _ = r.sb.Reset(context.Background()) })
	ctx := context.Background()
	master, r1, r3 := r.key(r.sb.MasterPort), r.key(r.sb.Replica1Port), r.key(r.sb.Replica3Port)
	_, err := r.d.DiscoverTopology(ctx, master)
	require.NoError(t, err)
	list, err := r.reader.Cluster(ctx, master.String())
	require.NoError(t, err)
	for _, i := range list {
		require.Empty(t, i.GtidErrant, "%s before any local write", i.Key)
	}

	// The master moves on after its probe; replica1 receives it.
	_, err = r.sb.SQL(r.sb.MasterPort, "CREATE DATABASE IF NOT EXISTS errant_moves_on; DROP DATABASE errant_moves_on")
	require.NoError(t, err)
	want, err := r.sb.SQL(r.sb.MasterPort, "SELECT @@gtid_binlog_pos")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := r.sb.SQL(r.sb.Replica1Port, "SELECT @@gtid_slave_pos")
		return err == nil && got == want
	}, 10*time.Second, 50*time.Millisecond)
	i, err := r.d.Probe(ctx, r1)
	require.NoError(t, err)
	require.Empty(t, i.GtidErrant, "ahead of a stale master probe is not errant")

	// A local write on replica3.
	_, err = r.sb.SQL(r.sb.Replica3Port, "CREATE DATABASE errant_local; DROP DATABASE errant_local")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = r.sb.SQL(r.sb.Replica3Port, "RESET MASTER") })
	id, err := r.sb.SQL(r.sb.Replica3Port, "SELECT @@server_id")
	require.NoError(t, err)
	i, err = r.d.Probe(ctx, r3)
	require.NoError(t, err)
	require.Contains(t, i.GtidErrant, "-"+strings.TrimSpace(id)+"-", "replica3's own server id")
	stored, err := r.reader.Instance(ctx, r3)
	require.NoError(t, err)
	require.Equal(t, i.GtidErrant, stored.GtidErrant, "stored")
	require.Contains(t, strings.Join(stored.Problems, ","), "errant_gtid")
	_, err = strconv.Atoi(strings.TrimSpace(id))
	require.NoError(t, err)
}
