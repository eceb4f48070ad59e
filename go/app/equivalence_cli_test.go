package app

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
)

// TestCLIMoveEquivalent: replica2, replicating by binlog coordinates, is
// moved below replica1 and back below the master by the equivalence the
// first move recorded; without one, or by GTID, it is refused.
func TestCLIMoveEquivalent(t *testing.T) {
	c := newCLISandbox(t)
	sb := sandbox.Current()
	_, err := sb.SQL(c.r2Key.Port, "STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=no; START SLAVE")
	require.NoError(t, err)
	require.NoError(t, sb.WaitReplicating(context.Background(), c.r2Key.Port))

	require.Equal(t, []string{c.r2 + "<" + c.r1}, c.ok(t, "move-below", "-i", c.r2, "-d", c.r1))
	require.Equal(t, []string{c.r2 + "<" + c.master}, c.ok(t, "move-equivalent", "-i", c.r2, "-d", c.master))
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r2Key))

	c.fails(t, "no recorded equivalence of "+c.master, "move-equivalent", "-i", c.r2, "-d", c.r3)
	require.Equal(t, c.masterKey.Port, c.masterPort(t, c.r2Key), "nothing moved")
	c.fails(t, "replicates by GTID", "move-equivalent", "-i", c.r3, "-d", c.r2)
	c.fails(t, "needs -d", "move-equivalent", "-i", c.r2)
}
