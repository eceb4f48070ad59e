package inst

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyFilters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		filters []string
		key     InstanceKey
		match   bool
	}{
		{"no filters", nil, InstanceKey{"db1", 3306}, false},
		{"hostname regexp", []string{"^db"}, InstanceKey{"db1", 3306}, true},
		{"anchored hostname regexp", []string{"^db1$"}, InstanceKey{"db1", 3306}, true},
		{"anchored hostname regexp, other host", []string{"^db1$"}, InstanceKey{"db10", 3306}, false},
		{"port by host:port regexp", []string{":3307$"}, InstanceKey{"127.0.0.1", 3307}, true},
		{"port by host:port regexp, other port", []string{":3307$"}, InstanceKey{"127.0.0.1", 3308}, false},
		{"exact host:port", []string{`^127\.0\.0\.1:3307$`}, InstanceKey{"127.0.0.1", 3307}, true},
		{"IP filter matches that address", []string{"10.0.0.3"}, InstanceKey{"10.0.0.3", 3306}, true},
		{"IP filter is not a prefix regexp", []string{"10.0.0.3"}, InstanceKey{"10.0.0.38", 3306}, false},
		{"IPv6 filter canonicalised", []string{"0:0:0:0:0:0:0:1"}, InstanceKey{"::1", 3306}, true},
		{"invalid regexp skipped", []string{"(", "^db2"}, InstanceKey{"db2", 3306}, true},
		{"any of several", []string{"^x", "backup"}, InstanceKey{"db-backup-1", 3306}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.match, CompileKeyFilters(tc.filters).Match(tc.key))
		})
	}
}
