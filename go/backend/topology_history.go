package backend

import (
	"context"
	"fmt"
	"time"
)

// SnapshotTopologies records every instance's current master in
// database_instance_topology_history under the given time.
func (s *Store) SnapshotTopologies(ctx context.Context, at time.Time) (int64, error) {
	n, err := s.affected(ctx, s.insertIgnorePrefix()+` INTO database_instance_topology_history
		(snapshot_unix_timestamp, hostname, port, master_host, master_port, cluster_name, version)
		SELECT ?, hostname, port, master_host, master_port, cluster_name, version FROM database_instance`, at.Unix())
	if err != nil {
		return 0, fmt.Errorf("snapshot topologies: %w", err)
	}
	return n, nil
}
