package inst

import (
	"slices"
	"strings"
)

// Ancestry names the servers a replica's transactions legitimately come
// through: its master and the master's masters, up to the top. Oracle
// servers are named by server_uuid, MariaDB servers by server_id.
type Ancestry struct {
	UUIDs     []string
	ServerIDs []uint
}

// With returns the ancestry extended by i (a copy; a is unchanged).
func (a Ancestry) With(i *Instance) Ancestry {
	out := Ancestry{UUIDs: slices.Clone(a.UUIDs), ServerIDs: append(slices.Clone(a.ServerIDs), i.ServerID)}
	if i.ServerUUID != "" {
		out.UUIDs = append(out.UUIDs, strings.ToLower(i.ServerUUID))
	}
	return out
}

// ErrantAgainstAncestry is ErrantGTID for two sets read at different
// moments (the polled case): transactions originating on a server of the
// master's ancestry are left out of the comparison, because the master's
// set may simply have been read before the replica received them. What
// remains is what the replica executed from anywhere else — its own local
// writes above all — that the master lacks.
//
// Oracle: (replica minus the ancestry's uuids, tags included) minus master.
// MariaDB: the domains where the replica is ahead of the master
// (MariaDBGTIDPos.AheadOf), unless that last transaction came from a
// server of the ancestry.
func ErrantAgainstAncestry(replicaExecuted, masterExecuted string, oracle bool, a Ancestry) (string, error) {
	if oracle {
		replica, err := ParseOracleGTIDSet(replicaExecuted)
		if err != nil {
			return "", err
		}
		master, err := ParseOracleGTIDSet(masterExecuted)
		if err != nil {
			return "", err
		}
		return replica.withoutUUIDs(a.UUIDs).Subtract(master).String(), nil
	}
	replica, err := ParseMariaDBGTIDPos(replicaExecuted)
	if err != nil {
		return "", err
	}
	master, err := ParseMariaDBGTIDPos(masterExecuted)
	if err != nil {
		return "", err
	}
	ahead := replica.AheadOf(master)
	for d, g := range ahead {
		if slices.Contains(a.ServerIDs, uint(g.ServerID)) {
			delete(ahead, d)
		}
	}
	return ahead.String(), nil
}

// withoutUUIDs returns the set without the transactions of the given
// uuids (lower case), whatever their tag.
func (s OracleGTIDSet) withoutUUIDs(uuids []string) OracleGTIDSet {
	out := OracleGTIDSet{sets: make(map[string][]GTIDInterval, len(s.sets))}
	for k, iv := range s.sets {
		uuid, _, _ := strings.Cut(k, ":")
		if !slices.Contains(uuids, uuid) {
			out.sets[k] = iv
		}
	}
	return out
}
