package sim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The few pieces of the MySQL client/server protocol the simulator speaks:
// packets, the v10 handshake, OK/ERR/EOF and text result sets. Enough for
// go-sql-driver/mysql with multiStatements; no TLS, no prepared statements.

const (
	capLongPassword     = 0x00000001
	capFoundRows        = 0x00000002
	capLongFlag         = 0x00000004
	capConnectWithDB    = 0x00000008
	capProtocol41       = 0x00000200
	capTransactions     = 0x00002000
	capSecureConnection = 0x00008000
	capMultiStatements  = 0x00010000
	capMultiResults     = 0x00020000
	capPSMultiResults   = 0x00040000
	capPluginAuth       = 0x00080000
	capConnectAttrs     = 0x00100000
	capPluginAuthLenenc = 0x00200000

	serverCaps = capLongPassword | capFoundRows | capLongFlag | capConnectWithDB | capProtocol41 |
		capTransactions | capSecureConnection | capMultiStatements | capMultiResults | capPSMultiResults |
		capPluginAuth | capConnectAttrs | capPluginAuthLenenc

	statusAutocommit   = 0x0002
	statusMoreResults  = 0x0008
	charsetUTF8General = 33

	comQuit   = 0x01
	comInitDB = 0x02
	comQuery  = 0x03
	comPing   = 0x0e

	typeVarString = 0xfd
	maxPacket     = 1<<24 - 1
)

// packetConn reads and writes MySQL packets with their sequence numbers.
// Writes are buffered: a whole response leaves in one flush.
type packetConn struct {
	r   *bufio.Reader
	w   *bufio.Writer
	seq byte
}

func newPacketConn(rw io.ReadWriter) *packetConn {
	return &packetConn{r: bufio.NewReaderSize(rw, 4096), w: bufio.NewWriterSize(rw, 8192)}
}

// readPacket reads one packet (payloads of 16 MiB and more are joined).
func (p *packetConn) readPacket() ([]byte, error) {
	var out []byte
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
			return nil, err
		}
		n := int(uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16)
		p.seq = hdr[3] + 1
		buf := make([]byte, n)
		if _, err := io.ReadFull(p.r, buf); err != nil {
			return nil, err
		}
		out = append(out, buf...)
		if n < maxPacket {
			return out, nil
		}
	}
}

// writePacket buffers one packet (payload below 16 MiB).
func (p *packetConn) writePacket(payload []byte) error {
	if len(payload) >= maxPacket {
		return errors.New("packet too large")
	}
	n := len(payload)
	hdr := [4]byte{byte(n), byte(n >> 8), byte(n >> 16), p.seq}
	p.seq++
	if _, err := p.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := p.w.Write(payload)
	return err
}

func (p *packetConn) flush() error { return p.w.Flush() }

func appendLenencInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xfe), n)
}

func appendLenencString(b []byte, s string) []byte {
	return append(appendLenencInt(b, uint64(len(s))), s...)
}

// handshake is the server's first packet (Protocol::HandshakeV10) offering
// mysql_native_password; scramble is 20 bytes.
func handshake(version string, connID uint32, scramble []byte) []byte {
	b := []byte{10}
	b = append(append(b, version...), 0)
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = append(append(b, scramble[:8]...), 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps&0xffff))
	b = append(b, charsetUTF8General)
	b = binary.LittleEndian.AppendUint16(b, statusAutocommit)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps>>16))
	b = append(b, 21)
	b = append(b, make([]byte, 10)...)
	b = append(append(b, scramble[8:20]...), 0)
	return append(append(b, "mysql_native_password"...), 0)
}

func okPacket(status uint16) []byte {
	b := []byte{0x00, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, status)
	return binary.LittleEndian.AppendUint16(b, 0)
}

func eofPacket(status uint16) []byte {
	b := []byte{0xfe, 0, 0}
	return binary.LittleEndian.AppendUint16(b, status)
}

// sqlError is a server error sent as an ERR packet.
type sqlError struct {
	code  uint16
	state string
	msg   string
}

func (e *sqlError) Error() string { return fmt.Sprintf("Error %d (%s): %s", e.code, e.state, e.msg) }

func errPacket(e *sqlError) []byte {
	b := []byte{0xff}
	b = binary.LittleEndian.AppendUint16(b, e.code)
	b = append(append(b, '#'), e.state...)
	return append(b, e.msg...)
}

func errSyntax(q string) *sqlError {
	return &sqlError{1064, "42000", fmt.Sprintf("You have an error in your SQL syntax; the simulated server does not understand %q", q)}
}

func errUnknownVariable(name string) *sqlError {
	return &sqlError{1193, "HY000", fmt.Sprintf("Unknown system variable '%s'", name)}
}

// resultSet is a text-protocol result: column names and rows of optional
// strings (nil is NULL). A statement without a result set has no columns.
type resultSet struct {
	columns []string
	rows    [][]*string
}

// writeResult writes one statement's answer; more marks that another
// result follows in the same response.
func (p *packetConn) writeResult(rs *resultSet, more bool) error {
	status := uint16(statusAutocommit)
	if more {
		status |= statusMoreResults
	}
	if len(rs.columns) == 0 {
		return p.writePacket(okPacket(status))
	}
	if err := p.writePacket(appendLenencInt(nil, uint64(len(rs.columns)))); err != nil {
		return err
	}
	for _, c := range rs.columns {
		if err := p.writePacket(columnDef(c)); err != nil {
			return err
		}
	}
	if err := p.writePacket(eofPacket(statusAutocommit)); err != nil {
		return err
	}
	var b []byte
	for _, r := range rs.rows {
		b = b[:0]
		for _, v := range r {
			if v == nil {
				b = append(b, 0xfb)
				continue
			}
			b = appendLenencString(b, *v)
		}
		if err := p.writePacket(b); err != nil {
			return err
		}
	}
	return p.writePacket(eofPacket(status))
}

func columnDef(name string) []byte {
	b := appendLenencString(nil, "def")
	b = appendLenencString(b, "")
	b = appendLenencString(b, "")
	b = appendLenencString(b, "")
	b = appendLenencString(b, name)
	b = appendLenencString(b, name)
	b = append(b, 0x0c)
	b = binary.LittleEndian.AppendUint16(b, charsetUTF8General)
	b = binary.LittleEndian.AppendUint32(b, 1024)
	b = append(b, typeVarString)
	b = binary.LittleEndian.AppendUint16(b, 0)
	return append(b, 0, 0, 0)
}
