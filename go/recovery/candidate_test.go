package recovery

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

const uuid = "00020194-3333-3333-3333-333333333333"

func ckey(port int) inst.InstanceKey { return inst.InstanceKey{Hostname: "127.0.0.1", Port: port} }

type cmod func(*inst.Instance)

func failedMaster() *inst.Instance {
	return &inst.Instance{Key: ckey(21001), DataCenter: "ny", Region: "us-east", Version: "8.0.36", FlavorName: inst.FlavorMySQL}
}

// oracle is a healthy Oracle-GTID replica of 21001 with executed set gtid.
func oracle(port int, gtid string, mods ...cmod) *inst.Instance {
	i := &inst.Instance{
		Key: ckey(port), ServerID: uint(port), MasterKey: ckey(21001), Version: "8.0.36", FlavorName: inst.FlavorMySQL,
		Binlog_format: "ROW", LogBinEnabled: true, LogReplicationUpdatesEnabled: true, UsingOracleGTID: true,
		ExecutedGtidSet: gtid, IsLastCheckValid: true, PromotionRule: inst.NeutralPromoteRule,
		DataCenter: "ny", Region: "us-east", ReplicationLagSeconds: sql.NullInt64{Valid: true},
	}
	for _, m := range mods {
		m(i)
	}
	return i
}

// mariadb is a healthy MariaDB GTID replica with gtid_current_pos pos.
func mariadb(port int, pos string, mods ...cmod) *inst.Instance {
	i := oracle(port, "", mods...)
	i.Version, i.FlavorName, i.UsingOracleGTID, i.UsingMariaDBGTID = "10.11.6-MariaDB-log", inst.FlavorMariaDB, false, true
	i.MariaDBGtidCurrentPos = pos
	return i
}

// coords is a file:pos replica (no GTID) that executed up to pos.
func coords(port int, pos int64, mods ...cmod) *inst.Instance {
	i := oracle(port, "", mods...)
	i.UsingOracleGTID = false
	i.ExecBinlogCoordinates = inst.BinlogCoordinates{LogFile: "mysql-bin.000007", LogPos: pos}
	return i
}

func rule(r inst.PromotionRule) cmod { return func(i *inst.Instance) { i.PromotionRule = r } }
func dc(d string) cmod               { return func(i *inst.Instance) { i.DataCenter = d } }
func region(r string) cmod           { return func(i *inst.Instance) { i.Region = r } }
func ver(v string) cmod              { return func(i *inst.Instance) { i.Version = v } }
func binlogFormat(f string) cmod     { return func(i *inst.Instance) { i.Binlog_format = f } }
func lag(s int64) cmod               { return func(i *inst.Instance) { i.ReplicationLagSeconds.Int64 = s } }
func sqlDelay(i *inst.Instance)      { i.SQLDelay = 3600 }
func noLSU(i *inst.Instance)         { i.LogReplicationUpdatesEnabled = false }
func unreachable(i *inst.Instance)   { i.IsLastCheckValid = false }
func host(h string) cmod             { return func(i *inst.Instance) { i.Key.Hostname = h } }

func gtid(n int) string { return uuid + ":1-" + strconv.Itoa(n) }

type candidateCase struct {
	name     string
	replicas []*inst.Instance
	opts     CandidateOptions
	want     int            // chosen port; 0 = error expected
	moved    []int          // in best-first order
	lost     map[int]string // port -> reason substring
	vetoed   map[int]string // port -> rule
	err      string
	explain  []string
}

func (c candidateCase) run(t *testing.T) {
	t.Helper()
	choice, err := ChooseCandidate(failedMaster(), c.replicas, c.opts)
	vetoes := map[int]string{}
	for _, v := range choice.Vetoed {
		vetoes[v.Key.Port] = v.Rule
	}
	if c.vetoed == nil {
		c.vetoed = map[int]string{}
	}
	require.Equal(t, c.vetoed, vetoes)
	if c.want == 0 {
		require.ErrorIs(t, err, ErrNoCandidate)
		require.ErrorContains(t, err, c.err)
		return
	}
	require.NoError(t, err)
	text := strings.Join(choice.Explanation, "\n")
	require.Equal(t, c.want, choice.Candidate.Key.Port, text)
	moved := []int{}
	for _, m := range choice.Moved {
		moved = append(moved, m.Key.Port)
	}
	if c.moved == nil {
		c.moved = []int{}
	}
	require.Equal(t, c.moved, moved, text)
	require.Len(t, choice.Lost, len(c.lost), text)
	for _, l := range choice.Lost {
		require.Contains(t, l.Reason, c.lost[l.Instance.Key.Port], text)
	}
	for _, sub := range c.explain {
		require.Contains(t, text, sub)
	}
}

func TestChooseCandidate(t *testing.T) {
	t.Parallel()
	cases := []candidateCase{
		{name: "most advanced chosen", want: 21002, moved: []int{21004, 21003},
			replicas: []*inst.Instance{oracle(21003, gtid(90)), oracle(21002, gtid(100)), oracle(21004, gtid(95))},
			explain:  []string{"compared by executed GTID set", "chose 127.0.0.1:21002 (neutral, data center \"ny\"): the most advanced", "2 replicas can move below 127.0.0.1:21002"}},
		{name: "must_not never promoted even when most advanced: next chosen, must_not moved below", want: 21003, moved: []int{21002, 21004},
			replicas: []*inst.Instance{oracle(21002, gtid(100), rule(inst.MustNotPromoteRule)), oracle(21003, gtid(100)), oracle(21004, gtid(90))},
			vetoed:   map[int]string{21002: VetoMustNot}, explain: []string{"127.0.0.1:21002 may not be promoted (must_not)"}},
		{name: "must_not strictly ahead is lost", want: 21003, moved: []int{},
			replicas: []*inst.Instance{oracle(21002, gtid(100), rule(inst.MustNotPromoteRule)), oracle(21003, gtid(90))},
			vetoed:   map[int]string{21002: VetoMustNot}, lost: map[int]string{21002: "ahead of the candidate: has " + uuid + ":91-100"}},
		{name: "prefer chosen when as advanced", want: 21003, moved: []int{21002, 21004},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(100), rule(inst.PreferPromoteRule), dc("sf")), oracle(21004, gtid(80))},
			explain:  []string{"chose 127.0.0.1:21003 (prefer): as advanced as 127.0.0.1:21002 (neutral)"}},
		{name: "must beats prefer when as advanced", want: 21004, moved: []int{21003, 21002},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(100), rule(inst.PreferPromoteRule)), oracle(21004, gtid(100), rule(inst.MustPromoteRule))}},
		{name: "most advanced neutral chosen over less advanced prefer", want: 21002, moved: []int{21003},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90), rule(inst.PreferPromoteRule))},
			explain:  []string{"127.0.0.1:21003 (prefer) not chosen: it is behind 127.0.0.1:21002"}},
		{name: "same data center as the failed master wins a tie", want: 21003, moved: []int{21002},
			replicas: []*inst.Instance{oracle(21002, gtid(100), dc("sf")), oracle(21003, gtid(100))}},
		{name: "PreventCrossDataCenterMasterFailover", want: 21003, moved: []int{}, opts: CandidateOptions{PreventCrossDataCenterMasterFailover: true},
			replicas: []*inst.Instance{oracle(21002, gtid(100), dc("sf")), oracle(21003, gtid(90))},
			vetoed:   map[int]string{21002: VetoCrossDataCenter}, lost: map[int]string{21002: "ahead of the candidate"},
			explain: []string{`data center "sf" differs from the failed master's "ny"`}},
		{name: "PreventCrossRegionMasterFailover", want: 21003, moved: []int{21002}, opts: CandidateOptions{PreventCrossRegionMasterFailover: true},
			replicas: []*inst.Instance{oracle(21002, gtid(100), region("eu")), oracle(21003, gtid(100))},
			vetoed:   map[int]string{21002: VetoCrossRegion}},
		{name: "every replica vetoed: error explains each", opts: CandidateOptions{PreventCrossDataCenterMasterFailover: true},
			replicas: []*inst.Instance{oracle(21002, gtid(100), dc("sf")), oracle(21003, gtid(90), rule(inst.MustNotPromoteRule))},
			vetoed:   map[int]string{21002: VetoCrossDataCenter, 21003: VetoMustNot},
			err:      `127.0.0.1:21002: data center "sf" differs from the failed master's "ny" (PreventCrossDataCenterMasterFailover); 127.0.0.1:21003: its promotion rule is must_not (must_not)`},
		{name: "delayed replica never promoted, even most advanced", want: 21003, moved: []int{21002},
			replicas: []*inst.Instance{oracle(21002, gtid(100), sqlDelay), oracle(21003, gtid(100))},
			vetoed:   map[int]string{21002: VetoDelayed},
			explain:  []string{"127.0.0.1:21002 (neutral) not chosen: it is a delayed replica (SQL_Delay 3600s): never promoted unless named explicitly (-d)"}},
		{name: "delayed replica not promoted even when nothing else is left",
			replicas: []*inst.Instance{oracle(21002, gtid(100), sqlDelay), oracle(21003, gtid(100), unreachable)},
			vetoed:   map[int]string{21002: VetoDelayed, 21003: VetoUnreachable},
			err:      "127.0.0.1:21002: it is a delayed replica (SQL_Delay 3600s): never promoted unless named explicitly (-d) (delayed)"},
		{name: "delayed replica promoted when named explicitly (-d)", want: 21002, moved: []int{21003}, opts: CandidateOptions{ExplicitCandidate: ckey(21002)},
			replicas: []*inst.Instance{oracle(21002, gtid(100), sqlDelay), oracle(21003, gtid(100))},
			explain:  []string{"chose 127.0.0.1:21002: requested explicitly", "note: 127.0.0.1:21002 is a delayed replica (SQL_Delay 3600s)"}},
		{name: "not drained: passed over, the reason recorded", want: 21003, moved: []int{},
			opts:     CandidateOptions{NotDrained: map[inst.InstanceKey]string{ckey(21002): "its SQL thread is stopped"}},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90))},
			vetoed:   map[int]string{21002: VetoNotDrained}, lost: map[int]string{21002: "ahead of the candidate"},
			explain: []string{"127.0.0.1:21002 may not be promoted (relay-log-not-applied): its SQL thread is stopped"}},
		{name: "not drained and nothing else: no promotion",
			opts:     CandidateOptions{NotDrained: map[inst.InstanceKey]string{ckey(21002): "its SQL thread is stopped"}},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90), rule(inst.MustNotPromoteRule))},
			vetoed:   map[int]string{21002: VetoNotDrained, 21003: VetoMustNot},
			err:      "127.0.0.1:21002: its SQL thread is stopped (relay-log-not-applied)"},
		{name: "FailIfNotDrained: a not drained replica that would be chosen fails the choice",
			opts:     CandidateOptions{FailIfNotDrained: true, NotDrained: map[inst.InstanceKey]string{ckey(21002): "its SQL thread is stopped"}},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90))},
			err:      "FailMasterPromotionIfSQLThreadNotUpToDate is set and 127.0.0.1:21002, the replica to promote, has not applied its relay log (its SQL thread is stopped)"},
		{name: "FailIfNotDrained: a not drained replica that would not be chosen does not matter", want: 21003, moved: []int{21002},
			opts:     CandidateOptions{FailIfNotDrained: true, NotDrained: map[inst.InstanceKey]string{ckey(21002): "its SQL thread is stopped"}},
			replicas: []*inst.Instance{oracle(21002, gtid(90)), oracle(21003, gtid(100))}},
		{name: "same region as the failed master breaks a tie after data center", want: 21003, moved: []int{21002},
			replicas: []*inst.Instance{oracle(21002, gtid(100), dc("sf"), region("eu")), oracle(21003, gtid(100), dc("sf"))}},
		{name: "data center ranks before region", want: 21003, moved: []int{21002},
			replicas: []*inst.Instance{oracle(21002, gtid(100), dc("sf")), oracle(21003, gtid(100), region("eu"))}},
		{name: "explicit candidate chosen though behind", want: 21003, moved: []int{21004}, opts: CandidateOptions{ExplicitCandidate: ckey(21003)},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90)), oracle(21004, gtid(80))},
			lost:     map[int]string{21002: "ahead of the candidate"},
			explain:  []string{"chose 127.0.0.1:21003: requested explicitly", "127.0.0.1:21002 (neutral) not chosen: 127.0.0.1:21003 was requested explicitly"}},
		{name: "explicit candidate vetoed", opts: CandidateOptions{ExplicitCandidate: ckey(21003)},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(100), rule(inst.MustNotPromoteRule))},
			vetoed:   map[int]string{21003: VetoMustNot}, err: "requested candidate 127.0.0.1:21003 may not be promoted: its promotion rule is must_not"},
		{name: "explicit candidate not a replica", opts: CandidateOptions{ExplicitCandidate: ckey(21009)},
			replicas: []*inst.Instance{oracle(21002, gtid(100))}, err: "requested candidate 127.0.0.1:21009 is not a replica of 127.0.0.1:21001"},
		{name: "older major version is lost", want: 21002, moved: []int{21004},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90), ver("5.7.44-log")), oracle(21004, gtid(90))},
			lost:     map[int]string{21003: "runs 5.7.44-log, older than the candidate's 8.0.36"}},
		{name: "lower major version wins a tie", want: 21003, moved: []int{21004, 21002},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(100), ver("5.7.44")), oracle(21004, gtid(100), ver("5.7.40"))}},
		{name: "newer than most replicas does not qualify", want: 21003, moved: []int{21004},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90), ver("5.7.44")), oracle(21004, gtid(90), ver("5.7.44"))},
			lost:     map[int]string{21002: "ahead of the candidate"}, explain: []string{"runs 8.0.36, newer than most replicas' 5.7.44"}},
		{name: "incompatible binlog format is lost", want: 21002, moved: []int{21004},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, gtid(90), binlogFormat("STATEMENT")), oracle(21004, gtid(90))},
			lost:     map[int]string{21003: "logs STATEMENT and cannot relay the candidate's ROW events"}},
		{name: "FailMasterPromotionOnLagMinutes", want: 21003, moved: []int{21002}, opts: CandidateOptions{FailMasterPromotionOnLagMinutes: 1},
			replicas: []*inst.Instance{oracle(21002, gtid(100), lag(120)), oracle(21003, gtid(100), lag(5))},
			vetoed:   map[int]string{21002: VetoLag}, explain: []string{"lags 120s, at least FailMasterPromotionOnLagMinutes (1 min)"}},
		{name: "PromotionIgnoreHostnameFilters", want: 21003, moved: []int{21002}, opts: CandidateOptions{PromotionIgnoreHostnameFilters: []string{"^backup"}},
			replicas: []*inst.Instance{oracle(21002, gtid(100), host("backup1")), oracle(21003, gtid(100))},
			vetoed:   map[int]string{21002: VetoIgnoreHostname}},
		{name: "replica without log_slave_updates: qualified one preferred", want: 21003, moved: []int{},
			replicas: []*inst.Instance{oracle(21002, gtid(100), noLSU), oracle(21003, gtid(90))},
			lost:     map[int]string{21002: "ahead"}, explain: []string{"127.0.0.1:21002 (neutral) not chosen: it does not log replicated updates"}},
		{name: "only replicas without log_slave_updates: best taken, others lost", want: 21002, moved: []int{},
			replicas: []*inst.Instance{oracle(21002, gtid(100), noLSU), oracle(21003, gtid(90), noLSU)},
			lost:     map[int]string{21003: "log_slave_updates off"}, explain: []string{"no replica qualifies fully"}},
		{name: "binlog coordinates without GTID", want: 21003, moved: []int{21002},
			replicas: []*inst.Instance{coords(21002, 500), coords(21003, 900)}, explain: []string{"compared by executed coordinates"}},
		{name: "MariaDB multi-domain: the one containing both wins", want: 21002, moved: []int{21003, 21004},
			replicas: []*inst.Instance{mariadb(21003, "0-1-100,1-2-40"), mariadb(21002, "0-1-100,1-2-50"), mariadb(21004, "0-1-90,1-2-50")},
			explain:  []string{"compared by MariaDB GTID position (gtid_current_pos)"}},
		{name: "MariaDB multi-domain: diverged replica is lost", want: 21003, moved: []int{},
			replicas: []*inst.Instance{mariadb(21002, "0-1-100,1-2-40"), mariadb(21003, "0-1-90,1-2-60")},
			lost:     map[int]string{21002: "diverged from the candidate: has 0-1-100"}},
		{name: "MariaDB: server id differences do not matter", want: 21002, moved: []int{21003},
			replicas: []*inst.Instance{mariadb(21002, "0-1-100"), mariadb(21003, "0-7-100")}},
		{name: "unreadable GTID set vetoed and lost", want: 21002, moved: []int{},
			replicas: []*inst.Instance{oracle(21002, gtid(100)), oracle(21003, "garbage")},
			vetoed:   map[int]string{21003: VetoUnreadableGTID}, lost: map[int]string{21003: "cannot read its executed GTID set"}},
		{name: "no replicas", err: "127.0.0.1:21001 has no replicas"},
	}
	cases = append(cases, candidateCase{name: "FailIfNotDrained error is ErrNotDrained",
		opts:     CandidateOptions{FailIfNotDrained: true, NotDrained: map[inst.InstanceKey]string{ckey(21002): "x"}},
		replicas: []*inst.Instance{oracle(21002, gtid(100))}, err: "no replica promoted"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

func TestChooseCandidateNotDrainedErrorKind(t *testing.T) {
	t.Parallel()
	_, err := ChooseCandidate(failedMaster(), []*inst.Instance{oracle(21002, gtid(100))},
		CandidateOptions{FailIfNotDrained: true, NotDrained: map[inst.InstanceKey]string{ckey(21002): "x"}})
	require.ErrorIs(t, err, ErrNotDrained)
	require.ErrorIs(t, err, ErrNoCandidate)
}

func TestCoMasterSuccessor(t *testing.T) {
	t.Parallel()
	other := ckey(21002)
	coMaster := func(mods ...cmod) *inst.Instance {
		i := mariadb(21002, "0-1-100")
		i.ReadOnly = true
		for _, m := range mods {
			m(i)
		}
		return i
	}
	writable := func(i *inst.Instance) { i.ReadOnly = false }
	cases := []struct {
		name     string
		other    *inst.Instance
		explicit inst.InstanceKey
		must     bool
		want     inst.InstanceKey // zero: free choice
		line     string
		err      string
	}{
		{name: "writable and healthy: it must be promoted, whatever the setting", other: coMaster(writable), want: other,
			line: "127.0.0.1:21002 is writable and healthy: it must be the one promoted"},
		{name: "writable and healthy, with the setting", other: coMaster(writable), must: true, want: other, line: "writable and healthy"},
		{name: "writable but unreachable: still required (two writable masters otherwise)", other: coMaster(writable, unreachable), want: other,
			line: "was writable when last seen and cannot be reached now"},
		{name: "writable: an explicit other candidate is refused", other: coMaster(writable), explicit: ckey(21003),
			err: "the surviving co-master 127.0.0.1:21002 is writable: promoting 127.0.0.1:21003 would leave two writable masters"},
		{name: "writable: explicitly naming it is fine", other: coMaster(writable), explicit: other, want: other, line: "writable and healthy"},
		{name: "read-only with CoMasterRecoveryMustPromoteOtherCoMaster", other: coMaster(), must: true, want: other,
			line: "must be promoted (CoMasterRecoveryMustPromoteOtherCoMaster)"},
		{name: "read-only without the setting: free choice", other: coMaster(), line: "is read-only and CoMasterRecoveryMustPromoteOtherCoMaster is off"},
		{name: "read-only, explicit candidate wins over the setting", other: coMaster(), must: true, explicit: ckey(21003), want: ckey(21003),
			line: "promoting the requested 127.0.0.1:21003"},
		{name: "unreadable with the setting: still required", must: true, want: other, line: "CoMasterRecoveryMustPromoteOtherCoMaster"},
		{name: "unreadable without the setting: free choice", line: "cannot be read; any replica may be promoted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, line, err := coMasterSuccessor(c.other, other, c.explicit, c.must)
			if c.err != "" {
				require.ErrorIs(t, err, ErrNoPromotion)
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Contains(t, line, c.line)
		})
	}
}
