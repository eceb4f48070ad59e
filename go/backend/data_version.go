package backend

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// ChangeWatch tells cheaply whether anything was committed to the backend
// since an earlier look, so that a reader holding data in memory knows when
// to read again.
//
// On SQLite it holds one connection of the pool for itself and asks it for
// PRAGMA data_version: SQLite changes that value on a connection whenever
// any other connection — of this process or of another one, such as a CLI
// run — commits to the database file. The watch's own connection never
// writes, so every commit counts. On MySQL there is no such cheap mark and
// Mark reports "unknown"; callers treat that as "changed".
//
// The pinned connection is not counted in QueryLatency: the mark is asked
// on every API read, and would drown the histogram of real statements.
type ChangeWatch struct {
	store *Store

	mu   sync.Mutex
	conn *sql.Conn
	base uint64 // added to data_version so that marks stay distinct across reconnects
	last uint64 // the last mark returned
}

// WatchChanges returns a ChangeWatch on the store. Its connection is taken
// on the first Mark and released by Close.
func (s *Store) WatchChanges() *ChangeWatch { return &ChangeWatch{store: s} }

// Mark returns a value that differs from every earlier one once another
// connection has committed to the backend; ok is false when the backend
// cannot tell (MySQL, or the watch's connection failed): assume a change.
func (w *ChangeWatch) Mark(ctx context.Context) (mark uint64, ok bool) {
	if _, sqlite := w.store.dialect.(sqliteDialect); !sqlite {
		return 0, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c, cancel := w.store.ctx(ctx)
	defer cancel()
	fresh := w.conn == nil
	if fresh {
		conn, err := w.store.db.Conn(c)
		if err != nil {
			return 0, false
		}
		w.conn = conn
	}
	v, err := dataVersion(c, w.conn)
	if err != nil {
		_ = w.conn.Close()
		w.conn = nil
		return 0, false
	}
	if fresh {
		// data_version is only comparable on one connection: start the new
		// connection's marks after every mark given before.
		w.base = w.last + 1 - v
	}
	w.last = w.base + v
	return w.last, true
}

// Close releases the watch's connection.
func (w *ChangeWatch) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil
	}
	err := w.conn.Close()
	w.conn = nil
	return err
}

func dataVersion(ctx context.Context, conn *sql.Conn) (uint64, error) {
	var v int64
	if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read data_version: %w", err)
	}
	return uint64(v), nil
}
