package inst

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// InstanceKey identifies a server by hostname and port.
type InstanceKey struct {
	Hostname string
	Port     int
}

var hostnameRe = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_])?$`)

// ParseInstanceKey parses "host", "host:port", "[v6]:port", "[v6]" or a bare
// IPv6 address. defaultPort is used when no port is given.
func ParseInstanceKey(s string, defaultPort int) (InstanceKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return InstanceKey{}, fmt.Errorf("%w: empty instance key", ErrBadRequest)
	}
	if len(s) > 300 {
		return InstanceKey{}, fmt.Errorf("%w: instance key too long (%d characters)", ErrBadRequest, len(s))
	}
	host, portText := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return InstanceKey{}, fmt.Errorf("%w: invalid instance key %q: missing ']'", ErrBadRequest, s)
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return InstanceKey{}, fmt.Errorf("%w: invalid instance key %q", ErrBadRequest, s)
			}
			portText = rest[1:]
		}
		if net.ParseIP(host) == nil {
			return InstanceKey{}, fmt.Errorf("%w: invalid IPv6 address %q", ErrBadRequest, host)
		}
	case strings.Count(s, ":") > 1:
		if net.ParseIP(s) == nil {
			return InstanceKey{}, fmt.Errorf("%w: invalid instance key %q", ErrBadRequest, s)
		}
	case strings.Contains(s, ":"):
		i := strings.LastIndex(s, ":")
		host, portText = s[:i], s[i+1:]
	}
	port := defaultPort
	if portText != "" {
		p, err := strconv.Atoi(portText)
		if err != nil {
			return InstanceKey{}, fmt.Errorf("%w: invalid port %q in instance key %q", ErrBadRequest, portText, s)
		}
		port = p
	}
	return NewInstanceKey(host, port)
}

// NewInstanceKey validates hostname and port.
func NewInstanceKey(host string, port int) (InstanceKey, error) {
	if host == "" {
		return InstanceKey{}, fmt.Errorf("%w: empty hostname", ErrBadRequest)
	}
	if net.ParseIP(host) == nil && !hostnameRe.MatchString(host) {
		return InstanceKey{}, fmt.Errorf("%w: invalid hostname %q", ErrBadRequest, host)
	}
	if port <= 0 || port > 65535 {
		return InstanceKey{}, fmt.Errorf("%w: invalid port %d (must be 1-65535)", ErrBadRequest, port)
	}
	return InstanceKey{Hostname: strings.ToLower(host), Port: port}, nil
}

// ParseHostPort parses the host and port path segments of an API URL.
func ParseHostPort(host, port string) (InstanceKey, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return InstanceKey{}, fmt.Errorf("%w: invalid port %q", ErrBadRequest, port)
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

// IsValid reports whether the key names a server.
func (k InstanceKey) IsValid() bool {
	return k.Hostname != "" && k.Hostname != "_" && k.Port > 0 && !strings.HasPrefix(k.Hostname, "//")
}

// IsDetached reports a master host rewritten by detach-replica-master-host.
func (k InstanceKey) IsDetached() bool { return strings.HasPrefix(k.Hostname, "//") }

// Detached returns the key with its hostname rewritten to "//host".
func (k InstanceKey) Detached() InstanceKey {
	if k.IsDetached() {
		return k
	}
	return InstanceKey{Hostname: "//" + k.Hostname, Port: k.Port}
}

// Reattached undoes Detached.
func (k InstanceKey) Reattached() InstanceKey {
	return InstanceKey{Hostname: strings.TrimPrefix(k.Hostname, "//"), Port: k.Port}
}
