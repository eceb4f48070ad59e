package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSleepHoldsAndKillBreaksIt holds a simulated master with SELECT
// SLEEP through the Inspector's watch: the sleep lasts its time, and
// killing the server resets the held connection at once, as the death of a
// real server process does.
func TestSleepHoldsAndKillBreaksIt(t *testing.T) {
	s, in, _ := start(t, Spec{Clusters: 1, Depth: 1, FanOut: 1})
	ctx := context.Background()
	master := key(t, s.Fleet().Masters()[0])

	started := time.Now()
	require.NoError(t, in.Hold(ctx, master, time.Second))
	require.GreaterOrEqual(t, time.Since(started), time.Second)

	held := make(chan error, 1)
	started = time.Now()
	go func() { held <- in.Hold(ctx, master, 20*time.Second) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-held:
		t.Fatalf("the watch ended before the kill: %v", err)
	default:
	}
	require.NoError(t, s.Fleet().Apply(master.String(), FaultKill, 0))
	select {
	case err := <-held:
		require.Error(t, err)
		require.Less(t, time.Since(started), 3*time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("the held connection outlived the kill")
	}
	require.Error(t, in.Hold(ctx, master, time.Second), "a killed server refuses new connections")
}

func TestSleepSeconds(t *testing.T) {
	d, ok := sleepSeconds("select sleep( 9.5 )")
	require.True(t, ok)
	require.Equal(t, 9500*time.Millisecond, d)
	_, ok = sleepSeconds("SELECT SLEEP(x)")
	require.False(t, ok)
}
