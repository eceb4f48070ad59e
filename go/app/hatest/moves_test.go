package hatest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/testutil/sandbox"
	"orchestrator/go/testutil/service"
)

// TestConcurrentMoveBelowFromAPIAndCLIs: four CLI processes and four API
// requests move replica2 below replica1 at once. Exactly one succeeds;
// each other one fails cleanly, either on the maintenance lock the winner
// holds (naming its owner and reason) or, arriving after it, because
// replica2 is no longer replica1's sibling. replica2 ends below replica1,
// replicating.
func TestConcurrentMoveBelowFromAPIAndCLIs(t *testing.T) {
	sb := sandbox.Current()
	require.NoError(t, sb.Reset(context.Background()))
	t.Cleanup(func() { require.NoError(t, sb.Reset(context.Background())) })
	c := service.New(t, binary, 1, nil)
	r1, r2 := sb.Addr(sb.Replica1Port), sb.Addr(sb.Replica2Port)
	c.Eventually(30*time.Second, "the topology discovered", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, _, err := c.CLI(ctx, "-c", "which-cluster-instances", "-i", r2)
		return err == nil && len(strings.Fields(out)) == 4
	})

	const each = 4
	results := make([]string, 2*each) // "" on success, else the reason
	start := make(chan struct{})
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := 0; i < each; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			<-start
			_, stderr, err := c.CLI(ctx, "-c", "move-below", "-i", r2, "-d", r1)
			if err != nil {
				results[i] = "cli: " + strings.TrimSpace(stderr)
			}
		}(i)
		go func(i int) {
			defer wg.Done()
			<-start
			results[each+i] = apiMove(ctx, c.Nodes[0].URL()+"/api/move-below/"+strings.Replace(r2, ":", "/", 1)+"/"+strings.Replace(r1, ":", "/", 1))
		}(i)
	}
	close(start)
	wg.Wait()
	require.NoError(t, ctx.Err(), "the moves did not finish")
	won, locked := 0, 0
	for _, res := range results {
		if res == "" {
			won++
			continue
		}
		onLock := strings.Contains(res, "instance is under maintenance by orchestrator: move-below")
		after := strings.Contains(res, "are not siblings")
		require.True(t, onLock || after, "a clean refusal: %s", res)
		if onLock {
			locked++
		}
	}
	require.Equal(t, 1, won, "exactly one move succeeds: %q", results)
	t.Logf("%d refused on the winner's lock, %d after it had moved replica2", locked, 2*each-1-locked)

	db, err := sb.DB(sb.Replica2Port)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, sb.WaitReplicating(context.Background(), sb.Replica2Port), "replica2 replicates")
	st, err := sandbox.SlaveStatus(context.Background(), db)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(sb.Replica1Port), st["Master_Port"], "replica2 is below replica1")
}

// apiMove calls a move endpoint and returns "" on success, else the
// status and message.
func apiMove(ctx context.Context, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct{ Code, Message string }
	_ = json.Unmarshal(body, &env)
	if resp.StatusCode == http.StatusOK && env.Code == "OK" {
		return ""
	}
	return fmt.Sprintf("api %d: %s", resp.StatusCode, env.Message)
}
