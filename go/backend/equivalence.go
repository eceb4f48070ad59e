package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// Position equivalences (table master_position_equivalence): when a
// classic move points a replica that stopped at position A on its old
// master at position B on its new master, A and B hold the same data, and
// a later move can use the pair to go back (move-equivalent).

// migrationEquivalence creates the table. One row holds one pair, stored
// in a fixed order (the smaller position as master1) so that recording
// the pair from either side refreshes the same row.
var migrationEquivalence = []string{
	`CREATE TABLE master_position_equivalence (
		equivalence_id {{AUTO_PK}},
		master1_hostname VARCHAR(128) NOT NULL,
		master1_port INT NOT NULL,
		master1_binary_log_file VARCHAR(128) NOT NULL,
		master1_binary_log_pos BIGINT NOT NULL,
		master2_hostname VARCHAR(128) NOT NULL,
		master2_port INT NOT NULL,
		master2_binary_log_file VARCHAR(128) NOT NULL,
		master2_binary_log_pos BIGINT NOT NULL,
		last_suggested {{TS}} NOT NULL
	) {{ENGINE}}`,
	`CREATE UNIQUE INDEX master_position_equivalence_uidx ON master_position_equivalence (master1_hostname, master1_port,
		master1_binary_log_file, master1_binary_log_pos, master2_hostname, master2_port, master2_binary_log_file, master2_binary_log_pos)`,
	`CREATE INDEX master_position_equivalence_master2_idx ON master_position_equivalence (master2_hostname, master2_port,
		master2_binary_log_file, master2_binary_log_pos)`,
	`CREATE INDEX master_position_equivalence_suggested_idx ON master_position_equivalence (last_suggested)`,
}

// InstanceCoordinates is a position in one server's binary log (upstream's
// InstanceBinlogCoordinates).
type InstanceCoordinates struct {
	Key         inst.InstanceKey
	Coordinates inst.BinlogCoordinates
}

func (p InstanceCoordinates) String() string { return p.Key.String() + ":" + p.Coordinates.String() }

// less orders positions by host, port, file, offset.
func (p InstanceCoordinates) less(o InstanceCoordinates) bool {
	switch {
	case p.Key.Hostname != o.Key.Hostname:
		return p.Key.Hostname < o.Key.Hostname
	case p.Key.Port != o.Key.Port:
		return p.Key.Port < o.Key.Port
	case p.Coordinates.LogFile != o.Coordinates.LogFile:
		return p.Coordinates.LogFile < o.Coordinates.LogFile
	}
	return p.Coordinates.LogPos < o.Coordinates.LogPos
}

var equivalenceColumns = []string{
	"master1_hostname", "master1_port", "master1_binary_log_file", "master1_binary_log_pos",
	"master2_hostname", "master2_port", "master2_binary_log_file", "master2_binary_log_pos",
}

// RecordEquivalence stores that a and b are equivalent positions (or
// refreshes its last_suggested when already known).
func (s *Store) RecordEquivalence(ctx context.Context, a, b InstanceCoordinates) error {
	if b.less(a) {
		a, b = b, a
	}
	query := s.dialect.Upsert("master_position_equivalence", append(equivalenceColumns, "last_suggested"), equivalenceColumns)
	_, err := s.exec(ctx, query, a.Key.Hostname, a.Key.Port, a.Coordinates.LogFile, a.Coordinates.LogPos,
		b.Key.Hostname, b.Key.Port, b.Coordinates.LogFile, b.Coordinates.LogPos, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("record equivalence %s = %s: %w", a, b, err)
	}
	return nil
}

// EquivalentPositions lists the positions recorded as equivalent to p,
// the most recently suggested first.
func (s *Store) EquivalentPositions(ctx context.Context, p InstanceCoordinates) ([]InstanceCoordinates, error) {
	const side = `SELECT %[1]s_hostname, %[1]s_port, %[1]s_binary_log_file, %[1]s_binary_log_pos, last_suggested
		FROM master_position_equivalence
		WHERE %[2]s_hostname = ? AND %[2]s_port = ? AND %[2]s_binary_log_file = ? AND %[2]s_binary_log_pos = ?`
	query := fmt.Sprintf(side, "master2", "master1") + " UNION ALL " + fmt.Sprintf(side, "master1", "master2") +
		" ORDER BY 5 DESC"
	args := []any{p.Key.Hostname, p.Key.Port, p.Coordinates.LogFile, p.Coordinates.LogPos}
	out := []InstanceCoordinates{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var e InstanceCoordinates
		var at Time
		if err := rows.Scan(&e.Key.Hostname, &e.Key.Port, &e.Coordinates.LogFile, &e.Coordinates.LogPos, &at); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, query, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read equivalences of %s: %w", p, err)
	}
	return out, nil
}

// Equivalence is one recorded pair seen from one side: Here on the
// server asked about, There on the other.
type Equivalence struct {
	Here, There InstanceCoordinates
}

// EquivalencesBefore lists the pairs with a side in p's binary log file
// of p's server at an offset below p's, nearest first (at most 10): a
// replica that went on past a recorded position through events that
// carry no data still stands at it.
func (s *Store) EquivalencesBefore(ctx context.Context, p InstanceCoordinates) ([]Equivalence, error) {
	const side = `SELECT %[2]s_binary_log_pos, %[1]s_hostname, %[1]s_port, %[1]s_binary_log_file, %[1]s_binary_log_pos
		FROM master_position_equivalence
		WHERE %[2]s_hostname = ? AND %[2]s_port = ? AND %[2]s_binary_log_file = ? AND %[2]s_binary_log_pos < ?`
	query := fmt.Sprintf(side, "master2", "master1") + " UNION ALL " + fmt.Sprintf(side, "master1", "master2") +
		" ORDER BY 1 DESC LIMIT 10"
	args := []any{p.Key.Hostname, p.Key.Port, p.Coordinates.LogFile, p.Coordinates.LogPos}
	out := []Equivalence{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		e := Equivalence{Here: p}
		if err := rows.Scan(&e.Here.Coordinates.LogPos, &e.There.Key.Hostname, &e.There.Key.Port,
			&e.There.Coordinates.LogFile, &e.There.Coordinates.LogPos); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, query, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read equivalences before %s: %w", p, err)
	}
	return out, nil
}

// ExpireEquivalences deletes pairs last suggested before the cutoff.
func (s *Store) ExpireEquivalences(ctx context.Context, olderThan time.Time) (int64, error) {
	return s.affected(ctx, `DELETE FROM master_position_equivalence WHERE last_suggested < ?`, ts(olderThan))
}
