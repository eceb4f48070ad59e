package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Errors of the Applier, wrapped with the key and the statement kind.
var (
	ErrReplicationRunning = errors.New("replication threads are running")
	ErrNotReplica         = errors.New("not a replica")
	ErrUnsupported        = errors.New("not supported by this server")
)

// Applier owns every statement that changes a server. Each method takes
// the context first and the server second, sends one statement or a
// minimal sequence in the server's own vocabulary, and wraps errors with
// the key and the kind of statement. Statements are built only from
// validated values (instance keys, binlog coordinates, GTID positions,
// enums); strings travel as parameters and are escaped by the driver for
// the session's sql_mode. It is safe for concurrent use.
type Applier struct {
	c     *Connector
	cfg   *config.Config
	in    *Inspector
	fence func() error // nil: unfenced (see Fenced)
}

// NewApplier builds an Applier. in supplies each server's vocabulary and
// the replication state some operations check first.
func NewApplier(c *Connector, cfg *config.Config, in *Inspector) *Applier {
	return &Applier{c: c, cfg: cfg, in: in}
}

// statement is a statement's text with ? for string parameters.
type statement struct {
	kind    string // names the statement in errors: "change master", "stop replication"
	text    string
	args    []any
	secrets []string // parameters never shown (passwords)
}

// String renders the statement for logs and tests: parameters quoted,
// secrets masked.
func (s statement) String() string {
	var b strings.Builder
	arg := 0
	for _, r := range s.text {
		if r == '?' && arg < len(s.args) {
			b.WriteString(s.literal(s.args[arg]))
			arg++
			continue
		}
		b.WriteRune(r)
	}
	return RedactText(b.String(), s.secrets...)
}

func (s statement) literal(v any) string {
	if text, ok := v.(string); ok && slices.Contains(s.secrets, text) {
		return "'" + redactedMark + "'"
	}
	return literal(v)
}

// literal renders a parameter as an SQL literal.
func literal(v any) string {
	switch x := v.(type) {
	case string:
		return QuoteString(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// QuoteString quotes s as a MySQL string literal for display, escaping as
// the server's default sql_mode expects (as mysql_real_escape_string does).
// Statements themselves pass strings as parameters: the driver escapes
// them according to the session's NO_BACKSLASH_ESCAPES setting.
func QuoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\x1a':
			b.WriteString(`\Z`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// exec runs one statement on key's pool.
func (a *Applier) exec(ctx context.Context, key inst.InstanceKey, st statement) error {
	if err := a.checkFence(key, st.kind); err != nil {
		return err
	}
	db, err := a.c.DB(key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", st.kind, key, err)
	}
	if _, err := db.ExecContext(ctx, st.text, st.args...); err != nil {
		return a.fail(key, st, err)
	}
	return nil
}

// fail reports a statement the server did not carry out: the server
// failed (inst.ErrServerFailed), whether it could not be reached or
// answered with an error.
func (a *Applier) fail(key inst.InstanceKey, st statement, err error) error {
	return inst.WithKind(inst.ErrServerFailed, fmt.Errorf("%s on %s: %w", st.kind, key, a.c.Redact(err, st.secrets...)))
}

// simple runs a statement that depends only on the server's vocabulary.
func (a *Applier) simple(ctx context.Context, key inst.InstanceKey, kind string, text func(Terminology) string) error {
	t, err := a.in.Terminology(ctx, key)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", kind, key, err)
	}
	return a.exec(ctx, key, statement{kind: kind, text: text(t)})
}

// session runs fn on one dedicated connection (for session variables such
// as GTID_NEXT). When fn fails the connection is discarded, never returned
// to the pool with its session state half-changed.
func (a *Applier) session(ctx context.Context, key inst.InstanceKey, fn func(conn *sql.Conn) error) error {
	if err := a.checkFence(key, "session"); err != nil {
		return err
	}
	db, err := a.c.DB(key)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := fn(conn); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return err
	}
	return nil
}

// ExecRaw runs an operator-supplied statement (e.g. from a restart-replica
// statements setting) as is. Its text comes from configuration, never from
// API input.
func (a *Applier) ExecRaw(ctx context.Context, key inst.InstanceKey, stmt string) error {
	return a.exec(ctx, key, statement{kind: "statement", text: stmt})
}

// KillQuery kills the statement running on connection id.
func (a *Applier) KillQuery(ctx context.Context, key inst.InstanceKey, id int64) error {
	if id <= 0 {
		return fmt.Errorf("%w: kill query on %s: invalid connection id %d", inst.ErrBadRequest, key, id)
	}
	return a.exec(ctx, key, statement{kind: "kill query", text: "KILL QUERY " + strconv.FormatInt(id, 10)})
}
