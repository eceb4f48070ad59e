package http

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// The browser tests drive the real UI in headless Chromium against a
// real server. TestWebUIOnSandbox shares one browser, one service and the
// package's MariaDB sandbox between its steps (ui_browser_*_test.go);
// TestWebUILargeCluster draws a synthetic 201-instance cluster.

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
		// tabs not in front (tabAs) run at full speed
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
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
	return &browser{ctx: ctx}
}

// tabAs opens another tab of the same browser whose requests carry basic
// credentials for user.
func (b *browser) tabAs(t *testing.T, user, password string) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1400, 1000), network.Enable(),
		network.SetExtraHTTPHeaders(network.Headers{"Authorization": auth})))
	return &browser{ctx: ctx}
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

// navigate brings the tab to the front (input events to a tab behind
// another are slow) and loads url.
func (b *browser) navigate(t *testing.T, url string) {
	t.Helper()
	b.run(t, chromedp.ActionFunc(func(ctx context.Context) error {
		return target.ActivateTarget(chromedp.FromContext(ctx).Target.TargetID).Do(ctx)
	}), chromedp.Navigate(url))
}

func (b *browser) click(t *testing.T, sel string) {
	t.Helper()
	b.run(t, chromedp.Click(sel, chromedp.ByQuery))
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

// waitText waits until the text of the first element matching sel
// contains want.
func (b *browser) waitText(t *testing.T, sel, want string) {
	t.Helper()
	b.waitJS(t, fmt.Sprintf("%q in %s", want, sel), fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").includes(%q)`, sel, want))
}

// waitPage waits until a list page has drawn (no "Loading…" left).
func (b *browser) waitPage(t *testing.T, what string) {
	t.Helper()
	b.waitJS(t, what, `document.querySelector("main h1") && !/Loading|Searching/.test(document.querySelector("main").textContent)`)
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	var s string
	b.eval(t, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel), &s)
	return s
}

func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	var n int
	b.eval(t, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n)
	return n
}

func (b *browser) screenshot(t *testing.T, name string) {
	var png []byte
	if err := chromedp.Run(b.ctx, chromedp.FullScreenshot(&png, 100)); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), name+".png"), png, 0o644)
	}
}

// Dialogs (core.js): one #modal, its data-dialog naming the kind.

func (b *browser) waitDialog(t *testing.T, id string) {
	t.Helper()
	b.waitJS(t, id+" dialog", fmt.Sprintf(`document.querySelector('#modal[data-dialog=%q]') && !document.getElementById("modal-backdrop").hidden`, id))
}

func (b *browser) waitNoDialog(t *testing.T) {
	t.Helper()
	b.waitJS(t, "no dialog", `document.getElementById("modal-backdrop").hidden`)
}

// setValue sets an input's value as typing would (an input event).
func (b *browser) setValue(t *testing.T, sel, v string) {
	t.Helper()
	var ok bool
	b.eval(t, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.value = %s;
		e.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, sel, jsString(v)), &ok)
	require.True(t, ok, "no %s", sel)
}

// fillDialog sets the named inputs of the open form dialog.
func (b *browser) fillDialog(t *testing.T, values map[string]string) {
	t.Helper()
	for name, v := range values {
		b.setValue(t, fmt.Sprintf(`#modal [name=%q]`, name), v)
	}
}

// Topology boxes and drag and drop (topology.js).

func boxSel(k inst.InstanceKey) string { return fmt.Sprintf(`.inst[data-key=%q]`, k.String()) }

func linkJS(from, to inst.InstanceKey) string {
	return fmt.Sprintf(`document.querySelector('path.link:not(.comaster)[data-from=%q][data-to=%q]')`, from.String(), to.String())
}

// centerOf returns the viewport position of the first element matching
// sel, scrolled into view first when scroll is set.
func (b *browser) centerOf(t *testing.T, sel string, scroll bool) (float64, float64) {
	t.Helper()
	var xy []float64
	b.eval(t, fmt.Sprintf(`(() => { const g = document.querySelector(%q); if (%t) g.scrollIntoView({block: "center"});
		const r = g.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, sel, scroll), &xy)
	require.Len(t, xy, 2)
	return xy[0], xy[1]
}

// center is the position of an instance box, as it is on the screen.
func (b *browser) center(t *testing.T, k inst.InstanceKey) (float64, float64) {
	t.Helper()
	return b.centerOf(t, boxSel(k)+" rect.box", false)
}

// drag presses on from's box (scrolled into view; to must be visible
// with it), moves onto to in steps (waiting for the server's verdict on
// the targets), and holds there.
func (b *browser) drag(t *testing.T, from, to inst.InstanceKey) {
	t.Helper()
	b.dragFrom(t, boxSel(from)+" rect.box", to)
}

// dragReplicas does the same from the ● handle of from: all its replicas.
func (b *browser) dragReplicas(t *testing.T, from, to inst.InstanceKey) {
	t.Helper()
	b.dragFrom(t, boxSel(from)+" circle.handle", to)
}

func (b *browser) dragFrom(t *testing.T, sel string, to inst.InstanceKey) {
	t.Helper()
	x1, y1 := b.centerOf(t, sel, true)
	x2, y2 := b.center(t, to)
	// 10 px sideways starts the drag (it takes 5), whatever the distance
	b.run(t, chromedp.MouseEvent(input.MousePressed, x1, y1, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.MouseMoved, x1+10, y1, chromedp.ButtonLeft))
	b.waitJS(t, "move plans", `document.querySelector(".inst.drop-ok, .inst.drop-no")`)
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		b.run(t, chromedp.MouseEvent(input.MouseMoved, x1+10+(x2-x1-10)*f, y1+(y2-y1)*f, chromedp.ButtonLeft))
	}
}

func (b *browser) release(t *testing.T, at inst.InstanceKey) {
	t.Helper()
	x, y := b.center(t, at)
	b.run(t, chromedp.MouseEvent(input.MouseReleased, x, y, chromedp.ButtonLeft))
}

// dropInfo is the verdict drawn under a box while dragging.
func (b *browser) dropInfo(t *testing.T, k inst.InstanceKey) string {
	t.Helper()
	return b.text(t, boxSel(k)+" text.dropinfo")
}

// openPanel clicks an instance box and waits for its panel.
func (b *browser) openPanel(t *testing.T, k inst.InstanceKey) {
	t.Helper()
	b.click(t, boxSel(k)+" rect.box")
	b.waitJS(t, "instance panel of "+k.String(), fmt.Sprintf(`document.querySelector("#instance-panel table.fields") && document.querySelector("#instance-panel h2").textContent === %q`, k.String()))
}

// webUI is one run of the browser tests: the fixture, its browser, and
// the cluster page of the sandbox.
type webUI struct {
	f          *uiFixture
	b          *browser
	clusterURL string
}

// TestWebUIOnSandbox drives the real UI in headless Chromium against a
// real server on the MariaDB sandbox. The steps share the browser, the
// service and its store; a step that changes the topology restores the
// sandbox when it ends (even when it fails).
func TestWebUIOnSandbox(t *testing.T) {
	f := newUIFixture(t, startSandbox(t))
	w := &webUI{f: f, b: newBrowser(t), clusterURL: fmt.Sprintf("%s/web/cluster/instance/%s/%d", f.url, f.master.Hostname, f.master.Port)}
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"clusters page: cells, auto-refresh, filter and search", w.clustersPage},
		{"topology shows 4 instances with the right parent links", w.topologyPage},
		{"an invalid drop is refused with a message", w.invalidDrop},
		{"dragging the chained replica onto the master relocates it", w.dragChainedReplica},
		{"co-masters are drawn as such", w.coMasters},
		{"dragging all replicas of replica1 onto the master moves them", w.dragAllReplicas},
		{"instance panel actions run on the server", w.panelActions},
		{"audit log pages, problems and status pages", w.auditAndPages},
		{"discover form discovers a forgotten instance", w.discoverPage},
		{"a master failover shows in recoveries, steps, data safety and detections", w.recoveryPages},
		{"a read-only user is offered nothing that changes anything", w.readOnlyUser},
		{"read-only mode offers no actions", w.readOnlyMode},
		{"acknowledge a recovery and switch global recoveries", w.acknowledgeAndSwitch},
	} {
		t.Run(step.name, step.run)
	}
}
