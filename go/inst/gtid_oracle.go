package inst

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// GTIDInterval is an inclusive range of transaction numbers, Start >= 1.
type GTIDInterval struct {
	Start, End int64
}

func (iv GTIDInterval) String() string {
	if iv.Start == iv.End {
		return strconv.FormatInt(iv.Start, 10)
	}
	return strconv.FormatInt(iv.Start, 10) + "-" + strconv.FormatInt(iv.End, 10)
}

// OracleGTIDSet is a MySQL (Oracle flavour) GTID set such as
// "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11-18".
//
// Transactions are identified by source uuid, or by "uuid:tag" for MySQL 8.4
// tagged GTIDs. Uuids and tags are held in lower case, and each identity's
// intervals are sorted, merged and non-overlapping. The zero value is the empty
// set. Values are immutable: every operation returns a new set.
type OracleGTIDSet struct {
	sets map[string][]GTIDInterval // "uuid" or "uuid:tag" -> normalised intervals
}

// ParseOracleGTIDSet parses @@gtid_executed-style text. Elements are separated
// by commas (newlines and spaces around them are ignored); each element is
// "uuid:interval[:interval...]", where an interval is "n" or "n-m" and, since
// MySQL 8.4, a "tag" token switches the tag of the intervals after it
// ("uuid:1-5:tag:1-3"). The empty string is the empty set.
func ParseOracleGTIDSet(s string) (OracleGTIDSet, error) {
	sets := map[string][]GTIDInterval{}
	for elem := range strings.SplitSeq(s, ",") {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		if err := parseOracleGTIDElement(elem, sets); err != nil {
			return OracleGTIDSet{}, err
		}
	}
	return newOracleGTIDSet(sets), nil
}

func parseOracleGTIDElement(elem string, sets map[string][]GTIDInterval) error {
	parts := strings.Split(elem, ":")
	uuid, ok := normaliseUUID(strings.TrimSpace(parts[0]))
	if !ok {
		return fmt.Errorf("%w: invalid GTID set element %q: bad uuid %q", ErrBadRequest, elem, parts[0])
	}
	if len(parts) < 2 {
		return fmt.Errorf("%w: invalid GTID set element %q: no intervals", ErrBadRequest, elem)
	}
	key := uuid
	pending := false // a tag was named and has no interval yet
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		if p != "" && (isASCIILetter(p[0]) || p[0] == '_') {
			if pending {
				return fmt.Errorf("%w: invalid GTID set element %q: tag %q has no intervals", ErrBadRequest, elem, strings.TrimPrefix(key, uuid+":"))
			}
			tag, ok := normaliseGTIDTag(p)
			if !ok {
				return fmt.Errorf("%w: invalid GTID set element %q: bad tag %q", ErrBadRequest, elem, p)
			}
			key, pending = uuid+":"+tag, true
			continue
		}
		iv, err := parseGTIDInterval(p)
		if err != nil {
			return fmt.Errorf("%w: invalid GTID set element %q: %v", ErrBadRequest, elem, err)
		}
		sets[key] = append(sets[key], iv)
		pending = false
	}
	if pending {
		return fmt.Errorf("%w: invalid GTID set element %q: tag %q has no intervals", ErrBadRequest, elem, strings.TrimPrefix(key, uuid+":"))
	}
	return nil
}

func parseGTIDInterval(p string) (GTIDInterval, error) {
	startText, endText, isRange := strings.Cut(p, "-")
	start, err := parseGTIDNumber(strings.TrimSpace(startText))
	if err != nil {
		return GTIDInterval{}, fmt.Errorf("bad interval %q", p)
	}
	end := start
	if isRange {
		if end, err = parseGTIDNumber(strings.TrimSpace(endText)); err != nil {
			return GTIDInterval{}, fmt.Errorf("bad interval %q", p)
		}
	}
	if end < start {
		return GTIDInterval{}, fmt.Errorf("bad interval %q: end before start", p)
	}
	return GTIDInterval{Start: start, End: end}, nil
}

// parseGTIDNumber accepts plain decimal digits in [1, MaxInt64].
func parseGTIDNumber(s string) (int64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return 0, fmt.Errorf("out of range: %q", s)
	}
	return int64(n), nil
}

// normaliseUUID accepts the 8-4-4-4-12 hex form, any case.
func normaliseUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !isHexDigit(c) {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

// normaliseGTIDTag accepts a MySQL 8.4 GTID tag: a letter or underscore then
// up to 31 letters, digits or underscores; tags compare case-insensitively.
func normaliseGTIDTag(s string) (string, bool) {
	if len(s) == 0 || len(s) > 32 || !(isASCIILetter(s[0]) || s[0] == '_') {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isASCIILetter(c) || c == '_' || (c >= '0' && c <= '9')) {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// newOracleGTIDSet normalises every interval list in place and drops empty
// identities.
func newOracleGTIDSet(sets map[string][]GTIDInterval) OracleGTIDSet {
	for k, ivs := range sets {
		ivs = normaliseIntervals(ivs)
		if len(ivs) == 0 {
			delete(sets, k)
			continue
		}
		sets[k] = ivs
	}
	if len(sets) == 0 {
		return OracleGTIDSet{}
	}
	return OracleGTIDSet{sets: sets}
}

// normaliseIntervals sorts and merges overlapping or adjacent intervals.
func normaliseIntervals(ivs []GTIDInterval) []GTIDInterval {
	if len(ivs) == 0 {
		return nil
	}
	slices.SortFunc(ivs, func(a, b GTIDInterval) int {
		if a.Start != b.Start {
			if a.Start < b.Start {
				return -1
			}
			return 1
		}
		switch {
		case a.End < b.End:
			return -1
		case a.End > b.End:
			return 1
		}
		return 0
	})
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if iv.Start-1 <= last.End { // overlapping or adjacent; Start >= 1 so no overflow
			last.End = max(last.End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// String renders the canonical form: uuids sorted, untagged intervals first
// and then each tag in order, e.g. "uuid:1-5:7:tag:1-3,uuid2:1".
func (s OracleGTIDSet) String() string {
	var b strings.Builder
	prevUUID := ""
	for _, key := range s.UUIDs() {
		uuid, tag, tagged := strings.Cut(key, ":")
		if uuid != prevUUID {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(uuid)
			prevUUID = uuid
		}
		if tagged {
			b.WriteByte(':')
			b.WriteString(tag)
		}
		for _, iv := range s.sets[key] {
			b.WriteByte(':')
			b.WriteString(iv.String())
		}
	}
	return b.String()
}

// UUIDs lists the set's identities in order: "uuid", or "uuid:tag" for
// tagged GTIDs.
func (s OracleGTIDSet) UUIDs() []string {
	keys := make([]string, 0, len(s.sets))
	for k := range s.sets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Intervals returns a copy of the intervals held for an identity as listed
// by UUIDs ("uuid" or "uuid:tag", any case), or nil.
func (s OracleGTIDSet) Intervals(uuid string) []GTIDInterval {
	return slices.Clone(s.sets[strings.ToLower(uuid)])
}

// IsEmpty reports a set with no transactions.
func (s OracleGTIDSet) IsEmpty() bool { return len(s.sets) == 0 }

// Count returns the number of transactions in the set, capped at MaxInt64.
func (s OracleGTIDSet) Count() int64 {
	var n int64
	for _, ivs := range s.sets {
		for _, iv := range ivs {
			c := iv.End - iv.Start + 1 // >= 1 and no overflow: Start >= 1
			if n > math.MaxInt64-c {
				return math.MaxInt64
			}
			n += c
		}
	}
	return n
}

// Equals reports whether both sets hold exactly the same transactions.
func (s OracleGTIDSet) Equals(o OracleGTIDSet) bool {
	if len(s.sets) != len(o.sets) {
		return false
	}
	for k, ivs := range s.sets {
		if !slices.Equal(ivs, o.sets[k]) {
			return false
		}
	}
	return true
}

// Contains reports whether s is a superset of o (every transaction of o is in s).
func (s OracleGTIDSet) Contains(o OracleGTIDSet) bool {
	for k, oivs := range o.sets {
		ivs := s.sets[k]
		i := 0
		for _, oiv := range oivs {
			// Intervals are sorted and disjoint: an interval of o is contained iff
			// it fits inside a single interval of s.
			for i < len(ivs) && ivs[i].End < oiv.Start {
				i++
			}
			if i == len(ivs) || ivs[i].Start > oiv.Start || ivs[i].End < oiv.End {
				return false
			}
		}
	}
	return true
}

// Union returns the transactions in either set.
func (s OracleGTIDSet) Union(o OracleGTIDSet) OracleGTIDSet {
	sets := make(map[string][]GTIDInterval, len(s.sets)+len(o.sets))
	for k, ivs := range s.sets {
		sets[k] = slices.Clone(ivs)
	}
	for k, ivs := range o.sets {
		sets[k] = append(sets[k], ivs...)
	}
	return newOracleGTIDSet(sets)
}

// Subtract returns the transactions in s that are not in o.
func (s OracleGTIDSet) Subtract(o OracleGTIDSet) OracleGTIDSet {
	sets := make(map[string][]GTIDInterval, len(s.sets))
	for k, ivs := range s.sets {
		sets[k] = subtractIntervals(ivs, o.sets[k])
	}
	return newOracleGTIDSet(sets)
}

// subtractIntervals computes a \ b for normalised interval lists.
func subtractIntervals(a, b []GTIDInterval) []GTIDInterval {
	var out []GTIDInterval
	j := 0
	for _, iv := range a {
		cur := iv
		for j < len(b) && b[j].End < cur.Start {
			j++
		}
		k := j
		remaining := true
		for ; k < len(b) && b[k].Start <= cur.End; k++ {
			if b[k].Start > cur.Start {
				out = append(out, GTIDInterval{Start: cur.Start, End: b[k].Start - 1})
			}
			if b[k].End >= cur.End {
				remaining = false
				break
			}
			cur.Start = b[k].End + 1 // b[k].End < cur.End <= MaxInt64: no overflow
		}
		if remaining {
			out = append(out, cur)
		}
		// b[k] may still overlap the next interval of a; j stays at the first
		// interval of b that is not wholly before it.
	}
	return out
}
