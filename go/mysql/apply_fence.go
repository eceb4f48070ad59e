package mysql

import (
	"fmt"

	"orchestrator/go/inst"
)

// Fenced returns a copy of a that calls fence right before every statement
// it would send to a server (writes, and the waits that belong to a
// write), and sends nothing when fence returns an error: the error is
// returned, wrapped with the key and the kind of statement. A caller
// acting on behalf of a lease or of leadership hands in the check that
// says whether it may still act, so a process resumed after a pause, or
// one that lost its lease while a step ran, cannot send one more
// statement. A statement already sent is not called back.
func (a *Applier) Fenced(fence func() error) *Applier {
	c := *a
	c.fence = fence
	return &c
}

// checkFence is the fence before one statement of kind on key.
func (a *Applier) checkFence(key inst.InstanceKey, kind string) error {
	if a.fence == nil {
		return nil
	}
	if err := a.fence(); err != nil {
		return fmt.Errorf("%s on %s not sent: %w", kind, key, err)
	}
	return nil
}
