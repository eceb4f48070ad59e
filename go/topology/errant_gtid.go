package topology

import (
	"context"
	"fmt"
	"strconv"

	"orchestrator/go/inst"
)

// maxInjectedGTIDs bounds gtid-errant-inject-empty: more errant
// transactions than this call for rebuilding the replica instead.
const maxInjectedGTIDs = 1000

// errantGTID compares a fresh replica with its cluster's master (fresh
// too) and returns the transactions the replica executed that the master
// lacks ("" when none), and the master.
func (o *Operator) errantGTID(ctx context.Context, replica *inst.Instance) (string, *inst.Instance, error) {
	if !replica.SupportsGTID() {
		return "", nil, refused("%s does not support GTID", replica.Key)
	}
	top, err := o.reader.ClusterMaster(ctx, replica.ClusterName)
	if err != nil {
		return "", nil, err
	}
	if top.Key == replica.Key {
		return "", nil, refused("%s is the master of cluster %s: errant transactions are judged against it", replica.Key, replica.ClusterName)
	}
	master, err := o.fresh(ctx, top.Key)
	if err != nil {
		return "", nil, err
	}
	if master.IsMariaDB() != replica.IsMariaDB() {
		return "", nil, refused("%s and its master %s use different GTID flavours", replica.Key, master.Key)
	}
	errant, err := inst.ErrantGTID(replica.ExecutedGTID(), master.ExecutedGTID(), !replica.IsMariaDB())
	if err != nil {
		return "", nil, refused("cannot compare the GTID sets of %s and %s: %v", replica.Key, master.Key, err)
	}
	return errant, master, nil
}

// WhichGTIDErrant returns the errant GTIDs of key against its cluster's
// master ("" when none). Nothing is changed.
func (o *Operator) WhichGTIDErrant(ctx context.Context, key inst.InstanceKey) (string, error) {
	if _, err := o.known(ctx, key); err != nil {
		return "", fmt.Errorf("which-gtid-errant %s: %w", key, err)
	}
	i, err := o.fresh(ctx, key)
	if err != nil {
		return "", fmt.Errorf("which-gtid-errant %s: %w", key, err)
	}
	errant, _, err := o.errantGTID(ctx, i)
	if err != nil {
		return "", fmt.Errorf("which-gtid-errant %s: %w", key, err)
	}
	return errant, nil
}

// GTIDErrantResetMaster removes the errant transactions from a replica's
// GTID history (their data stays): RESET MASTER, then on Oracle
// gtid_purged = executed minus errant; on MariaDB the replication position
// (gtid_slave_pos) survives RESET MASTER and becomes the current position.
// Refused when the replica has replicas of its own (they read the binary
// logs RESET MASTER deletes) or has nothing errant.
func (o *Operator) GTIDErrantResetMaster(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	return o.control(ctx, "gtid-errant-reset-master", key, true, func(ctx context.Context, i *inst.Instance) error {
		if !i.UsingGTID() {
			return refused("%s does not replicate by GTID", key)
		}
		errant, _, err := o.errantGTID(ctx, i)
		if err != nil {
			return err
		}
		if errant == "" {
			return refused("%s has no errant GTID", key)
		}
		replicas, err := o.reader.Replicas(ctx, key)
		if err != nil {
			return err
		}
		if len(replicas) > 0 {
			return refused("%s has %d replicas reading its binary logs, which RESET MASTER would delete: move them away first", key, len(replicas))
		}
		purged := ""
		if !i.IsMariaDB() {
			exec, err := inst.ParseOracleGTIDSet(i.ExecutedGtidSet)
			if err != nil {
				return err
			}
			bad, err := inst.ParseOracleGTIDSet(errant)
			if err != nil {
				return err
			}
			purged = exec.Subtract(bad).String()
		}
		if err := o.ap.StopReplication(ctx, key); err != nil {
			return err
		}
		if err := o.ap.ResetMaster(ctx, key); err != nil {
			return err
		}
		if purged != "" {
			if err := o.ap.SetGTIDPurged(ctx, key, purged); err != nil {
				return err
			}
		}
		if err := o.ap.StartReplication(ctx, key); err != nil {
			return err
		}
		return o.waitReplicating(ctx, key)
	})
}

// GTIDErrantInjectEmpty commits one empty transaction per errant GTID of
// key on its cluster's master, so that the master's history contains
// them. Oracle GTID only: MariaDB does not log empty transactions (use
// gtid-errant-reset-master there).
func (o *Operator) GTIDErrantInjectEmpty(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	const name = "gtid-errant-inject-empty"
	i, err := o.known(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	if i.IsMariaDB() {
		return nil, fmt.Errorf("%s %s: %w", name, key, refused("MariaDB does not log empty transactions, so the master "+
			"cannot be given %s's errant GTIDs this way; use gtid-errant-reset-master on the replica instead", key))
	}
	top, err := o.reader.ClusterMaster(ctx, i.ClusterName)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, key, err)
	}
	err = o.run(ctx, name, key, []inst.InstanceKey{top.Key}, func(ctx context.Context, op *operation) (string, error) {
		replica, err := o.fresh(ctx, key)
		if err != nil {
			return "", err
		}
		errant, master, err := o.errantGTID(ctx, replica)
		if err != nil {
			return "", err
		}
		gtids, err := oracleGTIDs(errant)
		if err != nil {
			return "", err
		}
		for _, g := range gtids {
			if err := o.ap.InjectEmptyTransaction(ctx, master.Key, g); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("injected %d empty transactions on %s", len(gtids), master.Key), nil
	})
	if err != nil {
		return nil, err
	}
	return o.reader.Instance(ctx, key)
}

// oracleGTIDs lists each GTID ("uuid:n") of a non-empty set, refusing
// sets larger than maxInjectedGTIDs.
func oracleGTIDs(set string) ([]string, error) {
	s, err := inst.ParseOracleGTIDSet(set)
	if err != nil {
		return nil, err
	}
	switch n := s.Count(); {
	case n == 0:
		return nil, refused("no errant GTID")
	case n > maxInjectedGTIDs:
		return nil, refused("%d errant transactions (more than %d): rebuild the replica instead", n, maxInjectedGTIDs)
	}
	var out []string
	for _, id := range s.UUIDs() {
		for _, iv := range s.Intervals(id) {
			for n := iv.Start; n <= iv.End; n++ {
				out = append(out, id+":"+strconv.FormatInt(n, 10))
			}
		}
	}
	return out, nil
}

// LocateGTIDErrant lists the binary logs of key that hold its errant
// transactions (empty when it has none), reading the GTID state each log
// opens with. Nothing is changed.
func (o *Operator) LocateGTIDErrant(ctx context.Context, key inst.InstanceKey) ([]string, error) {
	logs, err := o.locateGTIDErrant(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("locate-gtid-errant %s: %w", key, err)
	}
	return logs, nil
}

func (o *Operator) locateGTIDErrant(ctx context.Context, key inst.InstanceKey) ([]string, error) {
	if _, err := o.known(ctx, key); err != nil {
		return nil, err
	}
	i, err := o.fresh(ctx, key)
	if err != nil {
		return nil, err
	}
	errant, master, err := o.errantGTID(ctx, i)
	if err != nil || errant == "" {
		return []string{}, err
	}
	if !i.LogBinEnabled {
		return nil, refused("%s has no binary logs", key)
	}
	logs, err := o.in.BinaryLogs(ctx, key)
	if err != nil {
		return nil, err
	}
	starts := make([]string, len(logs))
	for n, log := range logs {
		if starts[n], err = o.in.BinlogStartGTIDs(ctx, key, log); err != nil {
			return nil, err
		}
	}
	end := i.ExecutedGTID()
	if i.IsMariaDB() {
		end = i.MariaDBGtidBinlogPos
	}
	return inst.LogsHolding(logs, starts, end, errant, master.ExecutedGTID(), !i.IsMariaDB())
}
