package sim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeFleet(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fleet.json")
	require.NoError(t, os.WriteFile(p, []byte(doc), 0o600))
	return p
}

// TestLoadFleet: a JSON description gives the servers it lists, their
// master links and replica lists; a server_id left out never collides
// with one given; bad descriptions are refused with the reason.
func TestLoadFleet(t *testing.T) {
	t.Parallel()
	f, err := LoadFleet(writeFleet(t, `{"servers": [
		{"host": "127.20.0.1", "port": 3306, "version": "8.0.36", "log_bin": true, "gtid": true},
		{"host": "127.20.0.2", "port": 3306, "version": "8.0.36", "server_id": 1, "master": "127.20.0.1:3306", "gtid": true},
		{"host": "127.20.0.3", "port": 3306, "version": "10.11.6-MariaDB", "master": "127.20.0.1:3306"}
	]}`))
	require.NoError(t, err)
	require.Equal(t, 3, f.Len())
	require.Equal(t, []string{"127.20.0.1:3306"}, f.Masters())
	servers := f.Servers()
	ids := map[uint32]string{}
	for _, s := range servers {
		require.NotZero(t, s.ServerID)
		require.NotContains(t, ids, s.ServerID, "server_id %d of %s also on %s", s.ServerID, s.Addr(), ids[s.ServerID])
		ids[s.ServerID] = s.Addr()
	}
	require.Equal(t, uint32(1), f.Lookup("127.20.0.2:3306").ServerID, "a given server_id is kept")
	require.ElementsMatch(t, []string{"127.20.0.2:3306", "127.20.0.3:3306"}, f.Lookup("127.20.0.1:3306").Replicas)
	require.Equal(t, "ROW", f.Lookup("127.20.0.3:3306").BinlogFormat, "defaults filled")

	for name, doc := range map[string]string{
		"not loopback":    `{"servers": [{"host": "192.0.2.1", "port": 3306, "version": "8.0.36"}]}`,
		"listed twice":    `{"servers": [{"host": "127.20.0.1", "port": 3306, "version": "8.0.36"}, {"host": "127.20.0.1", "port": 3306, "version": "8.0.36"}]}`,
		"no version":      `{"servers": [{"host": "127.20.0.1", "port": 3306}]}`,
		"unknown master":  `{"servers": [{"host": "127.20.0.1", "port": 3306, "version": "8.0.36", "master": "127.20.0.9:3306"}]}`,
		"server_id twice": `{"servers": [{"host": "127.20.0.1", "port": 3306, "version": "8.0.36", "server_id": 5}, {"host": "127.20.0.2", "port": 3306, "version": "8.0.36", "server_id": 5}]}`,
		"malformed":       `{"servers": [`,
		"port missing":    `{"servers": [{"host": "127.20.0.1", "version": "8.0.36"}]}`,
	} {
		_, err := LoadFleet(writeFleet(t, doc))
		require.Error(t, err, name)
	}
	_, err = LoadFleet(filepath.Join(t.TempDir(), "missing.json"))
	require.Error(t, err)
}
