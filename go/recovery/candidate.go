package recovery

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"orchestrator/go/inst"
)

// ErrNoCandidate: no replica may be promoted; the message says why.
var ErrNoCandidate = errors.New("no candidate")

// ErrNotDrained: with FailMasterPromotionIfSQLThreadNotUpToDate, the
// replica the choice would promote has not applied its relay log.
var ErrNotDrained = fmt.Errorf("%w: FailMasterPromotionIfSQLThreadNotUpToDate", ErrNoCandidate)

// Veto rules: why a replica may not be promoted.
const (
	VetoMustNot         = "must_not"
	VetoIgnoreHostname  = "PromotionIgnoreHostnameFilters"
	VetoUnreachable     = "unreachable"
	VetoUnreadableGTID  = "unreadable-gtid"
	VetoCrossDataCenter = "PreventCrossDataCenterMasterFailover"
	VetoCrossRegion     = "PreventCrossRegionMasterFailover"
	VetoLag             = "FailMasterPromotionOnLagMinutes"
	VetoNotDrained      = "relay-log-not-applied"
	VetoDelayed         = "delayed"
)

const (
	secondsPerLagMinute = 60
	formatRankUnknown   = -1
)

// CandidateOptions are the settings candidate choice depends on.
type CandidateOptions struct {
	// ExplicitCandidate, when valid, is the only acceptable choice: it is
	// chosen or ChooseCandidate fails saying why.
	ExplicitCandidate                    inst.InstanceKey
	PromotionIgnoreHostnameFilters       []string
	PreventCrossDataCenterMasterFailover bool
	PreventCrossRegionMasterFailover     bool
	FailMasterPromotionOnLagMinutes      uint
	// NotDrained: replicas whose relay log could not be fully applied
	// before the choice, with why. They are never promoted: vetoed (the
	// choice passes them over), or with FailIfNotDrained the choice fails
	// when the replica it would promote is one of them.
	NotDrained map[inst.InstanceKey]string
	// FailIfNotDrained is FailMasterPromotionIfSQLThreadNotUpToDate.
	FailIfNotDrained bool
}

// LostReplica is a replica that cannot be moved below the candidate.
type LostReplica struct {
	Instance *inst.Instance
	Reason   string
}

// Veto says a replica may not be promoted, by which rule, and why.
type Veto struct {
	Key    inst.InstanceKey
	Rule   string
	Reason string
}

// CandidateChoice is the outcome of ChooseCandidate.
type CandidateChoice struct {
	Candidate   *inst.Instance
	Moved       []*inst.Instance // at or behind the candidate: can move below it
	Lost        []LostReplica    // ahead of it, diverged, or unable to replicate from it
	Vetoed      []Veto
	Explanation []string
}

// candidate is a replica with its position, read once.
type candidate struct {
	*inst.Instance
	size    uint64 // GTID transactions (Oracle) or sum of sequence numbers (MariaDB)
	gtidErr error
}

type chooser struct {
	failed   *inst.Instance
	o        CandidateOptions
	all      []*candidate // best first
	gtid     bool         // positions compared by GTID
	oracle   bool
	version  string // most common major version among the replicas
	format   string // most common binlog format
	ignore   []*regexp.Regexp
	vetoes   []Veto
	isVetoed map[inst.InstanceKey]bool
}

// ChooseCandidate picks the replica of a failed master to promote, from
// probe data only (no server calls), and says what happens to the others.
// Replicas should have been probed just before (IsLastCheckValid derived).
//
// Order, best first: most advanced executed position (GTID sets when all
// replicas use GTID of one flavour: gtid_executed, or gtid_current_pos on
// MariaDB; else executed coordinates of the failed master); on ties
// log_slave_updates, lower major version, smaller binlog format (STATEMENT <
// MIXED < ROW), same data center as the failed master, same region, no
// errant GTID, better promotion rule.
//
// Never promoted (vetoed): must_not, hosts matching
// PromotionIgnoreHostnameFilters, unreachable replicas, delayed replicas
// (SQL_Delay > 0) unless named as the explicit candidate, replicas whose
// relay log was not applied (NotDrained, unless FailIfNotDrained), other
// data centers or regions when PreventCross*MasterFailover, replicas
// lagging at least FailMasterPromotionOnLagMinutes. The choice is the
// first replica that qualifies (log_bin and log_slave_updates, major
// version and binlog format not above the most common among the replicas);
// failing that, the first not vetoed. Among replicas as advanced as that
// one, a must or prefer replica is chosen instead when it loses no more
// replicas and brings no errant GTID. An explicit candidate is chosen
// unless vetoed. With FailIfNotDrained, a chosen replica in NotDrained
// fails the choice (ErrNotDrained) instead of being passed over.
//
// The others are Moved (at or behind the candidate) or Lost (ahead of it,
// diverged from it, or unable to replicate from it), each with a reason.
func ChooseCandidate(failed *inst.Instance, replicas []*inst.Instance, o CandidateOptions) (CandidateChoice, error) {
	c := newChooser(failed, replicas, o)
	choice := CandidateChoice{Explanation: []string{c.methodLine()}}
	if len(c.all) == 0 {
		return choice, fmt.Errorf("%w: %s has no replicas", ErrNoCandidate, c.failed.Key)
	}
	c.vetoAll()
	choice.Vetoed = c.vetoes
	for _, v := range c.vetoes {
		choice.Explanation = append(choice.Explanation, fmt.Sprintf("%s may not be promoted (%s): %s", v.Key, v.Rule, v.Reason))
	}
	chosen, why, err := c.pick()
	if err != nil {
		return choice, err
	}
	if reason, ok := o.NotDrained[chosen.Key]; ok && o.FailIfNotDrained {
		choice.Explanation = append(choice.Explanation, why...)
		return choice, fmt.Errorf("%w is set and %s, the replica to promote, has not applied its relay log (%s): no replica promoted",
			ErrNotDrained, chosen.Key, reason)
	}
	choice.Candidate = chosen.Instance
	choice.Moved, choice.Lost = c.classify(chosen)
	choice.Explanation = append(choice.Explanation, why...)
	choice.Explanation = append(choice.Explanation, c.passedOverLines(chosen)...)
	choice.Explanation = append(choice.Explanation, outcomeLines(chosen, choice)...)
	return choice, nil
}

func newChooser(failed *inst.Instance, replicas []*inst.Instance, o CandidateOptions) *chooser {
	if failed == nil {
		failed = &inst.Instance{}
	}
	c := &chooser{failed: failed, o: o, isVetoed: map[inst.InstanceKey]bool{}}
	for _, p := range o.PromotionIgnoreHostnameFilters {
		if re, err := regexp.Compile(p); err == nil && p != "" {
			c.ignore = append(c.ignore, re)
		}
	}
	present := slices.DeleteFunc(slices.Clone(replicas), func(r *inst.Instance) bool { return r == nil })
	c.gtid, c.oracle = gtidMode(present)
	for _, r := range present {
		c.all = append(c.all, c.newCandidate(r))
	}
	c.version, c.format = mostCommon(present, func(r *inst.Instance) string { return r.Version }),
		mostCommon(present, func(r *inst.Instance) string { return strings.ToUpper(r.Binlog_format) })
	sort.SliceStable(c.all, func(i, j int) bool { return c.better(c.all[i], c.all[j]) })
	return c
}

// gtidMode: compare by GTID when every replica replicates by GTID of one
// flavour.
func gtidMode(rs []*inst.Instance) (useGTID, oracle bool) {
	if len(rs) == 0 {
		return false, false
	}
	mariadb := rs[0].IsMariaDB()
	for _, r := range rs {
		if !r.UsingGTID() || r.IsMariaDB() != mariadb {
			return false, false
		}
	}
	return true, !mariadb
}

func (c *chooser) newCandidate(r *inst.Instance) *candidate {
	cd := &candidate{Instance: r}
	if !c.gtid {
		return cd
	}
	if c.oracle {
		s, err := inst.ParseOracleGTIDSet(r.ExecutedGTID())
		if cd.gtidErr = err; err == nil {
			cd.size = uint64(s.Count())
		}
		return cd
	}
	p, err := inst.ParseMariaDBGTIDPos(r.ExecutedGTID())
	for _, g := range p {
		cd.size += g.Seq
	}
	cd.gtidErr = err
	return cd
}

// mostCommon returns the most common value (major version for versions);
// ties go to the smaller value.
func mostCommon(rs []*inst.Instance, value func(*inst.Instance) string) string {
	counts := map[string]int{}
	rep := map[string]string{}
	for _, r := range rs {
		v := value(r)
		k := v
		if strings.Contains(v, ".") {
			k = inst.ParseVersion(v).MajorString()
		}
		counts[k]++
		rep[k] = v
	}
	best := ""
	for k, n := range counts {
		if best == "" || n > counts[best] || (n == counts[best] && lessValue(rep[k], rep[best])) {
			best = k
		}
	}
	return rep[best]
}

func lessValue(a, b string) bool {
	if ra, rb := formatRank(a), formatRank(b); ra != formatRankUnknown && rb != formatRankUnknown {
		return ra < rb
	}
	return inst.MajorVersionLess(a, b)
}

// comparePos is > 0 when a is more advanced than b. Diverged GTID sets
// compare by size, which agrees with containment whenever one contains the
// other.
func (c *chooser) comparePos(a, b *candidate) int {
	if !c.gtid {
		return a.ExecBinlogCoordinates.Compare(b.ExecBinlogCoordinates)
	}
	if a.gtidErr == nil && b.gtidErr == nil {
		if cmp, ok, err := inst.GTIDCompare(a.ExecutedGTID(), b.ExecutedGTID(), c.oracle); err == nil && ok {
			return cmp
		}
	}
	return cmpUint(a.size, b.size) // an unreadable set has size 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// better orders best first: position, then the tie-breakers.
func (c *chooser) better(a, b *candidate) bool {
	if p := c.comparePos(a, b); p != 0 {
		return p > 0
	}
	if a.LogReplicationUpdatesEnabled != b.LogReplicationUpdatesEnabled {
		return a.LogReplicationUpdatesEnabled
	}
	if al, bl := inst.MajorVersionLess(a.Version, b.Version), inst.MajorVersionLess(b.Version, a.Version); al != bl {
		return al
	}
	if fa, fb := formatRank(a.Binlog_format), formatRank(b.Binlog_format); fa != fb {
		return fa < fb
	}
	if sa, sb := a.DataCenter == c.failed.DataCenter, b.DataCenter == c.failed.DataCenter; sa != sb {
		return sa
	}
	if sa, sb := a.Region == c.failed.Region, b.Region == c.failed.Region; sa != sb {
		return sa
	}
	if (a.GtidErrant == "") != (b.GtidErrant == "") {
		return a.GtidErrant == ""
	}
	if ab, bb := a.PromotionRule.BetterThan(b.PromotionRule), b.PromotionRule.BetterThan(a.PromotionRule); ab != bb {
		return ab
	}
	return a.Key.String() < b.Key.String()
}

func formatRank(f string) int {
	switch strings.ToUpper(f) {
	case "STATEMENT":
		return 0
	case "MIXED":
		return 1
	case "ROW":
		return 2
	}
	return formatRankUnknown
}

// vetoChecks are the hard rules; each returns a reason when it applies.
var vetoChecks = []struct {
	rule  string
	check func(c *chooser, r *candidate) string
}{
	{VetoMustNot, func(_ *chooser, r *candidate) string {
		return when(r.PromotionRule == inst.MustNotPromoteRule, "its promotion rule is must_not")
	}},
	{VetoIgnoreHostname, func(c *chooser, r *candidate) string {
		for _, re := range c.ignore {
			if re.MatchString(r.Key.Hostname) {
				return fmt.Sprintf("hostname matches PromotionIgnoreHostnameFilters %q", re.String())
			}
		}
		return ""
	}},
	{VetoNotDrained, func(c *chooser, r *candidate) string {
		return when(!c.o.FailIfNotDrained, c.o.NotDrained[r.Key])
	}},
	{VetoDelayed, func(c *chooser, r *candidate) string {
		return when(r.SQLDelay > 0 && r.Key != c.o.ExplicitCandidate,
			fmt.Sprintf("it is a delayed replica (SQL_Delay %ds): never promoted unless named explicitly (-d)", r.SQLDelay))
	}},
	{VetoUnreachable, func(_ *chooser, r *candidate) string {
		return when(!r.IsLastCheckValid, "orchestrator cannot reach it (last check invalid)")
	}},
	{VetoUnreadableGTID, func(_ *chooser, r *candidate) string {
		return when(r.gtidErr != nil, fmt.Sprintf("cannot read its executed GTID set: %v", r.gtidErr))
	}},
	{VetoCrossDataCenter, func(c *chooser, r *candidate) string {
		return when(c.o.PreventCrossDataCenterMasterFailover && r.DataCenter != c.failed.DataCenter,
			fmt.Sprintf("data center %q differs from the failed master's %q", r.DataCenter, c.failed.DataCenter))
	}},
	{VetoCrossRegion, func(c *chooser, r *candidate) string {
		return when(c.o.PreventCrossRegionMasterFailover && r.Region != c.failed.Region,
			fmt.Sprintf("region %q differs from the failed master's %q", r.Region, c.failed.Region))
	}},
	{VetoLag, func(c *chooser, r *candidate) string {
		limit := int64(c.o.FailMasterPromotionOnLagMinutes) * secondsPerLagMinute
		return when(limit > 0 && r.ReplicationLagSeconds.Valid && r.ReplicationLagSeconds.Int64 >= limit,
			fmt.Sprintf("lags %ds, at least FailMasterPromotionOnLagMinutes (%d min)", r.ReplicationLagSeconds.Int64, c.o.FailMasterPromotionOnLagMinutes))
	}},
}

func when(cond bool, reason string) string {
	if cond {
		return reason
	}
	return ""
}

func (c *chooser) vetoAll() {
	for _, r := range c.all {
		for _, v := range vetoChecks {
			if reason := v.check(c, r); reason != "" {
				c.vetoes = append(c.vetoes, Veto{Key: r.Key, Rule: v.rule, Reason: reason})
				c.isVetoed[r.Key] = true
			}
		}
	}
}

// qualifies returns why r is not a full candidate ("" when it is).
func (c *chooser) qualifies(r *candidate) string {
	switch {
	case !r.LogBinEnabled:
		return "has no binary log"
	case !r.LogReplicationUpdatesEnabled:
		return "does not log replicated updates (log_slave_updates off)"
	case r.SQLDelay > 0:
		return fmt.Sprintf("is a delayed replica (SQL_Delay %ds)", r.SQLDelay)
	case inst.MajorVersionLess(c.version, r.Version):
		return fmt.Sprintf("runs %s, newer than most replicas' %s", r.Version, c.version)
	case formatRank(r.Binlog_format) > formatRank(c.format) && formatRank(c.format) != formatRankUnknown:
		return fmt.Sprintf("logs %s, which most replicas (%s) cannot take", r.Binlog_format, c.format)
	}
	return ""
}

// tiers: full candidates, then anything not vetoed.
var tiers = []struct {
	name string
	ok   func(c *chooser, r *candidate) bool
}{
	{"", func(c *chooser, r *candidate) bool { return c.qualifies(r) == "" }},
	{"no replica qualifies fully (log_bin, log_slave_updates, common version and format); taking the best of the others",
		func(*chooser, *candidate) bool { return true }},
}

func (c *chooser) pick() (*candidate, []string, error) {
	if c.o.ExplicitCandidate.IsValid() {
		return c.pickExplicit()
	}
	for _, t := range tiers {
		var list []*candidate
		for _, r := range c.all {
			if !c.isVetoed[r.Key] && t.ok(c, r) {
				list = append(list, r)
			}
		}
		if len(list) > 0 {
			chosen, why := c.pickAmong(list)
			if t.name != "" {
				why = append([]string{t.name}, why...)
			}
			return chosen, why, nil
		}
	}
	return nil, nil, c.noCandidate()
}

// pickAmong takes the first (most advanced) of list, or a must/prefer
// replica as advanced as it that loses no more replicas and has no errant
// GTID the first lacks.
func (c *chooser) pickAmong(list []*candidate) (*candidate, []string) {
	top := list[0]
	_, topLost := c.classify(top)
	for _, rule := range []inst.PromotionRule{inst.MustPromoteRule, inst.PreferPromoteRule} {
		if top.PromotionRule == rule || !rule.BetterThan(top.PromotionRule) {
			break
		}
		for _, r := range list[1:] {
			_, lost := c.classify(r)
			if r.PromotionRule == rule && c.comparePos(r, top) == 0 && len(lost) <= len(topLost) &&
				(r.GtidErrant == "" || top.GtidErrant != "") {
				return r, []string{fmt.Sprintf("chose %s (%s): as advanced as %s (%s) and a better promotion rule",
					r.Key, r.PromotionRule, top.Key, top.PromotionRule)}
			}
		}
	}
	return top, []string{fmt.Sprintf("chose %s (%s, data center %q): the most advanced eligible replica, at %s",
		top.Key, top.PromotionRule, top.DataCenter, c.position(top))}
}

func (c *chooser) pickExplicit() (*candidate, []string, error) {
	k := c.o.ExplicitCandidate
	for _, r := range c.all {
		if r.Key != k {
			continue
		}
		if c.isVetoed[k] {
			return nil, nil, fmt.Errorf("%w: requested candidate %s may not be promoted: %s", ErrNoCandidate, k, c.vetoReasons(k))
		}
		why := []string{fmt.Sprintf("chose %s: requested explicitly, at %s", k, c.position(r))}
		if q := c.qualifies(r); q != "" {
			why = append(why, fmt.Sprintf("note: %s %s", k, q))
		}
		return r, why, nil
	}
	return nil, nil, fmt.Errorf("%w: requested candidate %s is not a replica of %s", ErrNoCandidate, k, c.failed.Key)
}

func (c *chooser) noCandidate() error {
	parts := make([]string, 0, len(c.all))
	for _, r := range c.all {
		parts = append(parts, fmt.Sprintf("%s: %s", r.Key, c.vetoReasons(r.Key)))
	}
	return fmt.Errorf("%w among the %d replicas of %s: %s", ErrNoCandidate, len(c.all), c.failed.Key, strings.Join(parts, "; "))
}

func (c *chooser) vetoReasons(k inst.InstanceKey) string {
	var parts []string
	for _, v := range c.vetoes {
		if v.Key == k {
			parts = append(parts, fmt.Sprintf("%s (%s)", v.Reason, v.Rule))
		}
	}
	return strings.Join(parts, ", ")
}

// classify sorts the replicas other than chosen into moved and lost.
func (c *chooser) classify(chosen *candidate) ([]*inst.Instance, []LostReplica) {
	var moved []*inst.Instance
	var lost []LostReplica
	for _, r := range c.all {
		if r == chosen {
			continue
		}
		if reason := c.lostReason(r, chosen); reason != "" {
			lost = append(lost, LostReplica{Instance: r.Instance, Reason: reason})
		} else {
			moved = append(moved, r.Instance)
		}
	}
	return moved, lost
}

func (c *chooser) lostReason(r, chosen *candidate) string {
	if !r.IsLastCheckValid {
		return "orchestrator cannot reach it (last check invalid), so cannot move it"
	}
	if why := c.positionLoss(r, chosen); why != "" {
		return why
	}
	return cannotReplicate(r.Instance, chosen.Instance, c.comparePos(r, chosen) < 0)
}

// positionLoss: r has transactions the chosen replica lacks.
func (c *chooser) positionLoss(r, chosen *candidate) string {
	if !c.gtid {
		if r.ExecBinlogCoordinates.Compare(chosen.ExecBinlogCoordinates) > 0 {
			return fmt.Sprintf("ahead of the candidate: executed up to %s, the candidate only up to %s",
				r.ExecBinlogCoordinates, chosen.ExecBinlogCoordinates)
		}
		return ""
	}
	if r.gtidErr != nil {
		return "cannot read its executed GTID set: " + r.gtidErr.Error()
	}
	cmp, ok, err := inst.GTIDCompare(r.ExecutedGTID(), chosen.ExecutedGTID(), c.oracle)
	if err != nil {
		return "cannot compare its GTID set with the candidate's: " + err.Error()
	}
	if ok && cmp <= 0 {
		return ""
	}
	extra, _ := inst.ErrantGTID(r.ExecutedGTID(), chosen.ExecutedGTID(), c.oracle)
	if !ok {
		return fmt.Sprintf("diverged from the candidate: has %s, which the candidate lacks, and lacks some of the candidate's", extra)
	}
	return fmt.Sprintf("ahead of the candidate: has %s, which the candidate lacks", extra)
}

// cannotReplicate says why r cannot replicate from the candidate ("" when
// it can). behind: r needs transactions the candidate must relay.
func cannotReplicate(r, cand *inst.Instance, behind bool) string {
	switch {
	case !cand.LogBinEnabled:
		return fmt.Sprintf("the candidate %s has no binary log", cand.Key)
	case behind && !cand.LogReplicationUpdatesEnabled:
		return fmt.Sprintf("behind the candidate %s, which does not log replicated updates (log_slave_updates off)", cand.Key)
	case r.IsMariaDB() != cand.IsMariaDB():
		return fmt.Sprintf("cannot replicate across flavours (%s from %s)", r.FlavorName, cand.FlavorName)
	case inst.MajorVersionLess(r.Version, cand.Version):
		return fmt.Sprintf("runs %s, older than the candidate's %s", r.Version, cand.Version)
	case r.LogBinEnabled && r.LogReplicationUpdatesEnabled && formatRank(r.Binlog_format) != formatRankUnknown &&
		formatRank(r.Binlog_format) < formatRank(cand.Binlog_format):
		return fmt.Sprintf("logs %s and cannot relay the candidate's %s events", r.Binlog_format, cand.Binlog_format)
	case r.ServerID != 0 && r.ServerID == cand.ServerID:
		return fmt.Sprintf("has the candidate's server_id %d", r.ServerID)
	case r.ServerUUID != "" && r.ServerUUID == cand.ServerUUID:
		return fmt.Sprintf("has the candidate's server_uuid %s", r.ServerUUID)
	}
	return ""
}
