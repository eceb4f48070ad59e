package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"orchestrator/go/inst"
)

// SetReadOnly sets @@read_only. With UseSuperReadOnly on a server that has
// @@super_read_only (Oracle 5.7.8+, Percona 5.6.21+; not MariaDB), that is
// set too: on when making read-only (it implies read_only), off first when
// making writable.
func (a *Applier) SetReadOnly(ctx context.Context, key inst.InstanceKey, readOnly bool) error {
	const kind = "set read_only"
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	value := boolValue(readOnly)
	stmts := []statement{{kind: kind, text: "SET GLOBAL read_only = " + value}}
	if a.cfg.UseSuperReadOnly && t.hasSuperReadOnly() {
		super := statement{kind: "set super_read_only", text: "SET GLOBAL super_read_only = " + value}
		if readOnly {
			stmts = append(stmts, super)
		} else {
			stmts = append([]statement{super}, stmts...)
		}
	}
	for _, st := range stmts {
		if err := a.exec(ctx, key, st); err != nil {
			return err
		}
	}
	return nil
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// SetSemiSyncMaster enables or disables semi-synchronous replication on a
// master (rpl_semi_sync_master_enabled or rpl_semi_sync_source_enabled,
// whichever the server has).
func (a *Applier) SetSemiSyncMaster(ctx context.Context, key inst.InstanceKey, enabled bool) error {
	return a.setSemiSync(ctx, key, "rpl_semi_sync_master_enabled", enabled)
}

// SetSemiSyncReplica enables or disables semi-synchronous replication on a
// replica, then restarts its IO thread if it runs, so the change takes
// effect on the replication connection.
func (a *Applier) SetSemiSyncReplica(ctx context.Context, key inst.InstanceKey, enabled bool) error {
	if err := a.setSemiSync(ctx, key, "rpl_semi_sync_slave_enabled", enabled); err != nil {
		return err
	}
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil || st.IOThread != inst.ThreadStateRunning {
		return err
	}
	if err := a.StopIOThread(ctx, key); err != nil {
		return err
	}
	return a.StartIOThread(ctx, key)
}

// setSemiSync sets the variable named in the old spelling, or in the new
// one (rpl_semi_sync_source_*/replica_*) when that is what the server has.
func (a *Applier) setSemiSync(ctx context.Context, key inst.InstanceKey, oldName string, enabled bool) error {
	kind := "set " + oldName
	name, err := a.variableName(ctx, key, oldName)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return a.exec(ctx, key, statement{kind: kind, text: "SET GLOBAL " + name + " = " + boolValue(enabled)})
}

// variableName returns oldName, or its new spelling if only that exists;
// ErrUnsupported when neither does (plugin not loaded).
func (a *Applier) variableName(ctx context.Context, key inst.InstanceKey, oldName string) (string, error) {
	db, err := a.c.DB(key)
	if err != nil {
		return "", err
	}
	newName := newSpelling.Replace(oldName)
	var found sql.NullString
	err = db.QueryRowContext(ctx, "SELECT VARIABLE_NAME FROM "+a.variablesTable(ctx, key)+
		" WHERE VARIABLE_NAME IN (?, ?) ORDER BY VARIABLE_NAME = ? DESC LIMIT 1", oldName, newName, oldName).Scan(&found)
	switch {
	case err == sql.ErrNoRows:
		return "", fmt.Errorf("%w: no variable %s or %s (semi-sync plugin not loaded?)", ErrUnsupported, oldName, newName)
	case err != nil:
		return "", a.c.Redact(err)
	case strings.EqualFold(found.String, newName) && newName != oldName:
		return newName, nil
	}
	return oldName, nil
}

func (a *Applier) variablesTable(ctx context.Context, key inst.InstanceKey) string {
	if t, err := a.in.Terminology(ctx, key); err == nil && t.perfSchemaVariables() {
		return "performance_schema.global_variables"
	}
	return "information_schema.GLOBAL_VARIABLES"
}
