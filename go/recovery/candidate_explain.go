package recovery

import (
	"fmt"
	"strings"

	"orchestrator/go/inst"
)

func (c *chooser) methodLine() string {
	switch {
	case c.gtid && c.oracle:
		return fmt.Sprintf("%d replicas of %s compared by executed GTID set (gtid_executed)", len(c.all), c.failed.Key)
	case c.gtid:
		return fmt.Sprintf("%d replicas of %s compared by MariaDB GTID position (gtid_current_pos)", len(c.all), c.failed.Key)
	}
	return fmt.Sprintf("%d replicas of %s compared by executed coordinates of the failed master (Relay_Master_Log_File:Exec_Master_Log_Pos)",
		len(c.all), c.failed.Key)
}

func (c *chooser) position(r *candidate) string {
	if c.gtid {
		return fmt.Sprintf("GTID %q", r.ExecutedGTID())
	}
	return r.ExecBinlogCoordinates.String()
}

// passedOverLines explains, for each replica ranked above the chosen one
// and each must/prefer replica, why it was not chosen.
func (c *chooser) passedOverLines(chosen *candidate) []string {
	var out []string
	above := true
	for _, r := range c.all {
		if r == chosen {
			above = false
			continue
		}
		wanted := r.PromotionRule == inst.MustPromoteRule || r.PromotionRule == inst.PreferPromoteRule
		if !above && !wanted {
			continue
		}
		out = append(out, fmt.Sprintf("%s (%s) not chosen: %s", r.Key, r.PromotionRule, c.notChosenReason(r, chosen)))
	}
	return out
}

func (c *chooser) notChosenReason(r, chosen *candidate) string {
	switch {
	case c.isVetoed[r.Key]:
		return c.vetoReasons(r.Key)
	case c.o.ExplicitCandidate.IsValid():
		return fmt.Sprintf("%s was requested explicitly", chosen.Key)
	case c.comparePos(r, chosen) < 0:
		return fmt.Sprintf("it is behind %s (%s vs %s)", chosen.Key, c.position(r), c.position(chosen))
	case c.qualifies(r) != "":
		return "it " + c.qualifies(r)
	}
	if chosen.PromotionRule.BetterThan(r.PromotionRule) {
		return fmt.Sprintf("%s is as advanced, with a better promotion rule (%s)", chosen.Key, chosen.PromotionRule)
	}
	return fmt.Sprintf("%s is as advanced and ranks first on the tie-breakers "+
		"(log_slave_updates, lower version, smaller binlog format, data center, region, no errant GTID, promotion rule)", chosen.Key)
}

func outcomeLines(chosen *candidate, choice CandidateChoice) []string {
	var out []string
	if len(choice.Moved) > 0 {
		keys := make([]string, 0, len(choice.Moved))
		for _, r := range choice.Moved {
			keys = append(keys, r.Key.String())
		}
		out = append(out, fmt.Sprintf("%d replicas can move below %s: %s", len(keys), chosen.Key, strings.Join(keys, ", ")))
	}
	for _, l := range choice.Lost {
		out = append(out, fmt.Sprintf("%s will be lost: %s", l.Instance.Key, l.Reason))
	}
	return out
}
