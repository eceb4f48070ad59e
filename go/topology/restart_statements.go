package topology

import (
	"context"
	"fmt"
	"strings"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// RestartReplicaStatements returns, without running anything, the
// statements that run query on key with replication stopped and then
// restart exactly the threads that run now.
func (o *Operator) RestartReplicaStatements(ctx context.Context, key inst.InstanceKey, query string) ([]string, error) {
	const name = "restart-replica-statements"
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("%s %s: %w", name, key, badRequest("a statement is required"))
	}
	if _, err := o.known(ctx, key); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	t, err := o.in.Terminology(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	st, err := o.in.ReplicationStatus(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	if !st.IsReplica {
		return nil, fmt.Errorf("%s %s: %w", name, key, refused("%s is not a replica", key))
	}
	return restartStatements(t, st.IOThread == inst.ThreadStateRunning, st.SQLThread == inst.ThreadStateRunning, query), nil
}

// restartStatements wraps query in a stop and a start of the threads
// that were running.
func restartStatements(t mysql.Terminology, io, sql bool, query string) []string {
	out := []string{t.StopReplica, query}
	switch {
	case io && sql:
		out = append(out, t.StartReplica)
	case io:
		out = append(out, t.StartIOThread)
	case sql:
		out = append(out, t.StartSQLThread)
	}
	return out
}
