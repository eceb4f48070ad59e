package inst

// GTIDSet is what callers need of an executed GTID set of either flavour:
// OracleGTIDSet or MariaDBGTIDPos.
type GTIDSet interface {
	String() string
	IsEmpty() bool
}

var (
	_ GTIDSet = OracleGTIDSet{}
	_ GTIDSet = MariaDBGTIDPos{}
)

// ParseGTIDSet parses an executed set: an Oracle GTID set when oracle is
// true, a MariaDB GTID position otherwise.
func ParseGTIDSet(s string, oracle bool) (GTIDSet, error) {
	if oracle {
		return ParseOracleGTIDSet(s)
	}
	return ParseMariaDBGTIDPos(s)
}

// ErrantGTID returns, in canonical text, what the replica has executed that
// the master lacks; "" when none.
//
// Oracle (oracle=true): the set difference replica - master.
//
// MariaDB (oracle=false): positions only hold the last GTID per domain, so
// errant means the replica's entries for the domains where its sequence
// number is beyond the master's, or that the master does not have at all.
// A domain whose server id differs from the master's but whose sequence number
// is not beyond it is not reported: server ids change across failovers.
func ErrantGTID(replicaExecuted, masterExecuted string, oracle bool) (string, error) {
	if oracle {
		replica, err := ParseOracleGTIDSet(replicaExecuted)
		if err != nil {
			return "", err
		}
		master, err := ParseOracleGTIDSet(masterExecuted)
		if err != nil {
			return "", err
		}
		return replica.Subtract(master).String(), nil
	}
	replica, err := ParseMariaDBGTIDPos(replicaExecuted)
	if err != nil {
		return "", err
	}
	master, err := ParseMariaDBGTIDPos(masterExecuted)
	if err != nil {
		return "", err
	}
	return replica.AheadOf(master).String(), nil
}

// GTIDCompare compares two executed sets of the same flavour. cmp is -1 when a
// is behind b (b contains a), 0 when they are equal (MariaDB: same sequence
// numbers per domain) and 1 when a is ahead (a contains b). ok is false, with
// cmp 0, when neither contains the other: they have diverged.
func GTIDCompare(a, b string, oracle bool) (cmp int, ok bool, err error) {
	var aHasB, bHasA bool
	if oracle {
		sa, err := ParseOracleGTIDSet(a)
		if err != nil {
			return 0, false, err
		}
		sb, err := ParseOracleGTIDSet(b)
		if err != nil {
			return 0, false, err
		}
		aHasB, bHasA = sa.Contains(sb), sb.Contains(sa)
	} else {
		pa, err := ParseMariaDBGTIDPos(a)
		if err != nil {
			return 0, false, err
		}
		pb, err := ParseMariaDBGTIDPos(b)
		if err != nil {
			return 0, false, err
		}
		aHasB, bHasA = pa.Contains(pb), pb.Contains(pa)
	}
	switch {
	case aHasB && bHasA:
		return 0, true, nil
	case aHasB:
		return 1, true, nil
	case bHasA:
		return -1, true, nil
	}
	return 0, false, nil
}
