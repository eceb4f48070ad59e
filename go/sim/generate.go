package sim

import (
	"fmt"
	"strings"
)

// Spec describes a generated fleet: Clusters topologies, each a master with
// FanOut replicas per server down to Depth levels, all on Port, the n-th
// cluster running Versions[n % len(Versions)].
type Spec struct {
	Clusters int
	Depth    int
	FanOut   int
	Port     int
	Versions []string // names from VersionNames or literal version strings
	GTID     bool
	// FirstAddress is the index of the first address (see Address): fleets
	// generated with different offsets do not overlap.
	FirstAddress int
}

// flavourVersions are the named versions a Spec may ask for: version
// string and version comment as the real servers report them.
var flavourVersions = map[string][2]string{
	"mysql-5.7":     {"5.7.44-log", "MySQL Community Server (GPL)"},
	"mysql-8.0":     {"8.0.39", "MySQL Community Server - GPL"},
	"mysql-8.4":     {"8.4.2", "MySQL Community Server - GPL"},
	"mariadb-10.6":  {"10.6.19-MariaDB-log", "MariaDB Server"},
	"mariadb-10.11": {"10.11.9-MariaDB-log", "MariaDB Server"},
	"mariadb-11.4":  {"11.4.3-MariaDB-log", "MariaDB Server"},
}

// VersionNames lists the names accepted in Spec.Versions.
func VersionNames() []string {
	return []string{"mysql-5.7", "mysql-8.0", "mysql-8.4", "mariadb-10.6", "mariadb-10.11", "mariadb-11.4"}
}

func resolveVersion(name string) (version, comment string, err error) {
	if v, ok := flavourVersions[strings.ToLower(name)]; ok {
		return v[0], v[1], nil
	}
	if name == "" || name[0] < '0' || name[0] > '9' {
		return "", "", fmt.Errorf("unknown version %q (one of %s, or a version string)", name, strings.Join(VersionNames(), ", "))
	}
	if strings.Contains(strings.ToLower(name), "mariadb") {
		return name, "MariaDB Server", nil
	}
	return name, "MySQL Community Server - GPL", nil
}

// PerCluster is how many servers one generated cluster has.
func (sp Spec) PerCluster() int {
	n, level := 1, 1
	for d := 0; d < sp.Depth; d++ {
		level *= sp.FanOut
		n += level
	}
	return n
}

// Generate builds the servers of a Spec.
func Generate(sp Spec) ([]*Server, error) {
	if sp.Clusters <= 0 || sp.Depth < 0 || (sp.Depth > 0 && sp.FanOut <= 0) {
		return nil, fmt.Errorf("spec needs clusters > 0, depth >= 0 and fan-out > 0 (got %d, %d, %d)", sp.Clusters, sp.Depth, sp.FanOut)
	}
	if sp.Port <= 0 || sp.Port > 65535 {
		return nil, fmt.Errorf("spec needs a port (got %d)", sp.Port)
	}
	if len(sp.Versions) == 0 {
		sp.Versions = []string{"mysql-8.0"}
	}
	total := sp.Clusters * sp.PerCluster()
	if sp.FirstAddress+total > 250*250*100 {
		return nil, fmt.Errorf("spec asks for %d servers, more than the address plan holds", total)
	}
	out := make([]*Server, 0, total)
	n := sp.FirstAddress
	for c := 0; c < sp.Clusters; c++ {
		version, comment, err := resolveVersion(sp.Versions[c%len(sp.Versions)])
		if err != nil {
			return nil, err
		}
		newServer := func(master string) *Server {
			s := &Server{
				Host: Address(n), Port: sp.Port, Version: version, VersionComment: comment,
				ServerID: uint32(n + 1), ReadOnly: master != "", LogBin: true, LogReplicaUpdates: true,
				BinlogFormat: "ROW", GTID: sp.GTID, Master: master,
			}
			n++
			out = append(out, s)
			return s
		}
		level := []*Server{newServer("")}
		for d := 0; d < sp.Depth; d++ {
			var next []*Server
			for _, m := range level {
				for k := 0; k < sp.FanOut; k++ {
					next = append(next, newServer(m.Addr()))
				}
			}
			level = next
		}
	}
	return out, nil
}
