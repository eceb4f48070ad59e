package mysql

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// readRows reads every row of the current result set by column name.
func readRows(rows *sql.Rows) ([]row, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	names := make([]string, len(cols)) // lowered once per result set, not per row
	for i := range vals {
		ptrs[i] = &vals[i]
		names[i] = strings.ToLower(cols[i])
	}
	var out []row
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(row, len(cols))
		for i, c := range names {
			r[c] = nullString{s: vals[i].String, valid: vals[i].Valid}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// readFirstRow reads the current result set and returns its first row
// (nil when empty).
func readFirstRow(rows *sql.Rows) (row, error) {
	all, err := readRows(rows)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// readValues reads the current result set's first row as positional values
// (nil when empty), draining the rest.
func readValues(rows *sql.Rows) ([]sql.NullString, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var first []sql.NullString
	for rows.Next() {
		if first != nil {
			continue
		}
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		first = vals
	}
	return first, rows.Err()
}

func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(f), true
	}
	return 0, false
}

func parseFloat(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}

func parseUint(s string) uint {
	n, _ := parseInt(s)
	if n < 0 {
		return 0
	}
	return uint(n)
}

// parseBool reads a server's boolean: ON/YES/TRUE/1 and anything non-zero
// (e.g. read_only=NO_LOCK on newer MariaDB) are true; OFF/NO/0/"" false.
func parseBool(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "0", "OFF", "NO", "FALSE":
		return false
	}
	return true
}

// cleanGTIDSet removes the line breaks servers put into long GTID sets.
func cleanGTIDSet(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "")), "")
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// serverError returns the server's error number, or 0 when err did not come
// from the server (connection, timeout, context).
func serverError(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
