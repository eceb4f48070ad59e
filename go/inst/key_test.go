package inst

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseInstanceKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     InstanceKey
	}{
		{"hostname, default port", "db1", InstanceKey{"db1", 3306}},
		{"hostname and port", "db1:3307", InstanceKey{"db1", 3307}},
		{"lowercased", "DB1.Example.COM:3306", InstanceKey{"db1.example.com", 3306}},
		{"surrounding spaces trimmed", "  db1:3306 ", InstanceKey{"db1", 3306}},
		{"trailing dot of an absolute name dropped", "db1.example.com.:3306", InstanceKey{"db1.example.com", 3306}},
		{"hyphen inside a label", "db-1.dc-2:3306", InstanceKey{"db-1.dc-2", 3306}},
		{"underscore inside a label (Docker Compose names)", "app_mysql_1:3306", InstanceKey{"app_mysql_1", 3306}},
		{"label starting with a digit", "1db:3306", InstanceKey{"1db", 3306}},
		{"single letter", "a", InstanceKey{"a", 3306}},
		{"IPv4", "127.0.0.1:3307", InstanceKey{"127.0.0.1", 3307}},
		{"IPv4, default port", "192.0.2.10", InstanceKey{"192.0.2.10", 3306}},
		{"IPv6 in brackets with port", "[::1]:3307", InstanceKey{"::1", 3307}},
		{"IPv6 in brackets, default port", "[2001:db8::1]", InstanceKey{"2001:db8::1", 3306}},
		{"bare IPv6 takes the default port", "2001:db8::1", InstanceKey{"2001:db8::1", 3306}},
		{"bare IPv6 ending in digits is still an address", "::1:3306", InstanceKey{"::1:3306", 3306}},
		{"IPv6 canonicalised", "[0:0:0:0:0:0:0:1]:3306", InstanceKey{"::1", 3306}},
		{"IPv6 leading zeros and case canonicalised", "[2001:0DB8:0000::0001]:3306", InstanceKey{"2001:db8::1", 3306}},
		{"IPv4-mapped IPv6 is the IPv4 address", "[::ffff:127.0.0.1]:3306", InstanceKey{"127.0.0.1", 3306}},
		{"port 1", "db1:1", InstanceKey{"db1", 1}},
		{"port 65535", "db1:65535", InstanceKey{"db1", 65535}},
		{"detached master host", "//db1:3306", InstanceKey{"//db1", 3306}},
		{"detached master host canonicalised", "//DB1", InstanceKey{"//db1", 3306}},
		{"longest label", strings.Repeat("a", 63) + ":3306", InstanceKey{strings.Repeat("a", 63), 3306}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseInstanceKey(tc.in, 3306)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseInstanceKeyRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, reason string
	}{
		{"empty", "", "empty instance key"},
		{"only spaces", "   ", "empty instance key"},
		{"empty port after colon", "db1:", "empty port"},
		{"only a colon", ":", "empty port"},
		{"empty host", ":3306", "empty hostname"},
		{"port zero", "db1:0", "invalid port 0"},
		{"port too large", "db1:65536", "invalid port 65536"},
		{"port not a number", "db1:abc", `invalid port "abc"`},
		{"signed port", "db1:+3306", `invalid port "+3306"`},
		{"negative port", "db1:-1", `invalid port "-1"`},
		{"port with spaces", "db1: 3306", `invalid port " 3306"`},
		{"overlong port", "db1:000003306", `invalid port "000003306"`},
		{"dotted quad out of range", "999.999.999.999", `invalid IPv4 address "999.999.999.999"`},
		{"dotted quad out of range with port", "256.1.1.1:3306", "invalid IPv4 address"},
		{"three-part number", "10.0.1", "invalid IPv4 address"},
		{"plain number", "12345", "invalid IPv4 address"},
		{"IPv4 with leading zeros", "010.0.0.1", "invalid IPv4 address"},
		{"IPv4 with trailing dot", "10.0.0.1.", "invalid IPv4 address"},
		{"underscore alone", "_", "must start and end with a letter or digit"},
		{"leading underscore", "_db1:3306", "must start and end with a letter or digit"},
		{"leading hyphen", "-db1", "must start and end with a letter or digit"},
		{"trailing hyphen in a label", "db1-.example.com", "must start and end with a letter or digit"},
		{"empty label", "db1..example.com", "empty label"},
		{"leading dot", ".db1", "empty label"},
		{"two trailing dots", "db1..", "empty label"},
		{"space inside", "db 1:3306", "not allowed"},
		{"slash", "db1/x:3306", "not allowed"},
		{"non-ASCII", "dß1:3306", "not allowed"},
		{"label too long", strings.Repeat("a", 64), "label longer than 63"},
		{"name too long", strings.Repeat(strings.Repeat("a", 60)+".", 4) + strings.Repeat("a", 10), "longer than 253"},
		{"key too long", strings.Repeat("a", 301), "too long"},
		{"missing bracket", "[::1:3306", "missing ']'"},
		{"junk after bracket", "[::1]3306", "unexpected"},
		{"empty port after bracket", "[::1]:", "empty port"},
		{"hostname in brackets", "[db1]:3306", "brackets are for IPv6"},
		{"IPv4 in brackets", "[127.0.0.1]:3306", "brackets are for IPv6"},
		{"invalid IPv6", "[::g]:3306", "invalid IPv6 address"},
		{"IPv6 zone", "[fe80::1%eth0]:3306", "invalid IPv6 address"},
		{"double colon in a name", "dbz::3306", "invalid IPv6 address"},
		{"hex-looking name with double colon is an address, not a port", "db1::3306x", "invalid IPv6 address"},
		{"detached without a host", "//:3306", "invalid detached hostname"},
		{"detached twice", "////db1", "invalid detached hostname"},
		{"detached garbage", "//_", "invalid detached hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseInstanceKey(tc.in, 3306)
			require.ErrorIs(t, err, ErrBadRequest)
			require.ErrorContains(t, err, tc.reason)
		})
	}
}

func TestParseInstanceKeyDefaultPort(t *testing.T) {
	t.Parallel()
	k, err := ParseInstanceKey("db1", 3307)
	require.NoError(t, err)
	require.Equal(t, 3307, k.Port)
	_, err = ParseInstanceKey("db1", 0)
	require.ErrorIs(t, err, ErrBadRequest, "no port given and no usable default")
}

func TestIPv6SpellingsAreOneKey(t *testing.T) {
	t.Parallel()
	a, err := ParseInstanceKey("[0:0:0:0:0:0:0:1]:3306", 3306)
	require.NoError(t, err)
	b, err := ParseInstanceKey("[::1]:3306", 3306)
	require.NoError(t, err)
	c, err := NewInstanceKey("0000::0001", 3306)
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.Equal(t, b, c)
	require.Equal(t, "[::1]:3306", a.String())
}

func TestNewInstanceKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, host string
		port       int
		want       InstanceKey
		reason     string
	}{
		{name: "hostname", host: "DB1", port: 3306, want: InstanceKey{"db1", 3306}},
		{name: "IPv6 canonicalised", host: "0:0:0:0:0:0:0:1", port: 3306, want: InstanceKey{"::1", 3306}},
		{name: "IPv4", host: "127.0.0.1", port: 3306, want: InstanceKey{"127.0.0.1", 3306}},
		{name: "empty", host: "", port: 3306, reason: "empty hostname"},
		{name: "underscore", host: "_", port: 3306, reason: "must start and end"},
		{name: "bad IPv4", host: "999.999.999.999", port: 3306, reason: "invalid IPv4"},
		{name: "port zero", host: "db1", port: 0, reason: "invalid port 0"},
		{name: "port negative", host: "db1", port: -3306, reason: "invalid port -3306"},
		{name: "port too large", host: "db1", port: 70000, reason: "invalid port 70000"},
		{name: "brackets are not part of a hostname", host: "[::1]", port: 3306, reason: "invalid IPv6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewInstanceKey(tc.host, tc.port)
			if tc.reason != "" {
				require.ErrorIs(t, err, ErrBadRequest)
				require.ErrorContains(t, err, tc.reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseHostPort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, host, port string
		want             InstanceKey
		reason           string
	}{
		{name: "hostname", host: "db1", port: "3306", want: InstanceKey{"db1", 3306}},
		{name: "IPv6 path segment", host: "0:0::1", port: "3307", want: InstanceKey{"::1", 3307}},
		{name: "empty port", host: "db1", port: "", reason: "empty port"},
		{name: "signed port", host: "db1", port: "+1", reason: "invalid port"},
		{name: "negative port", host: "db1", port: "-1", reason: "invalid port"},
		{name: "bad host", host: "999.1.1.1", port: "3306", reason: "invalid IPv4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseHostPort(tc.host, tc.port)
			if tc.reason != "" {
				require.ErrorIs(t, err, ErrBadRequest)
				require.ErrorContains(t, err, tc.reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestInstanceKeyString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		key  InstanceKey
		want string
	}{
		{"hostname", InstanceKey{"db1", 3306}, "db1:3306"},
		{"IPv4", InstanceKey{"127.0.0.1", 3307}, "127.0.0.1:3307"},
		{"IPv6 in brackets", InstanceKey{"::1", 3306}, "[::1]:3306"},
		{"detached", InstanceKey{"//db1", 3306}, "//db1:3306"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.key.String())
			back, err := ParseInstanceKey(tc.want, 1)
			require.NoError(t, err)
			require.Equal(t, tc.key, back, "String parses back")
		})
	}
}

func TestInstanceKeyValidity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		key             InstanceKey
		valid, detached bool
	}{
		{"a server", InstanceKey{"db1", 3306}, true, false},
		{"no host", InstanceKey{"", 3306}, false, false},
		{"no port", InstanceKey{"db1", 0}, false, false},
		{"master host after RESET SLAVE", InstanceKey{"_", 3306}, false, false},
		{"detached master host", InstanceKey{"//db1", 3306}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.valid, tc.key.IsValid())
			require.Equal(t, tc.detached, tc.key.IsDetached())
		})
	}
}

func TestDetachedRoundTrip(t *testing.T) {
	t.Parallel()
	k := InstanceKey{"db1", 3306}
	d := k.Detached()
	require.Equal(t, InstanceKey{"//db1", 3306}, d)
	require.Equal(t, d, d.Detached(), "detaching twice changes nothing")
	require.Equal(t, k, d.Reattached())
	require.Equal(t, k, k.Reattached(), "reattaching an attached key changes nothing")
}

// FuzzParseInstanceKey: parsing never panics, and a key that parses prints
// (String) as text that parses back to the same key.
func FuzzParseInstanceKey(f *testing.F) {
	for _, seed := range []string{
		"db1", "db1:3306", "DB1.example.com.:3307", "127.0.0.1:3306", "[::1]:3306", "::1",
		"[0:0:0:0:0:0:0:1]", "[::ffff:10.0.0.1]:1", "//db1:3306", "999.999.999.999", "db1:", "_",
		"[", "]:", "a..b", "app_mysql_1:65535", "//[::1]:3306", "1.2.3.4.", "db1:+1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseInstanceKey(s, 3306)
		if err != nil {
			require.ErrorIs(t, err, ErrBadRequest)
			return
		}
		require.NotEmpty(t, k.Hostname)
		require.True(t, k.Port > 0 && k.Port <= 65535, "port %d", k.Port)
		again, err := ParseInstanceKey(k.String(), 1)
		require.NoError(t, err, "%q parsed as %q, which does not parse", s, k.String())
		require.Equal(t, k, again, "%q", s)
		n, err := NewInstanceKey(k.Hostname, k.Port)
		require.NoError(t, err)
		require.Equal(t, k, n, "a parsed key is canonical")
	})
}
