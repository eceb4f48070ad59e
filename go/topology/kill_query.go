package topology

import (
	"context"
	"fmt"

	"orchestrator/go/inst"
)

// KillQuery kills the statement a connection of key is running
// (KILL QUERY id), and audits it.
func (o *Operator) KillQuery(ctx context.Context, key inst.InstanceKey, id int64) error {
	i, err := o.known(ctx, key)
	if err != nil {
		return err
	}
	err = o.ap.KillQuery(ctx, key, id)
	o.audit(ctx, "kill-query", key, i.ClusterName, fmt.Sprintf("killed the query of connection %d", id), err)
	return err
}

// EndMaintenanceByID ends one maintenance lock by its id.
func (o *Operator) EndMaintenanceByID(ctx context.Context, id int64) error {
	if id <= 0 {
		return fmt.Errorf("%w: maintenance key must be a positive number", inst.ErrBadRequest)
	}
	return o.store.EndMaintenanceByID(ctx, id)
}
