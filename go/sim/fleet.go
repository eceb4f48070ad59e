package sim

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Fleet is the set of simulated servers, addressed by host:port.
type Fleet struct {
	mu      sync.RWMutex
	servers map[string]*Server
	order   []*Server
	killers []func(*Server) // run after a server is killed (its connections close)
}

// NewFleet links servers into a fleet: each Master names another server
// of the list (or nothing), and replica lists are derived from those links.
func NewFleet(servers []*Server) (*Fleet, error) {
	f := &Fleet{servers: make(map[string]*Server, len(servers))}
	now := time.Now()
	used := map[uint32]bool{} // server_ids given explicitly: the others get unused ones
	for _, s := range servers {
		if s.ServerID != 0 {
			if used[s.ServerID] {
				return nil, fmt.Errorf("server %s: server_id %d used twice", s.Addr(), s.ServerID)
			}
			used[s.ServerID] = true
		}
	}
	nextID := uint32(1)
	for _, s := range servers {
		if s.Host == "" || s.Port <= 0 {
			return nil, fmt.Errorf("server %q: host and port are required", s.Addr())
		}
		if ip := net.ParseIP(s.Host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("server %s: host must be a loopback address (127.x.y.z)", s.Addr())
		}
		if _, dup := f.servers[s.Addr()]; dup {
			return nil, fmt.Errorf("server %s listed twice", s.Addr())
		}
		if s.Version == "" {
			return nil, fmt.Errorf("server %s: version is required", s.Addr())
		}
		if s.BinlogFormat == "" {
			s.BinlogFormat = "ROW"
		}
		if s.UUID == "" && !s.IsMariaDB() {
			s.UUID = uuidFor(s.Addr())
		}
		if s.ServerID == 0 {
			for used[nextID] {
				nextID++
			}
			s.ServerID, used[nextID] = nextID, true
		}
		s.started = now
		s.hangSignal = make(chan struct{})
		if !s.Hung {
			close(s.hangSignal)
		}
		f.servers[s.Addr()] = s
		f.order = append(f.order, s)
	}
	for _, s := range f.order {
		s.replicas, s.Replicas = nil, nil
	}
	for _, s := range f.order {
		if s.Master == "" {
			continue
		}
		m, ok := f.servers[s.Master]
		if !ok {
			return nil, fmt.Errorf("server %s: master %s is not in the fleet", s.Addr(), s.Master)
		}
		s.master = m
		m.replicas = append(m.replicas, s)
		m.Replicas = append(m.Replicas, s.Addr())
	}
	return f, nil
}

// uuidFor derives a stable server_uuid from the address.
func uuidFor(addr string) string {
	h := sha1.Sum([]byte(addr))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// LoadFleet reads a JSON file: {"servers": [Server, ...]}.
func LoadFleet(path string) (*Fleet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fleet: %w", err)
	}
	var doc struct {
		Servers []*Server `json:"servers"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse fleet %s: %w", path, err)
	}
	return NewFleet(doc.Servers)
}

// Lookup returns the server at addr (host:port).
func (f *Fleet) Lookup(addr string) *Server {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.servers[addr]
}

// Servers returns copies of every server's description, in fleet order.
func (f *Fleet) Servers() []Server {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Server, 0, len(f.order))
	for _, s := range f.order {
		c := *s
		c.Replicas = append([]string(nil), s.Replicas...)
		out = append(out, c)
	}
	return out
}

// Masters returns the addresses of the top masters, sorted.
func (f *Fleet) Masters() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []string
	for _, s := range f.order {
		if s.master == nil {
			out = append(out, s.Addr())
		}
	}
	sort.Strings(out)
	return out
}

// Len is the number of servers.
func (f *Fleet) Len() int { return len(f.order) }

// ports lists the distinct ports of the fleet.
func (f *Fleet) ports() []int {
	seen := map[int]bool{}
	var out []int
	for _, s := range f.order {
		if !seen[s.Port] {
			seen[s.Port] = true
			out = append(out, s.Port)
		}
	}
	sort.Ints(out)
	return out
}

// Fault is a change of a server's state through the control endpoint.
type Fault string

// The faults.
const (
	FaultKill         Fault = "kill"          // refuse connections; replicas lose their master
	FaultRevive       Fault = "revive"        // undo kill
	FaultHang         Fault = "hang"          // accept connections, never answer
	FaultUnhang       Fault = "unhang"        // answer again
	FaultLag          Fault = "lag"           // replication lag of Seconds
	FaultStopIO       Fault = "stop-io"       // STOP SLAVE IO_THREAD
	FaultStopSQL      Fault = "stop-sql"      // STOP SLAVE SQL_THREAD
	FaultStartReplica Fault = "start-replica" // START SLAVE
)

// onKill registers fn to run after a server is killed, outside the lock.
func (f *Fleet) onKill(fn func(*Server)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.killers = append(f.killers, fn)
}

// Apply changes one server's state. Killing a server also resets its open
// connections, as the death of the server process does.
func (f *Fleet) Apply(addr string, fault Fault, seconds int64) error {
	killed, killers, err := f.apply(addr, fault, seconds)
	if killed != nil {
		for _, fn := range killers {
			fn(killed)
		}
	}
	return err
}

// apply changes the state under the lock; it returns the server it killed
// and the callbacks to run for that.
func (f *Fleet) apply(addr string, fault Fault, seconds int64) (*Server, []func(*Server), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.servers[addr]
	if !ok {
		return nil, nil, fmt.Errorf("no simulated server %s", addr)
	}
	now := time.Now()
	switch fault {
	case FaultKill:
		if !s.Killed {
			s.frozenTrx = s.trx(now)
			s.Killed = true
		}
		return s, f.killers, nil
	case FaultRevive:
		s.Killed = false
	case FaultHang:
		if !s.Hung {
			s.Hung = true
			s.hangSignal = make(chan struct{})
		}
	case FaultUnhang:
		if s.Hung {
			s.Hung = false
			close(s.hangSignal)
		}
	case FaultLag:
		if seconds < 0 {
			return nil, nil, fmt.Errorf("lag must not be negative")
		}
		s.LagSeconds = seconds
	case FaultStopIO, FaultStopSQL, FaultStartReplica:
		return nil, nil, s.replicationControl(fault, now)
	default:
		return nil, nil, fmt.Errorf("unknown fault %q", fault)
	}
	return nil, nil, nil
}

func (s *Server) replicationControl(fault Fault, now time.Time) error {
	if s.master == nil {
		return fmt.Errorf("%s is not a replica", s.Addr())
	}
	switch fault {
	case FaultStopIO:
		if !s.IOStopped {
			s.ioFrozen, s.IOStopped = s.receivedTrx(now), true
		}
	case FaultStopSQL:
		if !s.SQLStopped {
			s.sqlFrozen, s.SQLStopped = s.trx(now), true
		}
	case FaultStartReplica:
		s.IOStopped, s.SQLStopped = false, false
	}
	return nil
}

// hangWait returns the channel closed when the server stops hanging.
func (f *Fleet) hangWait(s *Server) <-chan struct{} {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return s.hangSignal
}

func (f *Fleet) killed(s *Server) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return s.Killed
}

// Address returns the n-th generated loopback address (n from 0):
// 127.10.0.1 ... 127.10.0.250, 127.10.1.1, ... avoiding .0 and .255.
func Address(n int) string {
	return "127." + strconv.Itoa(10+n/62500) + "." + strconv.Itoa((n/250)%250) + "." + strconv.Itoa(1+n%250)
}
