package recovery

import (
	"context"
	"fmt"
	"time"

	"github.com/outbrain/golib/log"
)

// stepTimeout bounds writing one step: a slow backend must not stall a
// recovery.
const stepTimeout = 3 * time.Second

// step records a line of a recovery's progress in the backend and the log.
// Steps are best effort: a failure to write one is logged, never fatal.
func (rc *Recoverer) step(ctx context.Context, r *TopologyRecovery, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	log.Infof("recovery %s: %s", r.UID, msg)
	if r.UID == "" {
		return
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), stepTimeout)
	defer cancel()
	if err := rc.d.Store.WriteRecoveryStep(c, r.UID, msg); err != nil {
		log.Errorf("recovery %s: %v", r.UID, err)
	}
}

// decide records a decision line: a step that is also kept on the
// recovery itself (Decision), so the recovery explains itself.
func (rc *Recoverer) decide(ctx context.Context, r *TopologyRecovery, format string, args ...any) {
	r.Decision = append(r.Decision, fmt.Sprintf(format, args...))
	rc.step(ctx, r, format, args...)
}
