package http

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

// largeCluster writes a 201-instance cluster to a fresh store, as if
// probed: db-000 the master, db-001..db-010 intermediate masters, 19
// leaves below each (db-119 and up, lag n%4 s). Among the leaves: db-119
// lags 30 s, db-120 has its SQL thread stopped, db-121 has errant GTIDs,
// and the last one is the IPv6 address 2001:db8::7.
func largeCluster(t *testing.T, store *backend.Store) (master inst.InstanceKey, ipv6 inst.InstanceKey) {
	t.Helper()
	now := time.Now()
	mk := func(host string, n int, master *inst.Instance) *inst.Instance {
		i := &inst.Instance{Key: inst.InstanceKey{Hostname: host, Port: 3306}, ServerID: uint(n + 1),
			Version: "10.11.6-MariaDB-log", FlavorName: inst.FlavorMariaDB, LogBinEnabled: true, LogReplicationUpdatesEnabled: true,
			Binlog_format: "ROW", ReadOnly: master != nil,
			ClusterName: "db-000.example:3306", DataCenter: fmt.Sprintf("dc%d", n%3), LastSeen: now, LastChecked: now, LastAttemptedCheck: now,
			ReplicationIOThreadState: inst.ThreadStateNoThread, ReplicationSQLThreadState: inst.ThreadStateNoThread}
		if master != nil {
			i.MasterKey, i.UsingMariaDBGTID, i.ReplicationDepth = master.Key, true, master.ReplicationDepth+1
			i.ReadBinlogCoordinates = inst.BinlogCoordinates{LogFile: "bin.000001", LogPos: 4}
			i.ReplicationIOThreadState, i.ReplicationSQLThreadState = inst.ThreadStateRunning, inst.ThreadStateRunning
			i.ReplicationLagSeconds = sql.NullInt64{Int64: int64(n % 4), Valid: true}
		}
		return i
	}
	name := func(n int) string { return fmt.Sprintf("db-%03d.example", n) }
	m := mk(name(0), 0, nil)
	list := []*inst.Instance{m}
	for a := 1; a <= 10; a++ {
		mid := mk(name(a), a, m)
		list = append(list, mid)
		for b := 0; b < 19; b++ {
			n := 100 + a*19 + b
			host := name(n)
			if a == 10 && b == 18 {
				host = "2001:db8::7"
			}
			leaf := mk(host, n, mid)
			switch n {
			case 119:
				leaf.ReplicationLagSeconds.Int64 = 30
			case 120:
				leaf.ReplicationSQLThreadState, leaf.LastSQLError = inst.ThreadStateStopped, "Duplicate entry '7' for key 'PRIMARY'"
			case 121:
				leaf.GtidErrant = "0-999-5"
			}
			list = append(list, leaf)
		}
	}
	require.NoError(t, store.WriteInstances(context.Background(), list))
	return m.Key, list[len(list)-1].Key
}

// TestWebUILargeCluster draws a 201-instance cluster (written to the
// store as if probed, no servers behind it): the view switches to
// compact boxes that still show lag and state, draws every instance
// without overlap, keeps the rest in each box's tooltip and the panel,
// handles an IPv6 key, and a drag gets the server's verdict on all 200
// targets.
func TestWebUILargeCluster(t *testing.T) {
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.db")
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.Migrate(ctx))
	master, ipv6 := largeCluster(t, store)
	reader := topology.NewReader(store, cfg)
	rc := recovery.New(recovery.Deps{Store: store, Reader: reader, Config: cfg})
	srv := httptest.NewServer(New(cfg, Deps{Store: store, Reader: reader, Recoverer: rc, Node: fakeNode{leader: true}}))
	t.Cleanup(srv.Close)
	key := func(n int) inst.InstanceKey {
		return inst.InstanceKey{Hostname: fmt.Sprintf("db-%03d.example", n), Port: 3306}
	}

	b := newBrowser(t)
	// From the clusters page: the link's escaped ':' reaches the API once.
	b.navigate(t, srv.URL+"/web/clusters")
	b.waitJS(t, "clusters table", `document.querySelector("#clusters table tbody tr")`)
	start := time.Now()
	b.click(t, `#clusters a[href$="/web/cluster/db-000.example%3A3306"]`)
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 201`)
	t.Logf("201 instances drawn %v after the click", time.Since(start).Round(time.Millisecond))

	var height float64
	b.eval(t, `document.querySelector(".inst rect.box").getBBox().height`, &height)
	require.Less(t, height, 30.0, "compact boxes for a large cluster")
	var overlaps int
	b.eval(t, `(() => { const r = [...document.querySelectorAll(".inst rect.box")].map(e => e.getBoundingClientRect()); let n = 0;
		for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
			if (r[i].left < r[j].right && r[j].left < r[i].right && r[i].top < r[j].bottom && r[j].top < r[i].bottom) n++;
		return n; })()`, &overlaps)
	require.Zero(t, overlaps)
	require.Equal(t, 200, b.count(t, "path.link"))

	// Compact boxes: host:port, lag and a mark, in the state's colour.
	barColour := func(k inst.InstanceKey) string {
		var c string
		b.eval(t, fmt.Sprintf(`getComputedStyle(document.querySelector('%s rect.bar')).fill`, boxSel(k)), &c)
		return c
	}
	for _, c := range []struct {
		key          inst.InstanceKey
		class, label string
		colour       string
	}{
		{key(138), "ok", "lag 2s ✓", "rgb(31, 157, 85)"},
		{key(119), "lag", "lag 30s !", "rgb(217, 119, 6)"},
		{key(120), "broken", "stopped ✕", "rgb(220, 38, 38)"},
		{key(121), "has-problems", "lag 1s !", "rgb(220, 38, 38)"},
		{key(1), "ok", "lag 1s ✓", "rgb(31, 157, 85)"},
		{master, "ok", "master ✓", "rgb(31, 157, 85)"},
	} {
		require.Equal(t, 1, b.count(t, boxSel(c.key)+"."+c.class), "%s is %s", c.key, c.class)
		require.Equal(t, c.key.String(), b.text(t, boxSel(c.key)+" text.title"))
		require.Equal(t, c.label, b.text(t, boxSel(c.key)+" text.status"), c.key)
		require.Equal(t, c.colour, barColour(c.key), c.key)
	}
	// The rest is in the tooltip.
	tip := b.text(t, boxSel(key(120))+" > title")
	for _, want := range []string{key(120).String(), "10.11.6-MariaDB-log · ROW · read_only", "SQL thread stopped: Duplicate entry",
		"dc dc0 · promotion neutral", "binlog", "GTID", "problems: not_replicating"} {
		require.Contains(t, tip, want)
	}
	require.Contains(t, b.text(t, boxSel(key(121))+" > title"), "ERRANT")
	b.screenshot(t, "large-cluster")

	// ... and in the panel of the selected box.
	b.openPanel(t, key(121))
	require.Contains(t, b.text(t, "#instance-panel"), "0-999-5")
	require.Equal(t, 1, b.count(t, boxSel(key(121))+".selected"))

	// An IPv6 key: drawn, its panel, its audit page.
	require.Equal(t, "[2001:db8::7]:3306", ipv6.String())
	b.openPanel(t, ipv6)
	b.click(t, `#instance-panel a[href*="/web/audit/instance/"]`)
	b.waitPage(t, "audit of the IPv6 instance")
	require.Equal(t, "Audit of [2001:db8::7]:3306", b.text(t, "main h1"))
	require.Equal(t, "No audit entries.", b.text(t, "main p"))

	// A drag in the large cluster: every other box gets the server's
	// verdict; the drop asks to confirm the relocation (cancelled here:
	// there are no servers behind these rows).
	b.navigate(t, srv.URL+"/web/cluster/"+master.String())
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 201`)
	start = time.Now()
	b.drag(t, key(157), key(156)) // neighbours: the first leaf of db-003 onto the last of db-002
	b.waitJS(t, "verdicts on every target", `document.querySelectorAll(".inst.drop-ok, .inst.drop-no").length === 200`)
	t.Logf("verdicts on 200 targets %v after the drag began", time.Since(start).Round(time.Millisecond))
	require.Equal(t, "✓ relocate (GTID)", b.dropInfo(t, key(156)))
	require.Contains(t, b.dropInfo(t, key(3)), "take-master", "its own master, an intermediate master")
	require.Contains(t, b.dropInfo(t, key(158)), "move-below", "a sibling")
	require.Contains(t, b.text(t, "#drag-ghost"), "relocate (GTID)")
	b.screenshot(t, "large-cluster-drag")
	b.release(t, key(156))
	b.waitDialog(t, "confirm-move")
	require.Contains(t, b.text(t, "#modal"), "Confirm relocate")
	require.Contains(t, b.text(t, "#modal"), key(157).String())
	b.click(t, `#modal button[data-value="false"]`)
	b.waitNoDialog(t)
	require.Zero(t, b.count(t, ".inst.drop-ok, .inst.drop-no, #drag-ghost"), "the drag is over")
	i, err := reader.Instance(ctx, key(157))
	require.NoError(t, err)
	require.Equal(t, key(3), i.MasterKey, "cancelled: nothing moved")
}
