package http

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

// chromiumPath is where script/bootstrap installs Debian's chromium.
const chromiumPath = "/usr/bin/chromium"

// artifactsDir holds the screenshots of the browser tests:
// $UI_ARTIFACTS_DIR, else <tmp>/orchestrator-ui-artifacts.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("UI_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "orchestrator-ui-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// browser is one headless Chromium tab.
type browser struct {
	ctx context.Context
}

// newBrowser starts headless Chromium; a missing Chromium fails the test
// (script/bootstrap installs it).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	_, err := os.Stat(chromiumPath)
	require.NoError(t, err, "Chromium is required for the web UI tests: run script/bootstrap")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	// A fresh profile, removed after the browser is gone (not t.TempDir:
	// Chromium's helpers may still be writing to it when the test ends).
	profile, err := os.MkdirTemp("", "orchestrator-ui-chromium-*")
	require.NoError(t, err)
	opts = append(opts, chromedp.UserDataDir(profile))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 50 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	// The first Run starts the browser and binds it to ctx's lifetime: it
	// must not get a context that is cancelled after one action.
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1400, 1000)), "start Chromium")
	b := &browser{ctx: ctx}
	return b
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	require.NoError(t, chromedp.Run(ctx, actions...))
}

func (b *browser) eval(t *testing.T, js string, out any) {
	t.Helper()
	b.run(t, chromedp.Evaluate(js, out))
}

// waitJS polls a JavaScript condition until it is true.
func (b *browser) waitJS(t *testing.T, what, js string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var ok bool
		// errors are expected while a page loads (no execution context yet)
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		err := chromedp.Run(ctx, chromedp.Evaluate("!!("+js+")", &ok))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot(t, "timeout-"+strings.NewReplacer(" ", "-", "/", "-").Replace(what))
			t.Fatalf("timed out waiting for %s (%s)", what, js)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	var s string
	b.eval(t, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel), &s)
	return s
}

func (b *browser) screenshot(t *testing.T, name string) {
	var png []byte
	if err := chromedp.Run(b.ctx, chromedp.FullScreenshot(&png, 100)); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), name+".png"), png, 0o644)
	}
}

// center returns the viewport position of an instance box, scrolled into view.
func (b *browser) center(t *testing.T, k inst.InstanceKey) (float64, float64) {
	t.Helper()
	var xy []float64
	b.eval(t, fmt.Sprintf(`(() => { const g = document.querySelector('.inst[data-key="%s"] rect.box'); g.scrollIntoView({block: "center"});
		const r = g.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, k), &xy)
	require.Len(t, xy, 2)
	return xy[0], xy[1]
}

// drag presses on from, moves onto to in steps (waiting for the server's
// verdict on every target), and releases there.
func (b *browser) drag(t *testing.T, from, to inst.InstanceKey) {
	t.Helper()
	x1, y1 := b.center(t, from)
	x2, y2 := b.center(t, to)
	b.run(t, chromedp.MouseEvent(input.MousePressed, x1, y1, chromedp.ButtonLeft))
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		b.run(t, chromedp.MouseEvent(input.MouseMoved, x1+(x2-x1)*f, y1+(y2-y1)*f, chromedp.ButtonLeft))
		if i == 1 {
			b.waitJS(t, "move plans", `document.querySelector(".inst.drop-ok, .inst.drop-no")`)
		}
	}
}

func (b *browser) release(t *testing.T, at inst.InstanceKey) {
	t.Helper()
	x, y := b.center(t, at)
	b.run(t, chromedp.MouseEvent(input.MouseReleased, x, y, chromedp.ButtonLeft))
}

// TestWebUIOnSandbox drives the real UI in headless Chromium against a
// real server on the MariaDB sandbox.
func TestWebUIOnSandbox(t *testing.T) {
	f := newUIFixture(t, startSandbox(t))
	b := newBrowser(t)
	clusterURL := fmt.Sprintf("%s/web/cluster/instance/%s/%d", f.url, f.master.Hostname, f.master.Port)
	link := func(from, to inst.InstanceKey) string {
		return fmt.Sprintf(`document.querySelector('path.link[data-from="%s"][data-to="%s"]')`, from, to)
	}

	t.Run("clusters page lists the sandbox cluster", func(t *testing.T) {
		b.run(t, chromedp.Navigate(f.url+"/"))
		b.waitJS(t, "clusters table", `document.querySelector("#clusters table")`)
		row := b.text(t, "#clusters table tbody tr")
		require.Contains(t, row, f.master.String(), "cluster name and master")
		require.Contains(t, row, "4", "instance count")
		b.screenshot(t, "clusters")
	})

	t.Run("topology shows 4 instances with the right parent links", func(t *testing.T) {
		b.run(t, chromedp.Navigate(clusterURL))
		b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
		for _, l := range [][2]inst.InstanceKey{{f.master, f.r1}, {f.master, f.r2}, {f.r1, f.r3}} {
			var ok bool
			b.eval(t, "!!"+link(l[0], l[1]), &ok)
			require.True(t, ok, "link %s -> %s", l[0], l[1])
		}
		var links int
		b.eval(t, `document.querySelectorAll("path.link").length`, &links)
		require.Equal(t, 3, links)
		require.Contains(t, b.text(t, fmt.Sprintf(`.inst[data-key="%s"]`, f.r3)), "replicating")
		b.screenshot(t, "topology")
	})

	t.Run("an invalid drop is refused with a message", func(t *testing.T) {
		b.drag(t, f.r1, f.r3)
		var info string
		b.eval(t, fmt.Sprintf(`document.querySelector('.inst[data-key="%s"] text.dropinfo').textContent`, f.r3), &info)
		require.Contains(t, info, "not allowed")
		require.Contains(t, b.text(t, "#drag-ghost"), "cycle")
		b.screenshot(t, "drag-refused")
		b.release(t, f.r3)
		b.waitJS(t, "refusal", `document.querySelector('#modal[data-dialog="refused"]') && !document.getElementById("modal-backdrop").hidden`)
		require.Contains(t, b.text(t, "#modal .drop-refused"), "cycle")
		b.run(t, chromedp.Click(`#modal button.primary`, chromedp.ByQuery))
		require.Equal(t, f.sb.Replica1Port, masterPortOnServer(t, f, f.r3), "nothing moved")
	})

	t.Run("dragging the chained replica onto the master relocates it", func(t *testing.T) {
		b.drag(t, f.r3, f.master)
		var info string
		b.eval(t, fmt.Sprintf(`document.querySelector('.inst[data-key="%s"] text.dropinfo').textContent`, f.master), &info)
		require.Contains(t, info, "move-up (GTID)")
		b.screenshot(t, "drag-allowed")
		b.release(t, f.master)
		b.waitJS(t, "confirmation", `document.querySelector('#modal[data-dialog="confirm-move"]') && !document.getElementById("modal-backdrop").hidden`)
		confirm := b.text(t, "#modal")
		require.Contains(t, confirm, "Confirm move-up")
		require.Contains(t, confirm, "move "+f.r3.String()+" up below its grandparent "+f.master.String())
		b.screenshot(t, "confirm-move")
		b.run(t, chromedp.Click(`#modal button.primary`, chromedp.ByQuery))
		b.waitJS(t, "new parent link", link(f.master, f.r3))
		var old bool
		b.eval(t, "!!"+link(f.r1, f.r3), &old)
		require.False(t, old, "the old link is gone")
		require.Equal(t, f.sb.MasterPort, masterPortOnServer(t, f, f.r3), "replica3 replicates from the master on MariaDB")
		b.screenshot(t, "after-move")
	})

	t.Run("audit, problems, recoveries, detections and status pages", func(t *testing.T) {
		b.run(t, chromedp.Navigate(f.url+"/web/audit"))
		b.waitJS(t, "audit rows", `document.querySelector("main table tbody tr")`)
		require.Contains(t, b.text(t, "main table"), "move-up", "the drag-and-drop move is audited")
		for _, page := range []string{"/web/clusters-analysis", "/web/audit-recovery", "/web/audit-failure-detection", "/web/status"} {
			b.run(t, chromedp.Navigate(f.url+page))
			b.waitJS(t, page, `document.querySelector("main h1") && !/Loading|Searching/.test(document.querySelector("main").textContent)`)
			main := b.text(t, "main")
			require.NotContains(t, main, "does not provide", page)
			require.NotContains(t, main, "rror", page)
		}
		require.Contains(t, b.text(t, "main"), "this node", "status names the leader")
		b.screenshot(t, "status")
	})

	t.Run("a read-only user sees no destructive actions", func(t *testing.T) {
		roURL := f.serve(t, uiConfig(t, f.sb, func(c *config.Config) { c.ReadOnly = true }))
		b.run(t, chromedp.Navigate(fmt.Sprintf("%s/web/cluster/instance/%s/%d", roURL, f.master.Hostname, f.master.Port)))
		b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
		require.Contains(t, b.text(t, ".toolbar"), "Read-only")
		var handles int
		b.eval(t, `document.querySelectorAll(".handle").length`, &handles)
		require.Zero(t, handles, "no drag handles")
		b.run(t, chromedp.Click(fmt.Sprintf(`.inst[data-key="%s"] rect.box`, f.r1), chromedp.ByQuery))
		b.waitJS(t, "instance panel", `document.querySelector("#instance-panel table.fields")`)
		var actions int
		b.eval(t, `document.querySelectorAll("#instance-panel [data-action]").length`, &actions)
		require.Zero(t, actions)
		require.Contains(t, b.text(t, "#instance-panel"), "Read-only access")
		b.screenshot(t, "read-only")
	})
}

// TestWebUILargeCluster draws a 201-instance cluster (1 master, 10
// intermediate masters, 190 leaves, written to the store as if probed):
// the view switches to compact boxes, draws every instance and no two
// boxes overlap.
func TestWebUILargeCluster(t *testing.T) {
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.db")
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.Migrate(ctx))
	now := time.Now()
	mk := func(n int, master *inst.Instance) *inst.Instance {
		i := &inst.Instance{Key: inst.InstanceKey{Hostname: fmt.Sprintf("db-%03d.example", n), Port: 3306}, ServerID: uint(n + 1),
			Version: "10.11.6-MariaDB-log", FlavorName: inst.FlavorMariaDB, LogBinEnabled: true, LogReplicationUpdatesEnabled: true,
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
	m := mk(0, nil)
	list := []*inst.Instance{m}
	for a := 1; a <= 10; a++ {
		mid := mk(a, m)
		list = append(list, mid)
		for b := 0; b < 19; b++ {
			list = append(list, mk(100+a*19+b, mid))
		}
	}
	require.NoError(t, store.WriteInstances(ctx, list))
	reader := topology.NewReader(store, cfg)
	rc := recovery.New(recovery.Deps{Store: store, Reader: reader, Config: cfg})
	srv := httptest.NewServer(New(cfg, Deps{Store: store, Reader: reader, Recoverer: rc, Node: fakeNode{leader: true}}))
	t.Cleanup(srv.Close)

	b := newBrowser(t)
	start := time.Now()
	b.run(t, chromedp.Navigate(srv.URL+"/web/cluster/"+m.Key.String()))
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 201`)
	t.Logf("201 instances drawn %v after navigation", time.Since(start).Round(time.Millisecond))
	var height float64
	b.eval(t, `document.querySelector(".inst rect.box").getBBox().height`, &height)
	require.Less(t, height, 30.0, "compact boxes for a large cluster")
	var overlaps int
	b.eval(t, `(() => { const r = [...document.querySelectorAll(".inst rect.box")].map(e => e.getBoundingClientRect()); let n = 0;
		for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
			if (r[i].left < r[j].right && r[j].left < r[i].right && r[i].top < r[j].bottom && r[j].top < r[i].bottom) n++;
		return n; })()`, &overlaps)
	require.Zero(t, overlaps)
	var links int
	b.eval(t, `document.querySelectorAll("path.link").length`, &links)
	require.Equal(t, 200, links)
	b.screenshot(t, "large-cluster")
}
