package recovery

import (
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// DataSafetyReport says, for one master recovery, what every replica had
// against the promoted one at promotion time, and — once the failed master
// could be read again — what it had that the new master lacks.
type DataSafetyReport struct {
	Method           string // "GTID" or "binlog coordinates"
	Promoted         inst.InstanceKey
	PromotedPosition string
	Replicas         []ReplicaSafety

	// Filled when the failed master is reachable again.
	FailedMasterChecked      bool
	FailedMasterCheckedAt    string
	FailedMasterPosition     string
	LostTransactions         string // GTIDs the failed master had that the new master lacks
	LostTransactionCount     int64  // -1 when unknown (binlog coordinates)
	FailedMasterSetReadOnly  bool
	FailedMasterReadOnlyNote string
}

// ReplicaSafety is one replica's position against the promoted one.
type ReplicaSafety struct {
	Key      inst.InstanceKey
	Position string
	// Behind: transactions the promoted server had that this one had not
	// executed (it catches up from the new master). -1 when unknown.
	Behind int64
	// Extra: what this replica had executed that the promoted server had
	// not (lost for this replica's clients unless recovered by hand).
	Extra   string
	Drained bool // its relay log was fully applied before the comparison
	Outcome string
}

// position is the executed position a report compares by.
func position(i *inst.Instance, gtid bool) string {
	if gtid {
		return i.ExecutedGTID()
	}
	return i.ExecBinlogCoordinates.String()
}

// gtidDiff returns how many transactions b has that a lacks, and what a has
// that b lacks, for executed sets of one flavour.
func gtidDiff(a, b string, oracle bool) (behind int64, extra string, err error) {
	if oracle {
		sa, err := inst.ParseOracleGTIDSet(a)
		if err != nil {
			return -1, "", err
		}
		sb, err := inst.ParseOracleGTIDSet(b)
		if err != nil {
			return -1, "", err
		}
		return sb.Subtract(sa).Count(), sa.Subtract(sb).String(), nil
	}
	pa, err := inst.ParseMariaDBGTIDPos(a)
	if err != nil {
		return -1, "", err
	}
	pb, err := inst.ParseMariaDBGTIDPos(b)
	if err != nil {
		return -1, "", err
	}
	return pa.Behind(pb), pa.AheadOf(pb).String(), nil
}

// newSafetyReport compares every replica with the promoted one.
func newSafetyReport(promoted *inst.Instance, replicas []*inst.Instance, drained map[inst.InstanceKey]bool, outcome map[inst.InstanceKey]string) *DataSafetyReport {
	gtid := promoted.UsingGTID() || promoted.SupportsGTID() && promoted.ExecutedGTID() != ""
	oracle := !promoted.IsMariaDB()
	rep := &DataSafetyReport{Method: "binlog coordinates", Promoted: promoted.Key, PromotedPosition: position(promoted, gtid), LostTransactionCount: -1}
	if gtid {
		rep.Method = "GTID"
	}
	for _, r := range replicas {
		s := ReplicaSafety{Key: r.Key, Position: position(r, gtid), Behind: -1, Drained: drained[r.Key], Outcome: outcome[r.Key]}
		switch {
		case r.Key == promoted.Key:
			s.Behind = 0
		case gtid:
			if behind, extra, err := gtidDiff(s.Position, rep.PromotedPosition, oracle); err == nil {
				s.Behind, s.Extra = behind, extra
			} else {
				s.Extra = "cannot compare: " + err.Error()
			}
		default:
			cmp := r.ExecBinlogCoordinates.Compare(promoted.ExecBinlogCoordinates)
			if cmp > 0 {
				s.Extra = fmt.Sprintf("ahead of the promoted replica: executed up to %s of the failed master", r.ExecBinlogCoordinates)
			}
		}
		rep.Replicas = append(rep.Replicas, s)
	}
	return rep
}

// checkFailedMaster completes the report from a fresh read of the failed
// master. What it has that the new master lacks is counted against the
// promoted server's position at promotion time: the new master's later
// writes (with MariaDB GTID, higher sequence numbers in the same domain)
// would otherwise hide what was lost.
func (rep *DataSafetyReport) checkFailedMaster(failed, newMaster *inst.Instance, now time.Time) {
	rep.FailedMasterChecked, rep.FailedMasterCheckedAt = true, inst.FormatTime(now)
	gtid := rep.Method == "GTID"
	rep.FailedMasterPosition = position(failed, gtid)
	if !gtid {
		rep.LostTransactionCount = -1
		if failed.SelfBinlogCoordinates.String() != "" {
			rep.LostTransactions = "unknown with binlog coordinates: the failed master wrote up to " + failed.SelfBinlogCoordinates.String()
		}
		return
	}
	promoted := rep.PromotedPosition
	if promoted == "" {
		promoted = position(newMaster, true)
	}
	_, extra, err := gtidDiff(rep.FailedMasterPosition, promoted, !failed.IsMariaDB())
	if err != nil {
		rep.LostTransactions = "cannot compare: " + err.Error()
		return
	}
	rep.LostTransactions = extra
	rep.LostTransactionCount = 0
	if extra != "" {
		rep.LostTransactionCount = countGTIDs(extra, !failed.IsMariaDB(), rep.FailedMasterPosition, promoted)
	}
}

// rejoined says how the failed master was put back into replication since
// the recovery (by hand, or the topology restored), or "" when it stands
// alone: a rejoined server is neither set read-only nor compared, its
// position no longer being the one it failed with.
func rejoined(failed, newMaster *inst.Instance) string {
	switch {
	case failed.IsReplica() && !failed.MasterKey.IsDetached():
		return fmt.Sprintf("the failed master %s replicates from %s again", failed.Key, failed.MasterKey)
	case len(failed.Replicas) > 0:
		return fmt.Sprintf("the failed master %s has replicas again (%d)", failed.Key, len(failed.Replicas))
	case newMaster.IsReplica() && !newMaster.MasterKey.IsDetached():
		return fmt.Sprintf("the promoted %s replicates from %s again", newMaster.Key, newMaster.MasterKey)
	}
	return ""
}

// noteRejoined completes the report of a failed master that rejoined.
func (rep *DataSafetyReport) noteRejoined(failed *inst.Instance, how string, now time.Time) {
	rep.FailedMasterChecked, rep.FailedMasterCheckedAt = true, inst.FormatTime(now)
	rep.FailedMasterPosition = position(failed, rep.Method == "GTID")
	rep.LostTransactions, rep.LostTransactionCount = "", -1
	rep.FailedMasterReadOnlyNote = how + ": left as it is, and not compared"
}

// countGTIDs counts transactions in an Oracle set, or for MariaDB the
// sequence-number distance between the failed and new master.
func countGTIDs(set string, oracle bool, failed, newMaster string) int64 {
	if oracle {
		s, err := inst.ParseOracleGTIDSet(set)
		if err != nil {
			return -1
		}
		return s.Count()
	}
	behind, _, err := gtidDiff(newMaster, failed, false)
	if err != nil {
		return -1
	}
	return behind
}
