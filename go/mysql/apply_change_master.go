package mysql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// GTIDMode is how a replica positions itself on its master.
type GTIDMode int

const (
	// GTIDKeep leaves the replica's current mode (the zero value).
	GTIDKeep GTIDMode = iota
	// GTIDNone: binlog coordinates (MariaDB MASTER_USE_GTID=no, Oracle
	// MASTER_AUTO_POSITION=0).
	GTIDNone
	// GTIDSlavePos: MariaDB MASTER_USE_GTID=slave_pos.
	GTIDSlavePos
	// GTIDCurrentPos: MariaDB MASTER_USE_GTID=current_pos.
	GTIDCurrentPos
	// GTIDAutoPosition: Oracle MASTER_AUTO_POSITION=1.
	GTIDAutoPosition
)

func (m GTIDMode) String() string {
	return [...]string{"keep", "none", "slave_pos", "current_pos", "auto_position"}[m]
}

// ChangeMasterSpec says what CHANGE MASTER TO sets; zero fields keep the
// replica's current value.
type ChangeMasterSpec struct {
	Master          inst.InstanceKey        // zero: keep (coordinates are kept too)
	Coordinates     *inst.BinlogCoordinates // nil: none given (implies GTIDNone when set)
	GTID            GTIDMode
	User, Password  string        // empty: keep
	HeartbeatPeriod time.Duration // 0: keep
	ConnectRetry    time.Duration // 0: keep; whole seconds
}

// ChangeMaster points a stopped replica elsewhere or changes its
// settings. Replication must be stopped first (ErrReplicationRunning). A
// new master without GTID needs coordinates: MASTER_HOST resets the
// position otherwise, and the replica would replay the master's whole log.
func (a *Applier) ChangeMaster(ctx context.Context, key inst.InstanceKey, spec ChangeMasterSpec) error {
	const kind = "change master"
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if !st.ThreadsStopped() {
		return fmt.Errorf("%s on %s: %w (IO %d, SQL %d); stop replication first", kind, key, ErrReplicationRunning, st.IOThread, st.SQLThread)
	}
	usesGTID := spec.GTID >= GTIDSlavePos || (spec.GTID == GTIDKeep && spec.Coordinates == nil && st.UsingGTID())
	if spec.Master != (inst.InstanceKey{}) && spec.Coordinates == nil && !usesGTID {
		return fmt.Errorf("%w: %s on %s: a new master without GTID needs binlog coordinates", inst.ErrBadRequest, kind, key)
	}
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	stmt, err := buildChangeMaster(t, spec)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return a.exec(ctx, key, stmt)
}

// buildChangeMaster renders spec in t's vocabulary.
func buildChangeMaster(t Terminology, spec ChangeMasterSpec) (statement, error) {
	st := statement{kind: "change master"}
	var opts []string
	param := func(opt string, v any) {
		opts = append(opts, t.Option(opt)+" = ?")
		st.args = append(st.args, v)
	}
	number := func(opt string, n string) { opts = append(opts, t.Option(opt)+" = "+n) }
	if spec.Master != (inst.InstanceKey{}) {
		host, err := masterHost(spec.Master)
		if err != nil {
			return st, err
		}
		param("HOST", host)
		number("PORT", strconv.Itoa(spec.Master.Port))
	}
	if spec.User != "" {
		param("USER", spec.User)
	}
	if spec.Password != "" {
		param("PASSWORD", spec.Password)
		st.secrets = append(st.secrets, spec.Password)
	}
	mode := spec.GTID
	if c := spec.Coordinates; c != nil {
		if c.LogFile == "" || c.LogPos < 0 {
			return st, fmt.Errorf("%w: invalid binlog coordinates %q", inst.ErrBadRequest, c.String())
		}
		if mode >= GTIDSlavePos {
			return st, fmt.Errorf("%w: binlog coordinates cannot be combined with GTID mode %s", inst.ErrBadRequest, mode)
		}
		param("LOG_FILE", c.LogFile)
		number("LOG_POS", strconv.FormatInt(c.LogPos, 10))
		mode = GTIDNone
	}
	gtid, err := gtidOption(t, mode)
	if err != nil {
		return st, err
	}
	if gtid != "" {
		opts = append(opts, gtid)
	}
	if spec.HeartbeatPeriod > 0 {
		number("HEARTBEAT_PERIOD", strconv.FormatFloat(spec.HeartbeatPeriod.Seconds(), 'f', 3, 64))
	}
	if spec.ConnectRetry > 0 {
		number("CONNECT_RETRY", strconv.Itoa(max(int(spec.ConnectRetry.Seconds()), 1)))
	}
	if len(opts) == 0 {
		return st, fmt.Errorf("%w: nothing to change", inst.ErrBadRequest)
	}
	st.text = t.ChangeMaster + " " + strings.Join(opts, ", ")
	return st, nil
}

// gtidOption is the CHANGE MASTER TO option for mode ("" for GTIDKeep, or
// GTIDNone on a server without GTID support).
func gtidOption(t Terminology, mode GTIDMode) (string, error) {
	unsupported := fmt.Errorf("%w: GTID mode %s on %s %s", ErrUnsupported, mode, t.Flavor, t.Version.MajorString())
	switch {
	case mode == GTIDKeep:
		return "", nil
	case t.IsMariaDB():
		switch mode {
		case GTIDNone:
			return "MASTER_USE_GTID = no", nil
		case GTIDSlavePos:
			return "MASTER_USE_GTID = slave_pos", nil
		case GTIDCurrentPos:
			return "MASTER_USE_GTID = current_pos", nil
		}
		return "", unsupported
	case mode == GTIDNone && !t.hasOracleGTID():
		return "", nil
	case mode == GTIDNone:
		return t.Option("AUTO_POSITION") + " = 0", nil
	case mode == GTIDAutoPosition && t.hasOracleGTID():
		return t.Option("AUTO_POSITION") + " = 1", nil
	}
	return "", unsupported
}

// masterHost validates a master key for CHANGE MASTER TO; a detached key
// ("//host") is accepted when the host behind it is valid.
func masterHost(k inst.InstanceKey) (string, error) {
	prefix := ""
	if k.IsDetached() {
		prefix, k = "//", k.Reattached()
	}
	valid, err := inst.NewInstanceKey(k.Hostname, k.Port)
	if err != nil {
		return "", err
	}
	return prefix + valid.Hostname, nil
}

// SetMasterUseGTID switches a replica between GTID and coordinates
// (MariaDB MASTER_USE_GTID, Oracle MASTER_AUTO_POSITION), stopping and
// restarting replication around the change if it was running.
func (a *Applier) SetMasterUseGTID(ctx context.Context, key inst.InstanceKey, mode GTIDMode) error {
	if mode == GTIDKeep {
		return nil
	}
	return a.whileStopped(ctx, key, "set master GTID mode", func(t Terminology, _ *ReplicaStatus) (statement, error) {
		opt, err := gtidOption(t, mode)
		if err != nil || opt == "" {
			return statement{}, fmt.Errorf("%w: GTID mode %s", ErrUnsupported, mode)
		}
		return statement{kind: "set master GTID mode", text: t.ChangeMaster + " " + opt}, nil
	})
}

// SetReplicationDelay sets MASTER_DELAY (seconds), keeping the threads'
// running state.
func (a *Applier) SetReplicationDelay(ctx context.Context, key inst.InstanceKey, seconds uint) error {
	return a.whileStopped(ctx, key, "set replication delay", func(t Terminology, _ *ReplicaStatus) (statement, error) {
		text := t.ChangeMaster + " " + t.Option("DELAY") + " = " + strconv.FormatUint(uint64(seconds), 10)
		return statement{kind: "set replication delay", text: text}, nil
	})
}

// DetachMasterHost rewrites Master_Host to "//host" so the replica cannot
// reconnect, reversibly (ReattachMasterHost). A replica replicating by
// coordinates keeps its place with its executed coordinates (changing the
// host would reset them; events received but not applied are fetched again
// after reattaching). A GTID replica keeps its GTID mode and position.
func (a *Applier) DetachMasterHost(ctx context.Context, key inst.InstanceKey) error {
	return a.rewriteMasterHost(ctx, key, "detach master host", func(m inst.InstanceKey) inst.InstanceKey { return m.Detached() })
}

// ReattachMasterHost undoes DetachMasterHost.
func (a *Applier) ReattachMasterHost(ctx context.Context, key inst.InstanceKey) error {
	return a.rewriteMasterHost(ctx, key, "reattach master host", func(m inst.InstanceKey) inst.InstanceKey { return m.Reattached() })
}

func (a *Applier) rewriteMasterHost(ctx context.Context, key inst.InstanceKey, kind string, rewrite func(inst.InstanceKey) inst.InstanceKey) error {
	return a.whileStopped(ctx, key, kind, func(t Terminology, st *ReplicaStatus) (statement, error) {
		target := rewrite(st.MasterKey)
		if target == st.MasterKey {
			return statement{}, nil // already done
		}
		spec := ChangeMasterSpec{Master: target}
		if !st.UsingGTID() {
			coords := st.ExecCoordinates
			spec.Coordinates = &coords
		}
		stmt, err := buildChangeMaster(t, spec)
		stmt.kind = kind
		return stmt, err
	})
}

// whileStopped runs the statement build returns on a replica with both
// threads stopped, then restarts replication if it was running (either
// thread), also after a failure. build sees the state read after
// stopping; an empty statement means nothing to do.
func (a *Applier) whileStopped(ctx context.Context, key inst.InstanceKey, kind string,
	build func(Terminology, *ReplicaStatus) (statement, error)) error {
	st, err := a.in.ReplicationStatus(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if !st.IsReplica {
		return fmt.Errorf("%s on %s: %w", kind, key, ErrNotReplica)
	}
	if st.ThreadsStopped() {
		return a.buildAndExec(ctx, key, kind, st, build)
	}
	if err := a.StopReplication(ctx, key); err != nil {
		return err
	}
	st, err = a.in.ReplicationStatus(ctx, key)
	if err != nil {
		err = fmt.Errorf("%s on %s: %w", kind, key, err)
	} else {
		err = a.buildAndExec(ctx, key, kind, st, build)
	}
	return errors.Join(err, a.StartReplication(ctx, key))
}

func (a *Applier) buildAndExec(ctx context.Context, key inst.InstanceKey, kind string, st *ReplicaStatus,
	build func(Terminology, *ReplicaStatus) (statement, error)) error {
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	stmt, err := build(t, st)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	if stmt.text == "" {
		return nil
	}
	return a.exec(ctx, key, stmt)
}
