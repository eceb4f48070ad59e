package sim

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Server is one simulated MySQL or MariaDB server. Its fields are guarded
// by the Fleet's lock; answers are computed from them at query time.
type Server struct {
	Host              string   `json:"host"`
	Port              int      `json:"port"`
	Version           string   `json:"version"`
	VersionComment    string   `json:"version_comment"`
	ServerID          uint32   `json:"server_id"`
	UUID              string   `json:"server_uuid"`
	ReadOnly          bool     `json:"read_only"`
	LogBin            bool     `json:"log_bin"`
	LogReplicaUpdates bool     `json:"log_replica_updates"`
	BinlogFormat      string   `json:"binlog_format"`
	GTID              bool     `json:"gtid"` // Oracle gtid_mode=ON + auto-position, MariaDB Using_Gtid=Slave_Pos
	Master            string   `json:"master,omitempty"`
	Replicas          []string `json:"replicas,omitempty"`

	// Faults.
	Killed     bool  `json:"killed"`
	Hung       bool  `json:"hung"`
	LagSeconds int64 `json:"lag_seconds"`
	IOStopped  bool  `json:"io_stopped"`
	SQLStopped bool  `json:"sql_stopped"`

	master     *Server
	replicas   []*Server
	started    time.Time
	frozenTrx  int64 // transactions at the time it was killed (own writes stop)
	ioFrozen   int64 // received transactions when the IO thread stopped
	sqlFrozen  int64 // applied transactions when the SQL thread stopped
	hangSignal chan struct{}
}

// txRate is how many transactions per second a simulated master writes:
// positions and GTID sets move as a real busy master's do.
const txRate = 10

const trxBytes = 250

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// IsMariaDB reports the flavour from the version string.
func (s *Server) IsMariaDB() bool { return strings.Contains(strings.ToLower(s.Version), "mariadb") }

// versionAtLeast compares the numeric prefix of the version.
func (s *Server) versionAtLeast(major, minor, patch int) bool {
	var v [3]int
	for i, part := range strings.SplitN(strings.SplitN(s.Version, "-", 2)[0], ".", 3) {
		v[i], _ = strconv.Atoi(part)
	}
	if v[0] != major {
		return v[0] > major
	}
	if v[1] != minor {
		return v[1] > minor
	}
	return v[2] >= patch
}

// newTerms reports MySQL >= 8.0.22 (REPLICA/SOURCE statements and columns).
func (s *Server) newTerms() bool { return !s.IsMariaDB() && s.versionAtLeast(8, 0, 22) }

// oldTermsRemoved reports MySQL 8.4+, where SHOW SLAVE STATUS, SHOW MASTER
// STATUS and SHOW SLAVE HOSTS are syntax errors.
func (s *Server) oldTermsRemoved() bool { return !s.IsMariaDB() && s.versionAtLeast(8, 4, 0) }

// writtenTrx is how many transactions this server's own clients wrote (a
// master's; replicas are read-only and write none).
func (s *Server) writtenTrx(now time.Time) int64 {
	return int64(now.Sub(s.started).Seconds()*txRate) + 100
}

// masterReachable reports whether the replica's IO thread can talk to its master.
func (s *Server) masterReachable() bool { return s.master != nil && !s.master.Killed }

// ioRunning reports the IO thread connected and receiving.
func (s *Server) ioRunning() bool { return s.master != nil && !s.IOStopped && s.masterReachable() }

// receivedTrx is what the replica's IO thread has fetched.
func (s *Server) receivedTrx(now time.Time) int64 {
	if s.IOStopped {
		return s.ioFrozen
	}
	return s.master.trx(now)
}

// trx is how many transactions this server has in its data (applied).
func (s *Server) trx(now time.Time) int64 {
	if s.Killed {
		return s.frozenTrx
	}
	if s.master == nil {
		return s.writtenTrx(now)
	}
	if s.SQLStopped {
		return s.sqlFrozen
	}
	return max(s.receivedTrx(now)-s.LagSeconds*txRate, 0)
}

// top is the topology's top master: its UUID and server_id name the GTIDs.
func (s *Server) top() *Server {
	t := s
	for t.master != nil && t.master != s {
		t = t.master
	}
	return t
}

func binlogPos(trx int64) int64 { return 4 + trx*trxBytes }

func (s *Server) binlogFile() string {
	return strings.ReplaceAll(s.Host, ".", "-") + "-bin.000001"
}

func (s *Server) oracleGTIDSet(trx int64) string {
	if trx <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:1-%d", s.top().UUID, trx)
}

func (s *Server) mariadbGTID(trx int64) string {
	if trx <= 0 {
		return ""
	}
	return fmt.Sprintf("0-%d-%d", s.top().ServerID, trx)
}

// ioState is Slave_IO_Running: Yes, No or Connecting.
func (s *Server) ioState() string {
	switch {
	case s.IOStopped:
		return "No"
	case !s.masterReachable():
		return "Connecting"
	}
	return "Yes"
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// ioError is the replica's Last_IO_Error: a real replica's message when its
// master refuses connections.
func (s *Server) ioError() (int, string) {
	if s.IOStopped || s.masterReachable() {
		return 0, ""
	}
	m := s.master
	if s.newTerms() {
		return 2003, fmt.Sprintf("Error connecting to source 'repl@%s:%d'. This was attempt 1/86400, with a delay of 60 seconds between attempts. Message: Can't connect to MySQL server on '%s:%d' (111)", m.Host, m.Port, m.Host, m.Port)
	}
	return 2003, fmt.Sprintf("error reconnecting to master 'repl@%s:%d' - retry-time: 60  maximum-retries: 86400  message: Can't connect to MySQL server on '%s' (111 \"Connection refused\")", m.Host, m.Port, m.Host)
}
