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

// to is the CHANGE MASTER to a new master, at coords when given, else by
// mode; the replication credentials stay as they are.
func to(master inst.InstanceKey, coords *inst.BinlogCoordinates, mode mysql.GTIDMode) mysql.ChangeMasterSpec {
	return mysql.ChangeMasterSpec{Master: master, Coordinates: coords, GTID: mode}
}

// redirect points the stopped replica key as spec says, starts the
// servers in alsoStart that an alignment stopped, then key, and waits
// until key replicates. A move by binlog coordinates that succeeds
// records the position equivalence it relied on.
func (o *Operator) redirect(ctx context.Context, key inst.InstanceKey, spec mysql.ChangeMasterSpec, alsoStart ...inst.InstanceKey) error {
	from := o.positionBefore(ctx, key, spec)
	if err := o.ap.ChangeMaster(ctx, key, spec); err != nil {
		return err
	}
	for _, k := range append(alsoStart, key) {
		if err := o.ap.StartReplication(ctx, k); err != nil {
			return err
		}
	}
	if err := o.waitReplicating(ctx, key); err != nil {
		return err
	}
	o.recordEquivalence(ctx, from, spec)
	return nil
}

// withCredentials adds a replication user to spec when server has none
// configured (it never replicated, like a master becoming a co-master):
// ReplicationCredentialsQuery, run on the new master, names it.
func (o *Operator) withCredentials(ctx context.Context, server *inst.Instance, spec mysql.ChangeMasterSpec) (mysql.ChangeMasterSpec, error) {
	if server.HasReplicationCredentials {
		return spec, nil
	}
	user, password, err := o.in.ReadReplicationCredentials(ctx, spec.Master)
	if err != nil {
		return spec, refused("%s has no replication user configured and none could be read (%v): set ReplicationCredentialsQuery", server.Key, err)
	}
	spec.User, spec.Password = user, password
	return spec, nil
}
