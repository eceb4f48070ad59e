package inst

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MariaDBGTID is the last GTID of one replication domain: the server that
// wrote it and its sequence number. The domain is the key of MariaDBGTIDPos.
type MariaDBGTID struct {
	ServerID uint32
	Seq      uint64
}

// MariaDBGTIDPos is a MariaDB GTID position such as "0-1-100,1-2-50"
// (domain-server_id-seq_no): at most one GTID, the last, per domain. A nil or
// empty map is the empty position.
//
// Comparisons go by sequence number per domain only; the server id is carried
// along (it changes across failovers) but never compared. A domain missing from
// a position counts as sequence number 0.
type MariaDBGTIDPos map[uint32]MariaDBGTID

// ParseMariaDBGTIDPos parses @@gtid_current_pos-style text: comma separated
// "domain-server_id-seq_no" triples, spaces and newlines around them ignored.
// The empty string is the empty position. Should a domain appear twice, the
// entry with the higher sequence number wins (the first one on a tie).
func ParseMariaDBGTIDPos(s string) (MariaDBGTIDPos, error) {
	pos := MariaDBGTIDPos{}
	for elem := range strings.SplitSeq(s, ",") {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		parts := strings.Split(elem, "-")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: invalid MariaDB GTID %q: want domain-server_id-seq_no", ErrBadRequest, elem)
		}
		domain, err1 := parseUnsigned(parts[0], 32)
		serverID, err2 := parseUnsigned(parts[1], 32)
		seq, err3 := parseUnsigned(parts[2], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("%w: invalid MariaDB GTID %q: want domain-server_id-seq_no", ErrBadRequest, elem)
		}
		if prev, ok := pos[uint32(domain)]; ok && prev.Seq >= seq {
			continue
		}
		pos[uint32(domain)] = MariaDBGTID{ServerID: uint32(serverID), Seq: seq}
	}
	return pos, nil
}

// parseUnsigned accepts plain decimal digits only (no sign, no spaces).
func parseUnsigned(s string, bits int) (uint64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return strconv.ParseUint(s, 10, bits)
}

// Domains lists the position's domains in ascending order.
func (p MariaDBGTIDPos) Domains() []uint32 {
	domains := make([]uint32, 0, len(p))
	for d := range p {
		domains = append(domains, d)
	}
	slices.Sort(domains)
	return domains
}

// String renders the canonical form, sorted by domain: "0-1-100,1-2-50".
func (p MariaDBGTIDPos) String() string {
	var b strings.Builder
	for i, d := range p.Domains() {
		if i > 0 {
			b.WriteByte(',')
		}
		g := p[d]
		fmt.Fprintf(&b, "%d-%d-%d", d, g.ServerID, g.Seq)
	}
	return b.String()
}

// IsEmpty reports a position with no domains.
func (p MariaDBGTIDPos) IsEmpty() bool { return len(p) == 0 }

// Equals reports identical positions, server ids included.
func (p MariaDBGTIDPos) Equals(o MariaDBGTIDPos) bool {
	if len(p) != len(o) {
		return false
	}
	for d, g := range p {
		if og, ok := o[d]; !ok || og != g {
			return false
		}
	}
	return true
}

// Contains reports whether p has everything o has: for every domain of o, p's
// sequence number is at least o's.
func (p MariaDBGTIDPos) Contains(o MariaDBGTIDPos) bool {
	for d, og := range o {
		if p[d].Seq < og.Seq {
			return false
		}
	}
	return true
}

// AheadOf returns p's entries for the domains where p is beyond o: p's
// sequence number is higher than o's, or o lacks the domain (and p's sequence
// number is not 0). Empty when o contains p. Used to report errant or lost
// transactions.
func (p MariaDBGTIDPos) AheadOf(o MariaDBGTIDPos) MariaDBGTIDPos {
	ahead := MariaDBGTIDPos{}
	for d, g := range p {
		if g.Seq > o[d].Seq {
			ahead[d] = g
		}
	}
	return ahead
}

// Behind returns by how many sequence numbers p trails o, summed over
// domains (capped at MaxInt64); 0 when p contains o.
func (p MariaDBGTIDPos) Behind(o MariaDBGTIDPos) int64 {
	var n uint64
	for d, og := range o {
		if seq := p[d].Seq; seq < og.Seq {
			diff := og.Seq - seq
			if diff > math.MaxInt64-n {
				return math.MaxInt64
			}
			n += diff
		}
	}
	return int64(n)
}
