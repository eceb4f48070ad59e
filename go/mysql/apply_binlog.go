package mysql

import (
	"context"
	"fmt"

	"orchestrator/go/inst"
)

// FlushBinaryLogs closes the current binary log and opens the next.
func (a *Applier) FlushBinaryLogs(ctx context.Context, key inst.InstanceKey) error {
	return a.exec(ctx, key, statement{kind: "flush binary logs", text: "FLUSH BINARY LOGS"})
}

// PurgeBinaryLogsTo deletes the binary logs before file.
func (a *Applier) PurgeBinaryLogsTo(ctx context.Context, key inst.InstanceKey, file string) error {
	const kind = "purge binary logs"
	if file == "" {
		return fmt.Errorf("%w: %s on %s: empty binary log name", inst.ErrBadRequest, kind, key)
	}
	return a.exec(ctx, key, statement{kind: kind, text: "PURGE BINARY LOGS TO ?", args: []any{file}})
}
