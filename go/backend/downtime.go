package backend

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orchestrator/go/inst"
)

// Downtime is an operator's statement that an instance is known broken.
type Downtime struct {
	Key      inst.InstanceKey
	Owner    string
	Reason   string
	BeginsAt time.Time
	EndsAt   time.Time
}

// BeginDowntime records (or replaces) a downtime.
func (s *Store) BeginDowntime(ctx context.Context, d Downtime) error {
	_, err := s.exec(ctx, s.dialect.Upsert("database_instance_downtime",
		[]string{"hostname", "port", "downtime_active", "begin_timestamp", "end_timestamp", "owner", "reason"}, []string{"hostname", "port"}),
		d.Key.Hostname, d.Key.Port, 1, ts(d.BeginsAt), ts(d.EndsAt), d.Owner, d.Reason)
	if err != nil {
		return fmt.Errorf("begin downtime on %s: %w", d.Key, err)
	}
	return nil
}

// EndDowntime ends an instance's downtime; ErrNotFound when none is active.
func (s *Store) EndDowntime(ctx context.Context, key inst.InstanceKey) error {
	n, err := s.affected(ctx, `DELETE FROM database_instance_downtime WHERE hostname=? AND port=?`, key.Hostname, key.Port)
	if err != nil {
		return fmt.Errorf("end downtime on %s: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("%s is not downtimed: %w", key, inst.ErrNotFound)
	}
	return nil
}

// ActiveDowntimes returns unexpired downtimes by key.
func (s *Store) ActiveDowntimes(ctx context.Context) (map[inst.InstanceKey]Downtime, error) {
	out := map[inst.InstanceKey]Downtime{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var d Downtime
		var begin, end Time
		if err := rows.Scan(&d.Key.Hostname, &d.Key.Port, &begin, &end, &d.Owner, &d.Reason); err != nil {
			return err
		}
		d.BeginsAt, d.EndsAt = begin.Time, end.Time
		out[d.Key] = d
		return nil
	}, `SELECT hostname, port, begin_timestamp, end_timestamp, owner, reason FROM database_instance_downtime WHERE downtime_active=1 AND end_timestamp >= ?`, ts(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("read downtimes: %w", err)
	}
	return out, nil
}

// ExpireDowntimes deletes ended downtimes.
func (s *Store) ExpireDowntimes(ctx context.Context) (int64, error) {
	return s.affected(ctx, `DELETE FROM database_instance_downtime WHERE end_timestamp < ?`, ts(time.Now()))
}
