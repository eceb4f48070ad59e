package backend

import (
	"context"
	"fmt"
	"time"
)

// KVPair is one entry of the internal key-value store (table kv_store).
type KVPair struct {
	Key   string
	Value string
}

// PutKVPairs writes entries to the internal key-value store.
func (s *Store) PutKVPairs(ctx context.Context, pairs []KVPair) error {
	q := s.dialect.Upsert("kv_store", []string{"store_key", "store_value", "last_updated"}, []string{"store_key"})
	now := ts(time.Now())
	for _, p := range pairs {
		if _, err := s.exec(ctx, q, p.Key, p.Value, now); err != nil {
			return fmt.Errorf("write kv %s: %w", p.Key, err)
		}
	}
	return nil
}

// KVValue reads one entry; a missing key is reported by ok=false.
func (s *Store) KVValue(ctx context.Context, key string) (value string, ok bool, err error) {
	c, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(c, `SELECT store_value FROM kv_store WHERE store_key=?`, key)
	if err != nil {
		return "", false, fmt.Errorf("read kv %s: %w", key, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&value); err != nil {
			return "", false, fmt.Errorf("read kv %s: %w", key, err)
		}
		ok = true
	}
	return value, ok, rows.Err()
}
