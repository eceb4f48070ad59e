package inst

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// InstanceKey identifies a server by hostname and port.
type InstanceKey struct {
	Hostname string
	Port     int
}

// What a key may look like. ParseInstanceKey and NewInstanceKey accept:
//
//   - an IPv4 address in dotted-quad form ("127.0.0.1"); a name made only
//     of digits and dots that is not one ("999.999.999.999", "10.1") is
//     rejected rather than taken for a hostname;
//   - an IPv6 address, in brackets when a port follows ("[::1]:3306"),
//     bare otherwise ("::1" always takes the default port). It is stored
//     in canonical form (net.IP.String()), so "0:0:0:0:0:0:0:1" and "::1"
//     are the same key; zones ("fe80::1%eth0") are rejected;
//   - a hostname: dot-separated labels of 1 to 63 characters, 253 in all,
//     each starting and ending with a letter or digit and holding letters,
//     digits, '-' and '_' in between. RFC 1123 has no '_', but the names
//     Docker Compose gives containers ("app_mysql_1") do, and MySQL
//     report_host values carry them, so it is allowed inside a label; a
//     label that starts or ends with '_' or '-' ("_", "-db") is not. One
//     trailing dot (an absolute name) is dropped. Hostnames are lowercased;
//   - the detached form "//host" (see Detached) with a valid host after the
//     slashes, so that a detached master key printed by the CLI parses back.
//
// A port, when given after ':', is 1 to 65535 in decimal digits; a colon
// with nothing after it ("db1:") is an error, not the default port.
const (
	maxHostnameLength = 253
	maxLabelLength    = 63
	maxKeyLength      = 300
	detachedPrefix    = "//"
)

// ParseInstanceKey parses "host", "host:port", "[v6]:port", "[v6]" or a bare
// IPv6 address, and returns the canonical key. defaultPort is used when no
// port is given. Errors wrap ErrBadRequest and say what is wrong.
func ParseInstanceKey(s string, defaultPort int) (InstanceKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return InstanceKey{}, fmt.Errorf("%w: empty instance key", ErrBadRequest)
	}
	if len(s) > maxKeyLength {
		return InstanceKey{}, fmt.Errorf("%w: instance key too long (%d characters)", ErrBadRequest, len(s))
	}
	host, portText, hasPort, err := splitHostPort(s)
	if err != nil {
		return InstanceKey{}, err
	}
	port := defaultPort
	if hasPort {
		if port, err = parsePort(portText); err != nil {
			return InstanceKey{}, fmt.Errorf("%w in instance key %q", err, s)
		}
	}
	return NewInstanceKey(host, port)
}

// splitHostPort separates the host from an optional ":port".
func splitHostPort(s string) (host, port string, hasPort bool, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		end := strings.Index(rest, "]")
		if end < 0 {
			return "", "", false, fmt.Errorf("%w: invalid instance key %q: missing ']'", ErrBadRequest, s)
		}
		host, tail := rest[:end], rest[end+1:]
		if !strings.Contains(host, ":") {
			return "", "", false, fmt.Errorf("%w: invalid instance key %q: brackets are for IPv6 addresses", ErrBadRequest, s)
		}
		if tail == "" {
			return host, "", false, nil
		}
		port, ok := strings.CutPrefix(tail, ":")
		if !ok {
			return "", "", false, fmt.Errorf("%w: invalid instance key %q: unexpected %q after ']'", ErrBadRequest, s, tail)
		}
		return host, port, true, nil
	}
	if strings.Count(s, ":") > 1 {
		return s, "", false, nil // a bare IPv6 address: no port
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		return s[:i], s[i+1:], true, nil
	}
	return s, "", false, nil
}

// parsePort accepts 1 to 65535 written in decimal digits only.
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty port", ErrBadRequest)
	}
	if len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: invalid port %q", ErrBadRequest, s)
	}
	p, _ := strconv.Atoi(s)
	if err := checkPort(p); err != nil {
		return 0, err
	}
	return p, nil
}

func checkPort(port int) error {
	if port <= 0 || port > 65535 {
		return fmt.Errorf("%w: invalid port %d (must be 1-65535)", ErrBadRequest, port)
	}
	return nil
}

// NewInstanceKey validates a hostname (or address) and a port and returns
// the canonical key (see ParseInstanceKey for the rules).
func NewInstanceKey(host string, port int) (InstanceKey, error) {
	canonical, err := canonicalHost(host)
	if err != nil {
		return InstanceKey{}, err
	}
	if err := checkPort(port); err != nil {
		return InstanceKey{}, err
	}
	return InstanceKey{Hostname: canonical, Port: port}, nil
}

// canonicalHost validates host and returns its canonical spelling.
func canonicalHost(host string) (string, error) {
	if rest, ok := strings.CutPrefix(host, detachedPrefix); ok {
		h, err := canonicalHost(rest)
		if err != nil || strings.HasPrefix(rest, detachedPrefix) {
			return "", fmt.Errorf("%w: invalid detached hostname %q", ErrBadRequest, host)
		}
		return detachedPrefix + h, nil
	}
	if host == "" {
		return "", fmt.Errorf("%w: empty hostname", ErrBadRequest)
	}
	if strings.Contains(host, ":") {
		ip := net.ParseIP(host)
		if ip == nil {
			return "", fmt.Errorf("%w: invalid IPv6 address %q", ErrBadRequest, host)
		}
		return ip.String(), nil
	}
	if strings.TrimLeft(host, "0123456789.") == "" {
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() == nil {
			return "", fmt.Errorf("%w: invalid IPv4 address %q", ErrBadRequest, host)
		}
		return ip.String(), nil
	}
	name := strings.TrimSuffix(host, ".")
	if err := checkHostname(name); err != nil {
		return "", fmt.Errorf("%w: invalid hostname %q: %w", ErrBadRequest, host, err)
	}
	return strings.ToLower(name), nil
}

// checkHostname applies the label rules to a name without a trailing dot.
func checkHostname(name string) error {
	if len(name) > maxHostnameLength {
		return fmt.Errorf("longer than %d characters", maxHostnameLength)
	}
	for _, label := range strings.Split(name, ".") {
		if err := checkLabel(label); err != nil {
			return err
		}
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return fmt.Errorf("empty label")
	case len(label) > maxLabelLength:
		return fmt.Errorf("label longer than %d characters", maxLabelLength)
	case !isAlnum(label[0]) || !isAlnum(label[len(label)-1]):
		return fmt.Errorf("label %q must start and end with a letter or digit", label)
	}
	for n := 0; n < len(label); n++ {
		if c := label[n]; !isAlnum(c) && c != '-' && c != '_' {
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ParseHostPort parses the host and port path segments of an API URL.
func ParseHostPort(host, port string) (InstanceKey, error) {
	p, err := parsePort(port)
	if err != nil {
		return InstanceKey{}, err
	}
	return NewInstanceKey(host, p)
}

// String is the canonical "host:port" (IPv6 in brackets).
func (k InstanceKey) String() string {
	if strings.Contains(k.Hostname, ":") {
		return "[" + k.Hostname + "]:" + strconv.Itoa(k.Port)
	}
	return k.Hostname + ":" + strconv.Itoa(k.Port)
}

// IsValid reports whether the key names a server. "_" is a master host
// that replication reports after RESET SLAVE; "//host" a detached one.
func (k InstanceKey) IsValid() bool {
	return k.Hostname != "" && k.Hostname != "_" && k.Port > 0 && !k.IsDetached()
}

// IsDetached reports a master host rewritten by detach-replica-master-host.
func (k InstanceKey) IsDetached() bool { return strings.HasPrefix(k.Hostname, detachedPrefix) }

// Detached returns the key with its hostname rewritten to "//host".
func (k InstanceKey) Detached() InstanceKey {
	if k.IsDetached() {
		return k
	}
	return InstanceKey{Hostname: detachedPrefix + k.Hostname, Port: k.Port}
}

// Reattached undoes Detached.
func (k InstanceKey) Reattached() InstanceKey {
	return InstanceKey{Hostname: strings.TrimPrefix(k.Hostname, detachedPrefix), Port: k.Port}
}
