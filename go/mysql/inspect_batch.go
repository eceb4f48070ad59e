package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// step is one read statement and how to read its result set.
type step struct {
	name     string // statement kind or config key, for errors
	query    string
	read     func(rows *sql.Rows) error
	optional bool // a failure becomes a warning instead of failing the read
}

// errBatchUnsupported: the server answered a multi-statement batch with
// fewer result sets than statements, or could not parse it.
var errBatchUnsupported = errors.New("server does not run several statements per round trip")

const erParseError = 1064

// runSteps runs steps in order, as one batch (one round trip) when the
// server allows it. When a statement fails, the batch stops there: an
// optional step's failure is passed to warn and the rest run as a new
// batch; any other failure fails the whole read.
func runSteps(ctx context.Context, s *session, srv *server, steps []step, warn func(error)) error {
	for len(steps) > 0 {
		done, err := runSome(ctx, s, srv, steps)
		steps = steps[done:]
		switch {
		case err == nil:
		case errors.Is(err, errBatchUnsupported):
			srv.batch.Store(batchNo)
		case ctx.Err() == nil && steps[0].optional:
			warn(fmt.Errorf("%s: %w", steps[0].name, err))
			steps = steps[1:]
		default:
			return fmt.Errorf("%s: %w", steps[0].name, err)
		}
	}
	return nil
}

func runSome(ctx context.Context, s *session, srv *server, steps []step) (int, error) {
	if len(steps) == 1 || srv.batch.Load() == batchNo {
		return runOne(ctx, s, steps[0])
	}
	return runBatch(ctx, s, srv, steps)
}

func runOne(ctx context.Context, s *session, st step) (int, error) {
	rows, err := s.query(ctx, st.query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if err := st.read(rows); err != nil {
		return 0, err
	}
	return 1, nil
}

// runBatch sends every step as one multi-statement query and reads the
// result sets in order. It returns how many steps completed; a non-nil
// error belongs to the next step.
func runBatch(ctx context.Context, s *session, srv *server, steps []step) (int, error) {
	queries := make([]string, len(steps))
	for i, st := range steps {
		queries[i] = st.query
	}
	s.queries += len(steps)
	s.roundTrips++
	rows, err := s.q.QueryContext(ctx, strings.Join(queries, "; "))
	if err != nil {
		if srv.batch.Load() == batchUnknown && serverError(err) == erParseError {
			return 0, errBatchUnsupported
		}
		return 0, err
	}
	defer rows.Close()
	for k, st := range steps {
		if k > 0 && !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				return k, err
			}
			return k, errBatchUnsupported
		}
		if err := st.read(rows); err != nil {
			return k, err
		}
		if k > 0 {
			srv.batch.Store(batchYes)
		}
	}
	return len(steps), nil
}
