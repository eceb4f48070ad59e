package sim

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Simulator serves a Fleet over the MySQL protocol: one wildcard listener
// per port, the simulated server chosen by the local address each
// connection arrived on (127.x.y.z), so 10,000 servers cost one listening
// socket and one socket per open client connection.
type Simulator struct {
	fleet     *Fleet
	listeners []net.Listener
	wg        sync.WaitGroup
	connID    atomic.Uint32
	conns     sync.Map // net.Conn -> *Server
	queries   atomic.Uint64
	closing   chan struct{}
}

// Listen opens the fleet's ports on every address. bind is the address
// to listen on ("" means 0.0.0.0: every loopback address of the port);
// connections that do not arrive on a loopback address are dropped.
func Listen(fleet *Fleet, bind string) (*Simulator, error) {
	sim := &Simulator{fleet: fleet, closing: make(chan struct{})}
	if bind == "" {
		bind = "0.0.0.0"
	}
	for _, port := range fleet.ports() {
		l, err := net.Listen("tcp4", net.JoinHostPort(bind, strconv.Itoa(port)))
		if err != nil {
			_ = sim.Close()
			return nil, fmt.Errorf("listen on port %d: %w", port, err)
		}
		sim.listeners = append(sim.listeners, l)
	}
	sim.start()
	return sim, nil
}

func (sim *Simulator) start() {
	sim.fleet.onKill(sim.dropConns)
	for _, l := range sim.listeners {
		sim.wg.Add(1)
		go sim.accept(l)
	}
}

// Start generates the fleet of sp and serves it. A zero sp.Port takes a
// free port, shared by every server.
func Start(sp Spec) (*Simulator, error) {
	if sp.Port != 0 {
		servers, err := Generate(sp)
		if err != nil {
			return nil, err
		}
		fleet, err := NewFleet(servers)
		if err != nil {
			return nil, err
		}
		return Listen(fleet, "")
	}
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	sp.Port = l.Addr().(*net.TCPAddr).Port
	servers, err := Generate(sp)
	var fleet *Fleet
	if err == nil {
		fleet, err = NewFleet(servers)
	}
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	sim := &Simulator{fleet: fleet, closing: make(chan struct{}), listeners: []net.Listener{l}}
	sim.start()
	return sim, nil
}

// Fleet returns the simulated fleet.
func (sim *Simulator) Fleet() *Fleet { return sim.fleet }

// Queries is the number of statements answered so far.
func (sim *Simulator) Queries() uint64 { return sim.queries.Load() }

// Close stops listening and drops every connection.
func (sim *Simulator) Close() error {
	select {
	case <-sim.closing:
		return nil
	default:
	}
	close(sim.closing)
	var errs []error
	for _, l := range sim.listeners {
		errs = append(errs, l.Close())
	}
	sim.conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
	sim.wg.Wait()
	return errors.Join(errs...)
}

func (sim *Simulator) accept(l net.Listener) {
	defer sim.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case <-sim.closing:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// Out of descriptors or similar: back off instead of spinning.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		sim.wg.Add(1)
		go func() {
			defer sim.wg.Done()
			sim.serve(c)
		}()
	}
}

// dropConns resets every open connection to s, as the death of a server
// process does.
func (sim *Simulator) dropConns(s *Server) {
	sim.conns.Range(func(k, v any) bool {
		if v.(*Server) == s {
			refuse(k.(net.Conn))
		}
		return true
	})
}

// refuse closes a connection with a reset, as close as a listener can get
// to "connection refused".
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (sim *Simulator) serve(c net.Conn) {
	local, _ := c.LocalAddr().(*net.TCPAddr)
	if local == nil || !local.IP.IsLoopback() {
		refuse(c)
		return
	}
	s := sim.fleet.Lookup(local.String())
	if s == nil || sim.fleet.killed(s) {
		refuse(c)
		return
	}
	sim.conns.Store(c, s)
	defer sim.conns.Delete(c)
	defer c.Close()
	if !sim.waitHang(s) {
		return
	}
	p := newPacketConn(c)
	if err := sim.handshake(p, s); err != nil {
		return
	}
	for {
		pkt, err := p.readPacket()
		if err != nil || len(pkt) == 0 {
			return
		}
		if sim.fleet.killed(s) {
			refuse(c)
			return
		}
		if !sim.waitHang(s) {
			return
		}
		p.seq = 1
		switch pkt[0] {
		case comQuit:
			return
		case comPing, comInitDB:
			err = p.writePacket(okPacket(statusAutocommit))
		case comQuery:
			err = sim.query(c, p, s, string(pkt[1:]))
		default:
			err = p.writePacket(errPacket(&sqlError{1047, "08S01", "Unknown command"}))
		}
		if err == nil {
			err = p.flush()
		}
		if err != nil {
			return
		}
	}
}

// waitHang blocks while the server hangs; false when the simulator closes.
func (sim *Simulator) waitHang(s *Server) bool {
	select {
	case <-sim.fleet.hangWait(s):
		return true
	case <-sim.closing:
		return false
	}
}

// handshake greets the client and accepts any credentials.
func (sim *Simulator) handshake(p *packetConn, s *Server) error {
	scramble := make([]byte, 20)
	_, _ = rand.Read(scramble)
	for i, b := range scramble {
		if b == 0 {
			scramble[i] = 1
		}
	}
	p.seq = 0
	if err := p.writePacket(handshake(s.Version, sim.connID.Add(1), scramble)); err != nil {
		return err
	}
	if err := p.flush(); err != nil {
		return err
	}
	if _, err := p.readPacket(); err != nil {
		return err
	}
	if err := p.writePacket(okPacket(statusAutocommit)); err != nil {
		return err
	}
	return p.flush()
}

// query answers a COM_QUERY of one or several statements: one result per
// statement, stopping at the first error as a real server does.
func (sim *Simulator) query(c net.Conn, p *packetConn, s *Server, q string) error {
	stmts := splitStatements(q)
	if len(stmts) == 0 {
		return p.writePacket(errPacket(&sqlError{1065, "42000", "Query was empty"}))
	}
	for i, stmt := range stmts {
		sim.queries.Add(1)
		if d, ok := sleepSeconds(stmt); ok {
			rs, err := sleep(c, p, d)
			if err != nil {
				return err
			}
			if err := p.writeResult(rs, i < len(stmts)-1); err != nil {
				return err
			}
			continue
		}
		rs, serr := sim.fleet.answer(s, stmt)
		if serr != nil {
			return p.writePacket(errPacket(serr))
		}
		if err := p.writeResult(rs, i < len(stmts)-1); err != nil {
			return err
		}
	}
	return nil
}

// Serve runs until ctx ends, then closes.
func (sim *Simulator) Serve(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-sim.closing:
	}
	return sim.Close()
}
