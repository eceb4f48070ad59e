package backend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Node is one orchestrator process seen in node_health, or the leader row.
type Node struct {
	Hostname        string
	Token           string
	AppVersion      string
	FirstSeenActive string
	LastSeenActive  string
	ExtraInfo       string
	Command         string
	DBBackend       string
}

// RegisterNode upserts this process's health row with the backend's time.
func (s *Store) RegisterNode(ctx context.Context, n Node) error {
	var q string
	if s.dialect.Name() == "mysql" {
		q = `INSERT INTO node_health (hostname, token, last_seen_active, extra_info, command, app_version, first_seen_active, db_backend, incrementing_indicator)
			VALUES (?, ?, ` + s.dialect.Now() + `, ?, ?, ?, ` + s.dialect.Now() + `, ?, 1)
			ON DUPLICATE KEY UPDATE last_seen_active=VALUES(last_seen_active), incrementing_indicator=incrementing_indicator+1`
	} else {
		q = `INSERT INTO node_health (hostname, token, last_seen_active, extra_info, command, app_version, first_seen_active, db_backend, incrementing_indicator)
			VALUES (?, ?, ` + s.dialect.Now() + `, ?, ?, ?, ` + s.dialect.Now() + `, ?, 1)
			ON CONFLICT(hostname, token) DO UPDATE SET last_seen_active=excluded.last_seen_active, incrementing_indicator=incrementing_indicator+1`
	}
	if _, err := s.exec(ctx, q, n.Hostname, n.Token, n.ExtraInfo, n.Command, n.AppVersion, n.DBBackend); err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	return nil
}

// RecordNodeStart appends a node_health_history row.
func (s *Store) RecordNodeStart(ctx context.Context, n Node) error {
	_, err := s.exec(ctx, `INSERT INTO node_health_history (hostname, token, first_seen_active, extra_info, command, app_version) VALUES (?, ?, `+s.dialect.Now()+`, ?, ?, ?)`,
		n.Hostname, n.Token, n.ExtraInfo, n.Command, n.AppVersion)
	if err != nil {
		return fmt.Errorf("record node start: %w", err)
	}
	return nil
}

// AttemptElection claims or refreshes leadership. It returns true when this
// node holds the leader row after the call. Each statement is atomic and
// uses the backend's clock, so node clocks do not matter.
func (s *Store) AttemptElection(ctx context.Context, hostname, token string, expireSeconds int) (bool, error) {
	now := s.dialect.Now()
	// One atomic statement both refreshes the current leader's row and
	// lets a node take over a row older than the expiry; it changes
	// nothing for anyone else. Only a backend that never had a leader
	// needs the insert.
	claim := `UPDATE active_node SET
		first_seen_active = CASE WHEN hostname=? AND token=? THEN first_seen_active ELSE ` + now + ` END,
		hostname=?, token=?, last_seen_active=` + now + `
		WHERE anchor=1 AND ((hostname=? AND token=?) OR last_seen_active < ` + s.dialect.NowMinusSeconds(expireSeconds) + `)`
	n, err := s.affected(ctx, claim, hostname, token, hostname, token, hostname, token)
	if err != nil {
		return false, fmt.Errorf("election: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	n, err = s.affected(ctx, s.insertIgnorePrefix()+` INTO active_node (anchor, hostname, token, first_seen_active, last_seen_active) VALUES (1, ?, ?, `+now+`, `+now+`)`, hostname, token)
	if err != nil {
		return false, fmt.Errorf("election: %w", err)
	}
	return n > 0, nil
}

func (s *Store) insertIgnorePrefix() string {
	if s.dialect.Name() == "mysql" {
		return "INSERT IGNORE"
	}
	return "INSERT OR IGNORE"
}

// GrabElection makes this node the leader unconditionally.
func (s *Store) GrabElection(ctx context.Context, hostname, token string) error {
	if _, err := s.exec(ctx, `DELETE FROM active_node WHERE anchor=1`); err != nil {
		return fmt.Errorf("grab election: %w", err)
	}
	_, err := s.AttemptElection(ctx, hostname, token, 0)
	return err
}

// stepDownPrefix marks a leader row whose holder was asked to step down.
const stepDownPrefix = "stepdown:"

// Reelect asks the current leader to step down and returns the node asked.
// Deleting the row outright would let another node win while the old
// leader still acts for the rest of its fencing window; instead the row's
// token is marked, so the leader's next refresh fails, it stops acting and
// then deletes the marked row itself (ClearStepDown), and the next tick
// elects anew. If the leader is gone, the marked row expires as usual.
// It returns ErrNoRows when there is no leader row.
func (s *Store) Reelect(ctx context.Context) (Node, error) {
	n, err := s.ActiveNode(ctx)
	if err != nil {
		return Node{}, fmt.Errorf("reelect: %w", err)
	}
	if strings.HasPrefix(n.Token, stepDownPrefix) || strings.HasPrefix(n.Token, handoverPrefix) {
		n.Token = holderToken(n.Token)
		return n, nil // already asked
	}
	if _, err := s.exec(ctx, `UPDATE active_node SET token=? WHERE anchor=1 AND hostname=? AND token=?`,
		stepDownPrefix+n.Token, n.Hostname, n.Token); err != nil {
		return Node{}, fmt.Errorf("reelect: %w", err)
	}
	return n, nil
}

// ClearStepDown deletes the leader row if it is this node's row marked by
// Reelect. The caller must already have stopped acting as leader. It
// reports whether a row was deleted.
func (s *Store) ClearStepDown(ctx context.Context, hostname, token string) (bool, error) {
	n, err := s.affected(ctx, `DELETE FROM active_node WHERE anchor=1 AND hostname=? AND token=?`, hostname, stepDownPrefix+token)
	if err != nil {
		return false, fmt.Errorf("clear step-down: %w", err)
	}
	return n > 0, nil
}

// handoverPrefix marks a leader row whose holder was asked to hand
// leadership to a given node (grab-election): its token becomes
// "handover:<holder's token>:<successor's token>".
const handoverPrefix = "handover:"

// RequestHandover asks the current leader to hand leadership to the node
// (hostname, token), as Reelect asks it to step down: the row's token is
// marked, so the leader's next refresh fails, it stops acting and then
// gives the row to that node itself (CompleteHandover), whose next
// election tick refreshes it. No node acts as leader before the holder
// has stopped. It returns the node asked; ErrNoRows when there is no
// leader row. A row already marked for a step-down or a handover is
// marked for this node instead.
func (s *Store) RequestHandover(ctx context.Context, hostname, token string) (Node, error) {
	n, err := s.ActiveNode(ctx)
	if err != nil {
		return Node{}, fmt.Errorf("grab election: %w", err)
	}
	holder := holderToken(n.Token)
	if _, err := s.exec(ctx, `UPDATE active_node SET token=? WHERE anchor=1 AND hostname=? AND token=?`,
		handoverPrefix+holder+":"+token, n.Hostname, n.Token); err != nil {
		return Node{}, fmt.Errorf("grab election: %w", err)
	}
	n.Token = holder
	return n, nil
}

// holderToken is the token of the node holding a row, marked or not.
func holderToken(token string) string {
	if t, ok := strings.CutPrefix(token, stepDownPrefix); ok {
		return t
	}
	if t, ok := strings.CutPrefix(token, handoverPrefix); ok {
		holder, _, _ := strings.Cut(t, ":")
		return holder
	}
	return token
}

// CompleteHandover gives the leader row to the successor named by
// RequestHandover's mark, if the row is this node's and so marked. The
// caller must already have stopped acting as leader. The successor's
// hostname is read from its node_health row; when it has none (it is
// gone) the row is deleted instead, for a fresh election. It returns the
// token of the node the row was given to ("" when there was no mark or
// the row was deleted).
func (s *Store) CompleteHandover(ctx context.Context, hostname, token string) (string, error) {
	prefix := handoverPrefix + token + ":"
	var marked string
	err := s.queryRows(ctx, func(rows *sql.Rows) error { return rows.Scan(&marked) },
		`SELECT token FROM active_node WHERE anchor=1 AND hostname=? AND SUBSTR(token, 1, ?) = ?`, hostname, len(prefix), prefix)
	if err != nil {
		return "", fmt.Errorf("complete handover: %w", err)
	}
	if marked == "" {
		return "", nil
	}
	successor := strings.TrimPrefix(marked, prefix)
	var succHost string
	err = s.queryRows(ctx, func(rows *sql.Rows) error { return rows.Scan(&succHost) },
		`SELECT hostname FROM node_health WHERE token=? ORDER BY last_seen_active DESC LIMIT 1`, successor)
	if err != nil {
		return "", fmt.Errorf("complete handover: %w", err)
	}
	if succHost == "" {
		_, err := s.exec(ctx, `DELETE FROM active_node WHERE anchor=1 AND hostname=? AND token=?`, hostname, marked)
		if err != nil {
			return "", fmt.Errorf("complete handover: %w", err)
		}
		return "", nil
	}
	now := s.dialect.Now()
	n, err := s.affected(ctx, `UPDATE active_node SET hostname=?, token=?, first_seen_active=`+now+`, last_seen_active=`+now+`
		WHERE anchor=1 AND hostname=? AND token=?`, succHost, successor, hostname, marked)
	if err != nil {
		return "", fmt.Errorf("complete handover: %w", err)
	}
	if n == 0 {
		return "", nil
	}
	return successor, nil
}

// Resign gives up leadership if this node holds it.
func (s *Store) Resign(ctx context.Context, hostname, token string) error {
	if _, err := s.exec(ctx, `DELETE FROM active_node WHERE anchor=1 AND hostname=? AND token=?`, hostname, token); err != nil {
		return fmt.Errorf("resign: %w", err)
	}
	return nil
}

// ActiveNode returns the leader row, or ErrNoRows when there is none.
func (s *Store) ActiveNode(ctx context.Context) (Node, error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	var n Node
	var first, last Time
	err := s.db.QueryRowContext(c, `SELECT a.hostname, a.token, a.first_seen_active, a.last_seen_active, COALESCE(h.app_version, '')
		FROM active_node a LEFT JOIN node_health h ON a.hostname=h.hostname AND a.token=h.token WHERE a.anchor=1`).
		Scan(&n.Hostname, &n.Token, &first, &last, &n.AppVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return Node{}, ErrNoRows
	}
	if err != nil {
		return Node{}, fmt.Errorf("read active node: %w", err)
	}
	n.FirstSeenActive, n.LastSeenActive = first.Time.Format(tsFormat), last.Time.Format(tsFormat)
	return n, nil
}

// AvailableNodes lists processes seen within the given number of seconds.
func (s *Store) AvailableNodes(ctx context.Context, withinSeconds int) ([]Node, error) {
	out := []Node{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var n Node
		var first, last Time
		if err := rows.Scan(&n.Hostname, &n.Token, &n.AppVersion, &first, &last, &n.ExtraInfo, &n.Command, &n.DBBackend); err != nil {
			return err
		}
		n.FirstSeenActive, n.LastSeenActive = first.Time.Format(tsFormat), last.Time.Format(tsFormat)
		out = append(out, n)
		return nil
	}, `SELECT hostname, token, app_version, first_seen_active, last_seen_active, extra_info, command, db_backend
		FROM node_health WHERE last_seen_active >= `+s.dialect.NowMinusSeconds(withinSeconds)+` ORDER BY hostname, token`)
	if err != nil {
		return nil, fmt.Errorf("read available nodes: %w", err)
	}
	return out, nil
}

// ExpireNodeHealth deletes rows older than the given seconds.
func (s *Store) ExpireNodeHealth(ctx context.Context, olderThanSeconds int) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM node_health WHERE last_seen_active < `+s.dialect.NowMinusSeconds(olderThanSeconds))
	if err != nil {
		return 0, fmt.Errorf("expire node health: %w", err)
	}
	return n, nil
}

// PurgeNodeHealthHistory deletes node_health_history rows (one per
// process start) of processes started before olderThan.
func (s *Store) PurgeNodeHealthHistory(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.affected(ctx, `DELETE FROM node_health_history WHERE first_seen_active < ?`, ts(olderThan))
	if err != nil {
		return 0, fmt.Errorf("purge node health history: %w", err)
	}
	return n, nil
}
