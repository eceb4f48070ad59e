package discovery

import (
	log "github.com/outbrain/golib/log"

	"orchestrator/go/inst"
)

// gtidPlacement is what the replicas of an instance need to find their
// errant GTIDs without reading the backend: the instance's executed set,
// its flavour, and the servers its own transactions came through.
type gtidPlacement struct {
	known    bool // probed by this Discoverer, and so was every master above it
	oracle   bool
	executed string
	ancestry inst.Ancestry // the instance itself and its masters
}

// gtidPlacementOf is i's GTID placement, given its master's (zero when
// i is a top master or its master was not probed here). Co-masters are
// left unknown: their ancestry is a cycle.
func gtidPlacementOf(i *inst.Instance, master gtidPlacement) gtidPlacement {
	if !i.SupportsGTID() || i.IsCoMaster {
		return gtidPlacement{}
	}
	top := !i.IsReplica() || i.MasterKey.IsDetached()
	if !top && !master.known {
		return gtidPlacement{}
	}
	base := inst.Ancestry{}
	if !top {
		base = master.ancestry
	}
	return gtidPlacement{known: true, oracle: !i.IsMariaDB(), executed: i.ExecutedGTID(), ancestry: base.With(i)}
}

// setErrant fills i.GtidErrant from its master's GTID placement: what i
// executed that the master lacks, leaving out transactions that came
// through the master's own chain (the master was probed earlier, so it
// may merely not have had them yet). Left empty when the master's chain
// is not known here or the flavours differ.
func setErrant(i *inst.Instance, master gtidPlacement) {
	i.GtidErrant = ""
	if !master.known || !i.SupportsGTID() || i.IsCoMaster || master.oracle == i.IsMariaDB() {
		return
	}
	errant, err := inst.ErrantAgainstAncestry(i.ExecutedGTID(), master.executed, master.oracle, master.ancestry)
	if err != nil {
		log.Debugf("discovery: errant GTID of %s: %v", i.Key, err)
		return
	}
	i.GtidErrant = errant
}
