package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Reset restores the baseline topology after whatever a test did to it:
// every server running and not paused, the master writable and not
// replicating, replica1 and replica2 replicating from the master and
// replica3 from replica1 (MASTER_USE_GTID=slave_pos), replicas read_only,
// and a marker row written on the master visible on every replica.
//
// Strategy (see docs/sandbox.md):
//
//  1. SIGCONT every server (by recorded PID) and start the ones that are down.
//  2. Everywhere: STOP ALL SLAVES, RESET SLAVE ... ALL for every connection,
//     restore read_only, gtid_strict_mode, gtid_domain_id, server_id,
//     binlog_format and slave_net_timeout.
//  3. Histories: a server's position is, per domain, the later of
//     @@gtid_binlog_pos and @@gtid_slave_pos. Position P is contained in
//     server X's history when, for every domain of P, X's @@gtid_binlog_pos
//     has that domain with a sequence number not smaller, and X's
//     @@gtid_binlog_state has P's server_id in that domain with a sequence
//     number not smaller. (log_slave_updates is on everywhere, so a
//     server's binlog holds everything it applied.) Look for a server whose
//     history contains every position, the master first. If it is another
//     server — a failover test promoted a replica and wrote to it while the
//     old master was dead — the master first replicates from it until it
//     has caught up (MASTER_GTID_WAIT, bounded) and is detached again.
//  4. Each replica: SET GLOBAL gtid_slave_pos to its position (so nothing it
//     already has is applied twice), CHANGE MASTER back to its baseline
//     source with MASTER_USE_GTID=slave_pos, START SLAVE. Then a marker row
//     is written on the master and awaited on every replica, failing fast
//     on replication errors.
//  5. When no server contains everybody's history (an errant transaction,
//     writes on both sides of a failover, RESET MASTER, a foreign domain),
//     or anything in 1–4 fails or times out: reseed — kill the four
//     topology servers, replace their data dirs with fresh copies of the
//     template and set replication up from scratch (script/sandbox reseed),
//     then write and await the marker again. Data written by tests is gone
//     after a reseed; the backend is never touched. Reseeds() counts them.
//
// The in-place path keeps the data and takes about 0.1–0.3 s; a reseed
// takes about 1.5–2.5 s on a 2-core machine.
func (s *Sandbox) Reset(ctx context.Context) error {
	s.resetMu.Lock()
	defer s.resetMu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
	}

	err := s.repair(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("sandbox: reset: %w", err)
	}
	if _, rerr := s.run(ctx, "reseed"); rerr != nil {
		return fmt.Errorf("sandbox: reset: in place: %v; reseed: %w", err, rerr)
	}
	s.mu.Lock()
	s.reseeds++
	s.lastReseedReason = err.Error()
	s.mu.Unlock()
	if verr := s.verify(ctx, 30*time.Second); verr != nil {
		return fmt.Errorf("sandbox: reset: after reseed: %w", verr)
	}
	return nil
}

// errDiverged marks a topology that cannot be repaired in place.
var errDiverged = errors.New("replica data diverged from the master")

// repair tries to restore the baseline in place.
func (s *Sandbox) repair(ctx context.Context) error {
	ports := s.Ports()

	// 1. Resume paused servers, start dead ones.
	var down []string
	for _, p := range ports {
		if pid, ok := s.recordedPID(p); ok {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		} else {
			down = append(down, strconv.Itoa(p))
		}
	}
	if len(down) > 0 {
		if _, err := s.run(ctx, append([]string{"start-one"}, down...)...); err != nil {
			return err
		}
	}

	dbs, err := s.openAll(ctx, ports)
	if err != nil {
		return err
	}
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	master := dbs[s.MasterPort]

	// 2. Stop and forget replication everywhere, restore the globals.
	if err := parallel(ports, func(p int) error { return s.detach(ctx, dbs[p], p) }); err != nil {
		return err
	}

	// 3. Find a server whose history contains everybody's; prefer the
	// master. When it is another server (a failover test wrote on the
	// promoted replica), the master first catches up from it.
	hist, err := readHistories(ctx, dbs, ports)
	if err != nil {
		return err
	}
	source := 0
	var why, masterWhy string
	for _, cand := range ports {
		why = ""
		for _, p := range ports {
			if w := divergence(hist[p].pos, hist[cand].binlogPos, hist[cand].binlogState); w != "" {
				why = fmt.Sprintf("%s (%d at %s, %s (%d) binlog at %s): %s", s.Role(p), p, hist[p].pos,
					s.Role(cand), cand, hist[cand].binlogPos, w)
				break
			}
		}
		if why == "" {
			source = cand
			break
		}
		if cand == s.MasterPort {
			masterWhy = why
		}
	}
	if source == 0 {
		return fmt.Errorf("%w: no server holds everybody's history; against the master: %s", errDiverged, masterWhy)
	}
	if source != s.MasterPort {
		if err := s.catchUp(ctx, master, hist[s.MasterPort].pos, source, hist[source].binlogPos); err != nil {
			return err
		}
		if hist, err = readHistories(ctx, dbs, ports); err != nil {
			return err
		}
	}
	mh := hist[s.MasterPort]
	replicas := ports[1:]
	positions := make(map[int]GTIDList, len(replicas))
	for _, p := range replicas {
		if w := divergence(hist[p].pos, mh.binlogPos, mh.binlogState); w != "" {
			return fmt.Errorf("%w: replica %d at %s, master binlog %s: %s", errDiverged, p, hist[p].pos, mh.binlogPos, w)
		}
		positions[p] = hist[p].pos
	}

	// 4. Re-point and restart replication.
	err = parallel(replicas, func(p int) error {
		db := dbs[p]
		stmts := []string{
			"SET GLOBAL gtid_slave_pos = '" + positions[p].String() + "'",
			changeMasterSQL(s.SourceOf(p)),
			"START SLAVE",
		}
		for _, q := range stmts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("replica %d: %s: %w", p, q, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.waitMarker(ctx, dbs, 10*time.Second)
}

type history struct {
	pos, binlogPos, binlogState GTIDList
}

// readHistories reads each server's GTID position: pos is, per domain, the
// later of @@gtid_binlog_pos and @@gtid_slave_pos (what it has applied);
// binlogPos and binlogState describe what it can serve to replicas.
func readHistories(ctx context.Context, dbs map[int]*sql.DB, ports []int) (map[int]history, error) {
	out := make(map[int]history, len(ports))
	for _, p := range ports {
		var bpos, bstate, spos string
		if err := dbs[p].QueryRowContext(ctx, "SELECT @@gtid_binlog_pos, @@gtid_binlog_state, @@gtid_slave_pos").Scan(&bpos, &bstate, &spos); err != nil {
			return nil, fmt.Errorf("%d: %w", p, err)
		}
		var h history
		var err error
		if h.binlogPos, err = ParseGTIDList(bpos); err != nil {
			return nil, err
		}
		if h.binlogState, err = ParseGTIDList(bstate); err != nil {
			return nil, err
		}
		sp, err := ParseGTIDList(spos)
		if err != nil {
			return nil, err
		}
		h.pos = MergeGTIDLists(h.binlogPos, sp)
		out[p] = h
	}
	return out, nil
}

// catchUp makes the master replicate from source until it has source's
// binlog position, then detaches it again.
func (s *Sandbox) catchUp(ctx context.Context, master *sql.DB, masterPos GTIDList, source int, target GTIDList) error {
	for _, q := range []string{
		"SET GLOBAL gtid_slave_pos = '" + masterPos.String() + "'",
		changeMasterSQL(source),
		"START SLAVE",
	} {
		if _, err := master.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("master catch-up from %d: %s: %w", source, q, err)
		}
	}
	var r sql.NullInt64
	err := master.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, 8)", target.String()).Scan(&r)
	if err == nil && (!r.Valid || r.Int64 != 0) {
		st, _ := slaveStatus(ctx, master)
		err = fmt.Errorf("timed out (IO=%s SQL=%s io_error=%q sql_error=%q)",
			st["Slave_IO_Running"], st["Slave_SQL_Running"], st["Last_IO_Error"], st["Last_SQL_Error"])
	}
	if err != nil {
		return fmt.Errorf("master catch-up from %d to %s: %w", source, target, err)
	}
	return s.detach(ctx, master, s.MasterPort)
}

// detach stops all replication on a server, forgets it, and restores the
// global settings of its baseline role.
func (s *Sandbox) detach(ctx context.Context, db *sql.DB, port int) error {
	if _, err := db.ExecContext(ctx, "STOP ALL SLAVES"); err != nil {
		return fmt.Errorf("%d: STOP ALL SLAVES: %w", port, err)
	}
	names, err := connectionNames(ctx, db)
	if err != nil {
		return fmt.Errorf("%d: %w", port, err)
	}
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "RESET SLAVE '"+strings.ReplaceAll(n, "'", "''")+"' ALL"); err != nil {
			return fmt.Errorf("%d: RESET SLAVE '%s' ALL: %w", port, n, err)
		}
	}
	readOnly := 1
	if port == s.MasterPort {
		readOnly = 0
	}
	for _, q := range []string{
		fmt.Sprintf("SET GLOBAL read_only = %d", readOnly),
		"SET GLOBAL gtid_strict_mode = 1",
		"SET GLOBAL gtid_domain_id = 0",
		fmt.Sprintf("SET GLOBAL server_id = %d", port),
		"SET GLOBAL binlog_format = 'ROW'",
		"SET GLOBAL slave_net_timeout = 4",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%d: %s: %w", port, q, err)
		}
	}
	return nil
}

// verify writes the marker and waits for it; used after a reseed.
func (s *Sandbox) verify(ctx context.Context, timeout time.Duration) error {
	dbs, err := s.openAll(ctx, s.Ports())
	if err != nil {
		return err
	}
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	return s.waitMarker(ctx, dbs, timeout)
}

// waitMarker writes a fresh token on the master and waits until every
// replica has it, failing fast when a replica reports a replication error.
func (s *Sandbox) waitMarker(ctx context.Context, dbs map[int]*sql.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	master := dbs[s.MasterPort]
	token := randomToken()
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS sandbox_meta",
		"CREATE TABLE IF NOT EXISTS sandbox_meta.reset_marker (id INT NOT NULL PRIMARY KEY, token VARCHAR(64) NOT NULL, ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB",
	} {
		if _, err := master.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("master %d: %w", s.MasterPort, err)
		}
	}
	if _, err := master.ExecContext(ctx, "REPLACE INTO sandbox_meta.reset_marker (id, token) VALUES (1, ?)", token); err != nil {
		return fmt.Errorf("master %d: writing the marker: %w", s.MasterPort, err)
	}
	return parallel(s.Ports()[1:], func(p int) error {
		db := dbs[p]
		for i := 0; ; i++ {
			var got string
			err := db.QueryRowContext(ctx, "SELECT token FROM sandbox_meta.reset_marker WHERE id = 1").Scan(&got)
			if err == nil && got == token {
				st, err := slaveStatus(ctx, db)
				if err != nil {
					return fmt.Errorf("replica %d: %w", p, err)
				}
				if err := s.checkBaseline(p, st); err != nil {
					return err
				}
				return nil
			}
			if i%5 == 4 {
				st, err := slaveStatus(ctx, db)
				if err == nil {
					if st == nil {
						return fmt.Errorf("replica %d is not replicating", p)
					}
					if n := st["Last_SQL_Errno"]; n != "" && n != "0" {
						return fmt.Errorf("replica %d: SQL thread error %s: %s", p, n, st["Last_SQL_Error"])
					}
					if n := st["Last_IO_Errno"]; n == "1236" {
						return fmt.Errorf("replica %d: IO thread error %s: %s", p, n, st["Last_IO_Error"])
					}
				}
			}
			select {
			case <-ctx.Done():
				st, _ := slaveStatus(context.Background(), db)
				return fmt.Errorf("replica %d: marker not replicated within %v (IO=%s SQL=%s io_error=%q sql_error=%q)",
					p, timeout, st["Slave_IO_Running"], st["Slave_SQL_Running"], st["Last_IO_Error"], st["Last_SQL_Error"])
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
}

func (s *Sandbox) checkBaseline(port int, st map[string]string) error {
	if st == nil {
		return fmt.Errorf("replica %d is not replicating", port)
	}
	if want := strconv.Itoa(s.SourceOf(port)); st["Master_Port"] != want {
		return fmt.Errorf("replica %d replicates from port %s, want %s", port, st["Master_Port"], want)
	}
	if st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes" {
		return fmt.Errorf("replica %d: IO=%s SQL=%s", port, st["Slave_IO_Running"], st["Slave_SQL_Running"])
	}
	return nil
}

// WaitReplicating waits until the replica on port has both threads running.
func (s *Sandbox) WaitReplicating(ctx context.Context, port int) error {
	db, err := s.DB(port)
	if err != nil {
		return err
	}
	defer db.Close()
	var last map[string]string
	var lastErr error
	for {
		st, err := slaveStatus(ctx, db)
		if err == nil && st != nil && st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes" {
			return nil
		}
		last, lastErr = st, err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("sandbox: %d not replicating: %w", port, lastErr)
			}
			if last == nil {
				return fmt.Errorf("sandbox: %d is not configured as a replica", port)
			}
			return fmt.Errorf("sandbox: %d not replicating: IO=%s SQL=%s io_error=%q sql_error=%q", port,
				last["Slave_IO_Running"], last["Slave_SQL_Running"], last["Last_IO_Error"], last["Last_SQL_Error"])
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func changeMasterSQL(source int) string {
	return fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1", source, ReplUser, ReplPassword)
}

// openAll opens one small pool per port and waits until each answers.
func (s *Sandbox) openAll(ctx context.Context, ports []int) (map[int]*sql.DB, error) {
	dbs := make(map[int]*sql.DB, len(ports))
	for _, p := range ports {
		db, err := s.DB(p)
		if err != nil {
			for _, d := range dbs {
				d.Close()
			}
			return nil, err
		}
		db.SetMaxOpenConns(2)
		db.SetConnMaxLifetime(time.Minute)
		dbs[p] = db
	}
	err := parallel(ports, func(p int) error {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		for {
			err := dbs[p].PingContext(pctx)
			if err == nil {
				return nil
			}
			select {
			case <-pctx.Done():
				return fmt.Errorf("server %d not answering: %w", p, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	if err != nil {
		for _, d := range dbs {
			d.Close()
		}
		return nil, err
	}
	return dbs, nil
}

// slaveStatus returns SHOW SLAVE STATUS as a map, nil when not a replica.
func slaveStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m, err := firstRowMap(rows)
	if err != nil {
		return nil, err
	}
	return m, rows.Err()
}

// connectionNames lists the replication connections (SHOW ALL SLAVES STATUS).
func connectionNames(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW ALL SLAVES STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cols {
			if c == "Connection_name" {
				names = append(names, vals[i].String)
			}
		}
	}
	return names, rows.Err()
}

func firstRowMap(rows *sql.Rows) (map[string]string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, nil
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cols))
	for i, c := range cols {
		m[c] = vals[i].String
	}
	for rows.Next() { // drain
	}
	return m, nil
}

func parallel(ports []int, f func(int) error) error {
	errs := make([]error, len(ports))
	var wg sync.WaitGroup
	for i, p := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// GTID is one MariaDB GTID: domain-server-sequence.
type GTID struct {
	Domain, Server uint32
	Seq            uint64
}

func (g GTID) String() string {
	return fmt.Sprintf("%d-%d-%d", g.Domain, g.Server, g.Seq)
}

// GTIDList is a MariaDB GTID list such as @@gtid_binlog_pos (one entry per
// domain) or @@gtid_binlog_state (one per domain and server).
type GTIDList []GTID

// ParseGTIDList parses "0-1-5,1-2-7" (spaces and newlines allowed).
func ParseGTIDList(s string) (GTIDList, error) {
	var out GTIDList
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("bad GTID %q", part)
		}
		d, err1 := strconv.ParseUint(f[0], 10, 32)
		sv, err2 := strconv.ParseUint(f[1], 10, 32)
		q, err3 := strconv.ParseUint(f[2], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("bad GTID %q: %w", part, err)
		}
		out = append(out, GTID{Domain: uint32(d), Server: uint32(sv), Seq: q})
	}
	return out, nil
}

func (l GTIDList) String() string {
	parts := make([]string, len(l))
	for i, g := range l {
		parts[i] = g.String()
	}
	return strings.Join(parts, ",")
}

// MergeGTIDLists keeps, per domain, the GTID with the highest sequence
// number (the first list wins ties).
func MergeGTIDLists(lists ...GTIDList) GTIDList {
	best := map[uint32]GTID{}
	for _, l := range lists {
		for _, g := range l {
			if b, ok := best[g.Domain]; !ok || g.Seq > b.Seq {
				best[g.Domain] = g
			}
		}
	}
	out := make(GTIDList, 0, len(best))
	for _, g := range best {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
	return out
}

// divergence explains why replica position pos is not part of the master's
// history (given its @@gtid_binlog_pos and @@gtid_binlog_state), or "".
func divergence(pos, masterPos, masterState GTIDList) string {
	for _, g := range pos {
		var m *GTID
		for i := range masterPos {
			if masterPos[i].Domain == g.Domain {
				m = &masterPos[i]
			}
		}
		if m == nil {
			return fmt.Sprintf("domain %d unknown to the master", g.Domain)
		}
		if g.Seq > m.Seq {
			return fmt.Sprintf("%s is ahead of the master's %s", g, m)
		}
		found := false
		for _, st := range masterState {
			if st.Domain == g.Domain && st.Server == g.Server && st.Seq >= g.Seq {
				found = true
			}
		}
		if !found {
			return fmt.Sprintf("%s is not in the master's binlog state", g)
		}
	}
	return ""
}
