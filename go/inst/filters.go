package inst

import "regexp"

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
