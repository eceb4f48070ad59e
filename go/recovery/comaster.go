package recovery

import (
	"fmt"

	"orchestrator/go/inst"
)

// coMasterSuccessor decides, without touching anything, which server the
// recovery of a dead co-master must promote. other is the surviving
// co-master as last probed (nil when it cannot be read), otherKey its key,
// explicit the operator's candidate (-d, zero when none).
//
//   - The surviving co-master is writable (read_only=0 as last seen, healthy
//     or not): it must be the one promoted, whatever the settings: promoting
//     any other server would leave two writable masters. An explicit
//     candidate naming another server is refused.
//   - CoMasterRecoveryMustPromoteOtherCoMaster (mustPromoteOther): it must
//     be promoted unless the operator names another candidate.
//   - Otherwise the choice is free (the explicit candidate, if any).
//
// It returns the only acceptable successor (zero: free choice) and the
// decision in plain words; candidate choice still vetoes the required
// server if it may not be promoted (unreachable, not drained, ...), and the
// recovery then fails rather than promote another.
func coMasterSuccessor(other *inst.Instance, otherKey, explicit inst.InstanceKey, mustPromoteOther bool) (inst.InstanceKey, string, error) {
	writable := other != nil && !other.ReadOnly
	switch {
	case writable && explicit.IsValid() && explicit != otherKey:
		return inst.InstanceKey{}, "", fmt.Errorf("%w: the surviving co-master %s is writable: promoting %s would leave two writable masters; only %s may be promoted",
			ErrNoPromotion, otherKey, explicit, otherKey)
	case writable && !other.IsLastCheckValid:
		return otherKey, fmt.Sprintf("co-master: the surviving co-master %s was writable when last seen and cannot be reached now: "+
			"it must be the one promoted (any other would risk two writable masters)", otherKey), nil
	case writable:
		return otherKey, fmt.Sprintf("co-master: the surviving co-master %s is writable and healthy: it must be the one promoted", otherKey), nil
	case explicit.IsValid():
		return explicit, fmt.Sprintf("co-master: promoting the requested %s (the surviving co-master %s is read-only)", explicit, otherKey), nil
	case mustPromoteOther:
		return otherKey, fmt.Sprintf("co-master: the surviving co-master %s must be promoted (CoMasterRecoveryMustPromoteOtherCoMaster)", otherKey), nil
	case other == nil:
		return inst.InstanceKey{}, fmt.Sprintf("co-master: the surviving co-master %s cannot be read; any replica may be promoted", otherKey), nil
	}
	return inst.InstanceKey{}, fmt.Sprintf("co-master: the surviving co-master %s is read-only and CoMasterRecoveryMustPromoteOtherCoMaster is off: any replica may be promoted", otherKey), nil
}
