package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMigrationTwoProcesses starts separate OS processes that migrate the
// same fresh backend at the same moment (a fresh SQLite file; a fresh
// database on the sandbox's backend MariaDB), as several orchestrator nodes
// starting together do. Every process succeeds and each schema version is
// recorded exactly once.
func TestMigrationTwoProcesses(t *testing.T) {
	helper := filepath.Join(t.TempDir(), "migrate")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", helper, "./testdata/migrate")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build helper: %s", out)

	const processes = 3
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "orchestrator.conf.json")
			keys := map[string]any{"BackendDB": cfg.BackendDB}
			if cfg.BackendDB == "sqlite3" {
				keys["SQLite3DataFile"] = cfg.SQLite3DataFile
			} else {
				keys["MySQLOrchestratorHost"] = cfg.MySQLOrchestratorHost
				keys["MySQLOrchestratorPort"] = cfg.MySQLOrchestratorPort
				keys["MySQLOrchestratorDatabase"] = cfg.MySQLOrchestratorDatabase
				keys["MySQLOrchestratorUser"] = cfg.MySQLOrchestratorUser
				keys["MySQLOrchestratorPassword"] = cfg.MySQLOrchestratorPassword
			}
			b, err := json.Marshal(keys)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(conf, b, 0o600))
			start := filepath.Join(dir, "start")

			var wg sync.WaitGroup
			outputs := make([]string, processes)
			errs := make([]error, processes)
			cmds := make([]*exec.Cmd, processes)
			for n := range cmds {
				cmds[n] = exec.CommandContext(ctx, helper, conf, start)
				var buf strings.Builder
				cmds[n].Stdout, cmds[n].Stderr = &buf, &buf
				require.NoError(t, cmds[n].Start())
				wg.Add(1)
				go func(n int) {
					defer wg.Done()
					errs[n] = cmds[n].Wait()
					outputs[n] = buf.String()
				}(n)
			}
			// Every process is running and polling for the start file.
			require.NoError(t, os.WriteFile(start, nil, 0o600))
			wg.Wait()
			want := fmt.Sprintf("schema version %d\n", SchemaVersion())
			for n := range cmds {
				require.NoError(t, errs[n], "process %d: %s", n, outputs[n])
				require.Equal(t, want, outputs[n], "process %d", n)
			}

			s := open(t, cfg)
			rows, err := s.db.QueryContext(ctx, `SELECT deployed_version, COUNT(*) FROM orchestrator_db_deployments GROUP BY deployed_version ORDER BY deployed_version`)
			require.NoError(t, err)
			defer rows.Close()
			var versions []int
			for rows.Next() {
				var v, count int
				require.NoError(t, rows.Scan(&v, &count))
				require.Equal(t, 1, count, "version %d recorded %d times", v, count)
				versions = append(versions, v)
			}
			require.NoError(t, rows.Err())
			require.Len(t, versions, SchemaVersion(), "every version recorded")
			require.Equal(t, SchemaVersion(), versions[len(versions)-1])
		})
	}
}
