package topology

import (
	"context"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// The steps every move shares: stop the replica (and read where it
// stopped), point it at its new master, start what the move stopped, wait
// until it replicates.

// stopAndRead stops replication on key and returns its state after.
func (o *Operator) stopAndRead(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	if err := o.ap.StopReplication(ctx, key); err != nil {
		return nil, err
	}
	return o.fresh(ctx, key)
}

// redirect points the stopped replica key at master (at coords when
// given, else by mode), starts the servers in alsoStart that an alignment
// stopped, then key, and waits until key replicates.
func (o *Operator) redirect(ctx context.Context, key, master inst.InstanceKey, coords *inst.BinlogCoordinates,
	mode mysql.GTIDMode, alsoStart ...inst.InstanceKey) error {
	if err := o.ap.ChangeMaster(ctx, key, mysql.ChangeMasterSpec{Master: master, Coordinates: coords, GTID: mode}); err != nil {
		return err
	}
	for _, k := range append(alsoStart, key) {
		if err := o.ap.StartReplication(ctx, k); err != nil {
			return err
		}
	}
	return o.waitReplicating(ctx, key)
}
