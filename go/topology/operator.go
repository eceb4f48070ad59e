package topology

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
)

// RefreshFunc probes one server now and stores the result (discovery's
// Probe).
type RefreshFunc func(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error)

// Operator performs topology operations on live servers. Every operation
// follows the same steps: validate the input against the stored topology,
// take maintenance locks on the instances it changes, refresh them, check
// that the operation is safe on that fresh state, act, restore replication
// as it was when acting failed, refresh what it touched and write one
// audit row. It is safe for concurrent use; the locks in the backend keep
// two operations (of this node or another) off the same instance.
type Operator struct {
	store   *backend.Store
	reader  *Reader
	in      *mysql.Inspector
	ap      *mysql.Applier
	refresh RefreshFunc
	cfg     *config.Config
	holder  backend.LockHolder
}

// NewOperator builds an Operator.
func NewOperator(store *backend.Store, reader *Reader, in *mysql.Inspector, ap *mysql.Applier,
	refresh RefreshFunc, cfg *config.Config, holder backend.LockHolder) *Operator {
	return &Operator{store: store, reader: reader, in: in, ap: ap, refresh: refresh, cfg: cfg, holder: holder}
}

// operationLease is how long an operation's locks live without renewal.
// The running operation renews them four times per lease; should its
// process die or hang, they lapse and the leader repairs what it left
// (RepairInterruptedOperations).
const operationLease = 10 * time.Second

// replicationWait bounds waiting for threads to run or a replica to catch up.
const replicationWait = 30 * time.Second

// known reads an instance from the store: ErrNotFound when never seen.
func (o *Operator) known(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	if !key.IsValid() {
		return nil, fmt.Errorf("%w: invalid instance key %q", inst.ErrBadRequest, key.String())
	}
	return o.reader.Instance(ctx, key)
}

// fresh probes key now and returns the stored, annotated result. A probe
// already running for key (the poller's) is waited for and retried.
func (o *Operator) fresh(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := o.refresh(ctx, key)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "already running") || time.Now().After(deadline) {
			return nil, fmt.Errorf("refresh %s: %w", key, err)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
	return o.reader.Instance(ctx, key)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// operation is one run of an operation: its name, the instance it is about
// and the fresh state of the instances it locked.
type operation struct {
	name   string
	key    inst.InstanceKey
	before map[inst.InstanceKey]*inst.Instance
}

// run is the skeleton of every operation that changes servers: lock the
// keys, refresh them, act, restore on failure, refresh, audit. act returns
// the audit message (outcome) on success.
func (o *Operator) run(ctx context.Context, name string, key inst.InstanceKey, locked []inst.InstanceKey,
	act func(ctx context.Context, op *operation) (string, error)) error {
	lockedCtx, locks, err := o.lock(ctx, name, locked)
	if err != nil {
		err = fmt.Errorf("%s %s: %w", name, key, err)
		o.auditRefusal(ctx, name, key, err) // nothing was touched: the lock is someone else's
		return err
	}
	ctx = lockedCtx
	defer locks.release()
	op := &operation{name: name, key: key, before: map[inst.InstanceKey]*inst.Instance{}}
	var replicating []int64
	for n, k := range locked {
		i, err := o.fresh(ctx, k)
		if err != nil {
			err = fmt.Errorf("%s %s: %w", name, key, err)
			o.auditRefusal(ctx, name, key, err)
			return err
		}
		op.before[k] = i
		if wasReplicating(i) {
			replicating = append(replicating, locks.ids[n])
		}
	}
	// What restore would restart, recorded for the leader in case this
	// process dies before it could.
	if err := o.store.MarkRestartReplication(ctx, replicating); err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	msg, err := act(ctx, op)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		err = errors.Join(fmt.Errorf("%s %s: %w", name, key, err), o.restore(ctx, op))
	}
	for _, k := range locked {
		_, _ = o.fresh(context.WithoutCancel(ctx), k)
	}
	o.audit(ctx, name, key, op.cluster(), msg, err)
	return err
}

func (op *operation) cluster() string {
	if i := op.before[op.key]; i != nil {
		return i.ClusterName
	}
	for _, i := range op.before {
		return i.ClusterName
	}
	return ""
}

// restore starts replication threads that ran before the operation and are
// stopped now.
func (o *Operator) restore(ctx context.Context, op *operation) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for key, before := range op.before {
		if !wasReplicating(before) {
			continue
		}
		if _, err := o.restartIfStopped(ctx, key); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// wasReplicating: the instance's replication (its SQL thread) ran when the
// operation began; restore restarts it.
func wasReplicating(i *inst.Instance) bool {
	return i.IsReplica() && i.ReplicationSQLThreadState == inst.ThreadStateRunning
}

// restartIfStopped starts replication on key when a thread is stopped; it
// reports whether it did.
func (o *Operator) restartIfStopped(ctx context.Context, key inst.InstanceKey) (bool, error) {
	st, err := o.in.ReplicationStatus(ctx, key)
	if err != nil {
		return false, err
	}
	if !st.IsReplica || (st.IOThread >= inst.ThreadStateRunning && st.SQLThread == inst.ThreadStateRunning) {
		return false, nil
	}
	return true, o.ap.StartReplication(ctx, key)
}

// audit writes the operation's audit row; a failed write is not the
// operation's failure.
func (o *Operator) audit(ctx context.Context, name string, key inst.InstanceKey, cluster, msg string, err error) {
	if err != nil {
		msg = "failed: " + err.Error()
	}
	_ = o.store.WriteAudit(context.WithoutCancel(ctx), name, key, cluster, msg)
}

// auditRefusal records an operation that stopped before acting, under the
// cluster the store knows for key.
func (o *Operator) auditRefusal(ctx context.Context, name string, key inst.InstanceKey, err error) {
	cluster := ""
	if i, rerr := o.reader.Instance(ctx, key); rerr == nil {
		cluster = i.ClusterName
	}
	o.audit(ctx, name, key, cluster, "", err)
}

// refused builds an ErrRefused error.
func refused(format string, a ...any) error {
	return fmt.Errorf("%w: %s", inst.ErrRefused, fmt.Sprintf(format, a...))
}

// badRequest builds an ErrBadRequest error.
func badRequest(format string, a ...any) error {
	return fmt.Errorf("%w: %s", inst.ErrBadRequest, fmt.Sprintf(format, a...))
}

// waitReplicating waits until both threads of key run (an IO thread still
// connecting keeps waiting); it fails early on a replication error.
func (o *Operator) waitReplicating(ctx context.Context, key inst.InstanceKey) error {
	ctx, cancel := context.WithTimeout(ctx, replicationWait)
	defer cancel()
	for {
		st, err := o.in.ReplicationStatus(ctx, key)
		switch {
		case err != nil:
			return fmt.Errorf("wait for %s to replicate: %w", key, err)
		case !st.IsReplica:
			return fmt.Errorf("wait for %s to replicate: not a replica", key)
		case st.IOThread == inst.ThreadStateRunning && st.SQLThread == inst.ThreadStateRunning:
			return nil
		case st.SQLThread == inst.ThreadStateStopped && st.LastSQLError != "":
			return fmt.Errorf("%s: SQL thread stopped: %s", key, st.LastSQLError)
		case st.IOThread == inst.ThreadStateStopped && st.LastIOError != "":
			return fmt.Errorf("%s: IO thread stopped: %s", key, st.LastIOError)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("wait for %s to replicate: %w", key, err)
		}
	}
}
