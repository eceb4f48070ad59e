package inst

import (
	"net"
	"regexp"
)

// HostnameFilters is a compiled list of hostname regexps, as in the
// *HostnameFilters configuration keys (validated when config loads).
type HostnameFilters []*regexp.Regexp

// CompileHostnameFilters compiles the list, skipping invalid entries.
func CompileHostnameFilters(list []string) HostnameFilters {
	out := make(HostnameFilters, 0, len(list))
	for _, f := range list {
		if re, err := regexp.Compile(f); err == nil {
			out = append(out, re)
		}
	}
	return out
}

// Match reports whether any filter matches the hostname.
func (f HostnameFilters) Match(hostname string) bool {
	for _, re := range f {
		if re.MatchString(hostname) {
			return true
		}
	}
	return false
}

// KeyFilters are the Discovery*HostnameFilters, matched against a whole key
// as upstream matches them: a filter that is an IP address matches exactly
// that address (so 10.0.0.3 does not match 10.0.0.38); any other filter is
// a regexp that matches when it matches the hostname or "host:port" (so
// both "^db1$" and ":3307$" work).
type KeyFilters struct {
	ips     map[string]bool
	regexps HostnameFilters
}

// CompileKeyFilters compiles the list, skipping invalid regexps.
func CompileKeyFilters(list []string) KeyFilters {
	f := KeyFilters{ips: map[string]bool{}}
	var res []string
	for _, s := range list {
		if ip := net.ParseIP(s); ip != nil {
			f.ips[ip.String()] = true
			continue
		}
		res = append(res, s)
	}
	f.regexps = CompileHostnameFilters(res)
	return f
}

// Match reports whether any filter matches the key.
func (f KeyFilters) Match(key InstanceKey) bool {
	if f.ips[key.Hostname] {
		return true
	}
	return f.regexps.Match(key.Hostname) || f.regexps.Match(key.String())
}
