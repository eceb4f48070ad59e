package topology

import (
	"context"
	"fmt"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// Operation locks are leases. An operation holds a lock on every instance
// it changes; the lock records whether the instance replicated when the
// operation began (what restore would restart). While the operation runs,
// its process renews the locks; if it cannot renew them for a whole lease
// (or finds them taken over), the operation is cancelled and restores
// what it stopped. If the process dies, the locks lapse and the leader's
// RepairInterruptedOperations takes them over, starts the replication the
// operation had stopped, records the operation as interrupted in the
// audit and releases them.

// heldLocks are an operation's locks, in the order of its keys.
type heldLocks struct {
	ids     []int64
	release func()
}

// lock takes the operation's locks on keys (all or none) and keeps them
// renewed until released. The returned ctx is cancelled, with the reason
// as its cause, when the locks are lost.
func (o *Operator) lock(ctx context.Context, name string, keys []inst.InstanceKey) (context.Context, *heldLocks, error) {
	if len(keys) == 0 {
		return ctx, &heldLocks{release: func() {}}, nil
	}
	ids, err := o.store.BeginOperationLocks(ctx, keys, name, operationLease, o.holder)
	if err != nil {
		return nil, nil, err
	}
	opCtx, lost := context.WithCancelCause(ctx)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		o.keepLocks(opCtx, ids, lost, stop)
	}()
	release := func() {
		close(stop)
		<-stopped
		lost(nil)
		_ = o.store.EndMaintenanceByIDs(context.WithoutCancel(ctx), ids)
	}
	return opCtx, &heldLocks{ids: ids, release: release}, nil
}

// keepLocks renews the locks ids four times per lease until stop is
// closed. It calls lost when they were taken over, or when they could not
// be renewed before their lease ran out.
func (o *Operator) keepLocks(ctx context.Context, ids []int64, lost context.CancelCauseFunc, stop <-chan struct{}) {
	t := time.NewTicker(operationLease / 4)
	defer t.Stop()
	held := time.Now().Add(operationLease)
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		until := time.Now().Add(operationLease)
		n, err := o.store.RenewOperationLocks(ctx, ids, o.holder, until)
		switch {
		case err == nil && n == int64(len(ids)):
			held = until
		case err == nil:
			lost(fmt.Errorf("%w: the operation's locks were ended or taken over", inst.ErrLocked))
			return
		case time.Now().After(held):
			lost(fmt.Errorf("%w: the operation's locks lapsed: %v", inst.ErrLocked, err))
			return
		}
	}
}

// RepairInterruptedOperations is the leader's repair of operations whose
// process died or hung (their locks lapsed): it takes each lapsed lock
// over, starts replication on its instance when the operation had found it
// replicating and it is stopped now, writes an audit row saying the
// operation was interrupted and what was done, and releases the lock. It
// returns how many locks it repaired. A lock whose instance cannot be
// reached is released all the same, and the audit says so.
func (o *Operator) RepairInterruptedOperations(ctx context.Context) (int, error) {
	lapsed, err := o.store.LapsedOperationLocks(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range lapsed {
		claimed, err := o.store.ClaimOperationLock(ctx, l.ID, o.holder, operationLease)
		if err != nil {
			return n, err
		}
		if !claimed {
			continue
		}
		what := []string{fmt.Sprintf("interrupted: %s (begun %s by %s) stopped renewing its lock", l.Operation,
			inst.FormatTime(l.Began), l.Holder.Hostname)}
		if l.RestartReplication {
			c, cancel := context.WithTimeout(ctx, replicationWait)
			switch started, err := o.restartIfStopped(c, l.Key); {
			case err != nil:
				what = append(what, fmt.Sprintf("could not restart replication on %s: %v", l.Key, err))
			case started:
				what = append(what, fmt.Sprintf("restarted replication on %s, stopped by the operation", l.Key))
			default:
				what = append(what, fmt.Sprintf("replication on %s runs", l.Key))
			}
			cancel()
		}
		cluster := ""
		if i, err := o.reader.Instance(ctx, l.Key); err == nil {
			cluster = i.ClusterName
		}
		_ = o.store.WriteAudit(ctx, l.Operation, l.Key, cluster, strings.Join(what, "; "))
		if err := o.store.EndMaintenanceByIDs(ctx, []int64{l.ID}); err != nil {
			return n, err
		}
		_, _ = o.refresh(ctx, l.Key)
		n++
	}
	return n, nil
}
