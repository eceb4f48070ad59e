package mysql

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestWatchError tells an error the live server sent apart from a broken
// connection or a server shutting down.
func TestWatchError(t *testing.T) {
	key := inst.InstanceKey{Hostname: "127.0.0.1", Port: 3306}
	for _, c := range []struct {
		err      error
		answered bool
	}{
		{&mysql.MySQLError{Number: 1064, Message: "syntax"}, true},
		{redact(&mysql.MySQLError{Number: 1142, Message: "denied for secret"}, "secret"), true},
		{&mysql.MySQLError{Number: 1053, Message: "Server shutdown in progress"}, false},
		{&mysql.MySQLError{Number: 1927, Message: "Connection was killed"}, false},
		{mysql.ErrInvalidConn, false},
		{io.EOF, false},
	} {
		err := watchError(key, c.err)
		require.Equal(t, c.answered, errors.Is(err, ErrWatchAnswered), c.err.Error())
		require.ErrorIs(t, err, c.err)
	}
}

// TestHoldOnRealServer holds the sandbox master for a second: the sleep
// ends normally.
func TestHoldOnRealServer(t *testing.T) {
	f := setup(t)
	require.NoError(t, f.in.Hold(t.Context(), f.master, time.Second))
}
