// Package inst is orchestrator's model: instance keys, instances, binlog
// coordinates, GTID sets, versions. Plain types and pure functions only.
package inst

import (
	"errors"
	"fmt"
)

// Error kinds. Callers wrap them with context; the HTTP layer and the CLI map
// them to a status and an exit code in one place each.
var (
	ErrNotFound     = errors.New("not found")
	ErrBadRequest   = errors.New("bad request")
	ErrLocked       = errors.New("locked")
	ErrReadOnly     = errors.New("read-only mode")
	ErrUnauthorized = errors.New("unauthorized")
	ErrRefused      = errors.New("refused")
	// ErrServerFailed: a managed MySQL server, not orchestrator, failed:
	// it could not be reached, dropped the connection, timed out or
	// answered a statement with an error (HTTP 502).
	ErrServerFailed = errors.New("the MySQL server failed")
)

// kindError is an error of a kind whose text is its message alone (not
// "message: kind").
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Errorf formats an error of the given kind (errors.Is(err, kind) holds)
// whose text is the formatted message only.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// WithKind marks err as being of kind too (errors.Is(err, kind) holds)
// without changing its text; errors.Is and errors.As still see err's own
// chain.
func WithKind(kind, err error) error {
	if err == nil || errors.Is(err, kind) {
		return err
	}
	return &markedError{err: err, kind: kind}
}

type markedError struct{ err, kind error }

func (e *markedError) Error() string   { return e.err.Error() }
func (e *markedError) Unwrap() []error { return []error{e.err, e.kind} }
