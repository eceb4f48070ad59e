package sim

import (
	"errors"
	"net"
	"os"
	"regexp"
	"strconv"
	"time"
)

// sleepStatement is SELECT SLEEP(n), which orchestrator's master watcher
// holds open on each master.
var sleepStatement = regexp.MustCompile(`(?i)^SELECT\s+SLEEP\(\s*([0-9]+(?:\.[0-9]*)?)\s*\)$`)

// maxSleep bounds one simulated SLEEP.
const maxSleep = time.Hour

// sleepSeconds returns the duration of a SELECT SLEEP(n) statement.
func sleepSeconds(stmt string) (time.Duration, bool) {
	m := sleepStatement.FindStringSubmatch(stmt)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	return min(time.Duration(n*float64(time.Second)), maxSleep), true
}

// sleep runs SELECT SLEEP(n) as a server does: the connection stays busy
// for n seconds, then its result is one row with 0. It waits by reading the
// client socket with a deadline, so a connection closed meanwhile (the
// server killed, the simulator closing, the client gone) ends it at once
// with an error.
func sleep(c net.Conn, p *packetConn, d time.Duration) (*resultSet, error) {
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return nil, err
	}
	_, err := p.r.Peek(1)
	if err == nil {
		return nil, errors.New("client wrote during SLEEP")
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, err
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return &resultSet{columns: []string{"SLEEP"}, rows: [][]*string{{str("0")}}}, nil
}
