package sandbox

import (
	"context"
	"database/sql"
)

// SlaveStatus runs SHOW SLAVE STATUS on db and returns its row by column
// name, nil when the server is not a replica: the truth tests compare
// orchestrator's answers with.
func SlaveStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	return slaveStatus(ctx, db)
}
