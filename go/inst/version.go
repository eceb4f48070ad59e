package inst

import (
	"strconv"
	"strings"
)

// Flavor names, as in the Instance JSON's FlavorName.
const (
	FlavorMySQL   = "MySQL"
	FlavorMariaDB = "MariaDB"
	FlavorPercona = "Percona"
)

// Version is a parsed server version string such as "10.11.6-MariaDB-log".
type Version struct {
	Major, Minor, Patch int
	MariaDB             bool
}

// ParseVersion reads the numeric part of a version string and whether the
// server is MariaDB.
func ParseVersion(s string) Version {
	v := Version{MariaDB: strings.Contains(strings.ToLower(s), "mariadb")}
	num := s
	if i := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		num = s[:i]
	}
	parts := strings.Split(num, ".")
	fields := []*int{&v.Major, &v.Minor, &v.Patch}
	for i := 0; i < len(parts) && i < 3; i++ {
		n, _ := strconv.Atoi(parts[i])
		*fields[i] = n
	}
	return v
}

// AtLeast compares the numeric version.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// MajorString is "8.0", "10.11".
func (v Version) MajorString() string { return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) }

// Flavor derives the flavour from the version and version_comment.
func Flavor(version, comment string) string {
	switch {
	case strings.Contains(strings.ToLower(version+comment), "mariadb"):
		return FlavorMariaDB
	case strings.Contains(strings.ToLower(comment), "percona"):
		return FlavorPercona
	}
	return FlavorMySQL
}

// MajorVersionLess compares two version strings by their major.minor part,
// as replication compatibility does (a replica may be newer than its master).
func MajorVersionLess(a, b string) bool {
	va, vb := ParseVersion(a), ParseVersion(b)
	if va.Major != vb.Major {
		return va.Major < vb.Major
	}
	return va.Minor < vb.Minor
}
