package recovery

import (
	"context"
	"fmt"
	"sync"

	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// gtidModeFor is how a server points at a new master by GTID: Oracle
// auto-position; MariaDB slave_pos. A MariaDB server that was a master
// (demoted) first takes its gtid_current_pos as slave position, so it
// resumes after its own writes (the effect of current_pos, without its
// trap of counting later local writes).
func (rc *Recoverer) pointByGTID(ctx context.Context, r *TopologyRecovery, server *inst.Instance, master inst.InstanceKey, demoted bool, creds *mysql.ChangeMasterSpec) error {
	mode := mysql.GTIDAutoPosition
	if server.IsMariaDB() {
		mode = mysql.GTIDSlavePos
		if demoted && server.MariaDBGtidCurrentPos != "" {
			if err := rc.apply(r).SetGTIDSlavePos(ctx, server.Key, server.MariaDBGtidCurrentPos); err != nil {
				return err
			}
		}
	}
	spec := mysql.ChangeMasterSpec{Master: master, GTID: mode}
	if creds != nil {
		spec.User, spec.Password = creds.User, creds.Password
	}
	return rc.apply(r).ChangeMaster(ctx, server.Key, spec)
}

// pointOldMaster points a demoted master at its successor's binlog
// coordinates, with the replication credentials when read.
func (rc *Recoverer) pointOldMaster(ctx context.Context, r *TopologyRecovery, server *inst.Instance, master inst.InstanceKey, coords inst.BinlogCoordinates, creds *mysql.ChangeMasterSpec) error {
	c := coords
	spec := mysql.ChangeMasterSpec{Master: master, Coordinates: &c, GTID: mysql.GTIDKeep}
	if server.IsMariaDB() || server.UsingOracleGTID {
		spec.GTID = mysql.GTIDNone
	}
	if creds != nil {
		spec.User, spec.Password = creds.User, creds.Password
	}
	return rc.apply(r).ChangeMaster(ctx, server.Key, spec)
}

// pointByCoordinates points a stopped replica at master's coordinates.
func (rc *Recoverer) pointByCoordinates(ctx context.Context, r *TopologyRecovery, server *inst.Instance, master inst.InstanceKey, coords inst.BinlogCoordinates) error {
	c := coords
	mode := mysql.GTIDKeep
	if server.IsMariaDB() || server.UsingOracleGTID {
		mode = mysql.GTIDNone
	}
	return rc.apply(r).ChangeMaster(ctx, server.Key, mysql.ChangeMasterSpec{Master: master, Coordinates: &c, GTID: mode})
}

// moveResult is one replica's move outcome.
type moveResult struct {
	key inst.InstanceKey
	err error
}

// moveAll repoints replicas below master in parallel (they are stopped)
// and starts them. coords, when set, gives the new master's coordinates
// for replicas that do not use GTID.
func (rc *Recoverer) moveAll(ctx context.Context, r *TopologyRecovery, replicas []*inst.Instance, master inst.InstanceKey, gtid bool, coords *inst.BinlogCoordinates) []moveResult {
	out := make([]moveResult, len(replicas))
	var wg sync.WaitGroup
	for n, x := range replicas {
		wg.Add(1)
		go func(n int, x *inst.Instance) {
			defer wg.Done()
			out[n] = moveResult{key: x.Key, err: rc.moveOne(ctx, r, x, master, gtid, coords)}
		}(n, x)
	}
	wg.Wait()
	return out
}

func (rc *Recoverer) moveOne(ctx context.Context, r *TopologyRecovery, x *inst.Instance, master inst.InstanceKey, gtid bool, coords *inst.BinlogCoordinates) error {
	if err := rc.apply(r).StopReplication(ctx, x.Key); err != nil {
		return err
	}
	var err error
	switch {
	case gtid:
		err = rc.pointByGTID(ctx, r, x, master, false, nil)
	case coords != nil:
		err = rc.pointByCoordinates(ctx, r, x, master, *coords)
	default:
		err = fmt.Errorf("%s: no GTID and no coordinates to point it at %s", x.Key, master)
	}
	if err != nil {
		return err
	}
	return rc.apply(r).StartReplication(ctx, x.Key)
}

// startAll starts replication on replicas (best effort), so a failed
// recovery never leaves them stopped by us.
func (rc *Recoverer) startAll(ctx context.Context, r *TopologyRecovery, replicas []*inst.Instance) {
	for _, x := range replicas {
		if err := rc.apply(r).StartReplication(ctx, x.Key); err != nil {
			r.addError(err)
		} else {
			rc.step(ctx, r, "restarted replication on %s where it was", x.Key)
		}
	}
}
