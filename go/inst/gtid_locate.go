package inst

import "fmt"

// LogsHolding returns the binary logs, of logs, that hold any of the
// transactions in errant. starts[n] is the GTID state logs[n] opens with
// (its Gtid_list or Previous_gtids event) and end the state after the
// last log (the server's executed position), so log n holds what lies
// between starts[n] and the next state.
//
// Oracle GTID: a log holds the set difference of its two states. MariaDB
// GTID: errant names, per domain, the last errant transaction (sequence
// number n) and master the master's position (m): the errant ones are the
// sequence numbers m+1..n of that domain, and a log holds the sequence
// numbers after its start state up to its end state.
func LogsHolding(logs, starts []string, end, errant, master string, oracle bool) ([]string, error) {
	if len(starts) != len(logs) {
		return nil, fmt.Errorf("%d logs but %d start states", len(logs), len(starts))
	}
	state := func(n int) string {
		if n+1 < len(starts) {
			return starts[n+1]
		}
		return end
	}
	holds := mariadbHolds
	if oracle {
		holds = oracleHolds
	}
	out := []string{}
	for n, log := range logs {
		ok, err := holds(starts[n], state(n), errant, master)
		if err != nil {
			return nil, fmt.Errorf("binary log %s: %w", log, err)
		}
		if ok {
			out = append(out, log)
		}
	}
	return out, nil
}

func oracleHolds(from, to, errant, _ string) (bool, error) {
	sets := make([]OracleGTIDSet, 3)
	for n, s := range []string{from, to, errant} {
		set, err := ParseOracleGTIDSet(s)
		if err != nil {
			return false, err
		}
		sets[n] = set
	}
	written, wanted := sets[1].Subtract(sets[0]), sets[2]
	return !wanted.Subtract(wanted.Subtract(written)).IsEmpty(), nil
}

func mariadbHolds(from, to, errant, master string) (bool, error) {
	pos := make([]MariaDBGTIDPos, 4)
	for n, s := range []string{from, to, errant, master} {
		p, err := ParseMariaDBGTIDPos(s)
		if err != nil {
			return false, err
		}
		pos[n] = p
	}
	start, stop, last, first := pos[0], pos[1], pos[2], pos[3]
	for d, g := range last {
		// the log has sequence numbers start+1..stop of domain d; the
		// errant ones are first+1..last.
		if start[d].Seq < g.Seq && stop[d].Seq > first[d].Seq {
			return true, nil
		}
	}
	return false, nil
}
