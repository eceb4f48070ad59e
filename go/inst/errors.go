// Package inst is orchestrator's model: instance keys, instances, binlog
// coordinates, GTID sets, versions. Plain types and pure functions only.
package inst

import "errors"

// Error kinds. Callers wrap them with context; the HTTP layer and the CLI map
// them to a status and an exit code in one place each.
var (
	ErrNotFound     = errors.New("not found")
	ErrBadRequest   = errors.New("bad request")
	ErrLocked       = errors.New("locked")
	ErrReadOnly     = errors.New("read-only mode")
	ErrUnauthorized = errors.New("unauthorized")
	ErrRefused      = errors.New("refused")
)
