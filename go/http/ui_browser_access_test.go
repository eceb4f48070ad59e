package http

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// readOnlyUser: with AuthenticationMethod multi, user readonly may only
// read. Pages offer them nothing that changes anything: no drag handles
// and no dragging, no panel actions, no alias editing, no acknowledge
// buttons, no recovery switch, no discover form. The configured user, on
// the same server, is offered all of it.
func (w *webUI) readOnlyUser(t *testing.T) {
	f := w.f
	url := f.serve(t, uiConfig(t, f.sb, func(c *config.Config) {
		c.AuthenticationMethod, c.HTTPAuthUser, c.HTTPAuthPassword = "multi", "dba", "secret"
	}))
	clusterURL := fmt.Sprintf("%s/web/cluster/instance/%s/%d", url, f.master.Hostname, f.master.Port)

	dba := w.b.tabAs(t, "dba", "secret")
	dba.navigate(t, clusterURL)
	dba.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
	require.Equal(t, 2, dba.count(t, ".handle"), "the configured user may drag")
	require.Equal(t, 1, dba.count(t, ".sidebar button"), "and edit the alias")

	ro := w.b.tabAs(t, "readonly", "any password")
	ro.navigate(t, clusterURL)
	ro.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
	require.Equal(t, "readonly · read-only · h (leader)", ro.text(t, "#session"))
	require.Contains(t, ro.text(t, ".toolbar"), "Read-only")
	require.Zero(t, ro.count(t, ".handle"), "no drag handles")
	require.Zero(t, ro.count(t, ".sidebar button"), "no alias editing")
	var hidden bool
	ro.eval(t, `document.querySelector('[data-nav="discover"]').hidden`, &hidden)
	require.True(t, hidden, "no Discover in the navbar")

	// A drag does not start: no ghost, no verdicts; the release is a click.
	x1, y1 := ro.center(t, f.r3)
	x2, y2 := ro.center(t, f.master)
	ro.run(t, chromedp.MouseEvent(input.MousePressed, x1, y1, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.MouseMoved, (x1+x2)/2, (y1+y2)/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.MouseMoved, x2, y2, chromedp.ButtonLeft))
	require.Zero(t, ro.count(t, "#drag-ghost, .inst.drop-ok, .inst.drop-no"))
	ro.run(t, chromedp.MouseEvent(input.MouseReleased, x2, y2, chromedp.ButtonLeft))

	ro.openPanel(t, f.r1)
	require.Zero(t, ro.count(t, "#instance-panel [data-action]"), "no panel actions")
	require.Contains(t, ro.text(t, "#instance-panel"), "Read-only access")
	ro.screenshot(t, "read-only-user")

	ro.navigate(t, url+"/web/audit-recovery")
	ro.waitPage(t, "recoveries")
	require.Equal(t, 1, ro.count(t, "main > div > table > tbody > tr"), "the recovery is listed")
	require.Zero(t, ro.count(t, "main button"), "no acknowledge button")
	dba.navigate(t, url+"/web/audit-recovery")
	dba.waitPage(t, "recoveries")
	require.Equal(t, 1, dba.count(t, "main > div > table > tbody > tr button"), "the configured user may acknowledge")

	ro.navigate(t, url+"/web/status")
	ro.waitPage(t, "status")
	require.Contains(t, ro.text(t, "main"), "read-only")
	require.Zero(t, ro.count(t, "main button"), "no recovery switch")

	ro.navigate(t, url+"/web/discover")
	ro.waitPage(t, "discover")
	require.Zero(t, ro.count(t, "main form, main input, main button"), "no discover form")
	require.Contains(t, ro.text(t, "main"), "Read-only access")
	ro.screenshot(t, "read-only-user-discover")
}

// readOnlyMode: ReadOnly in the configuration, any user.
func (w *webUI) readOnlyMode(t *testing.T) {
	f, b := w.f, w.b
	roURL := f.serve(t, uiConfig(t, f.sb, func(c *config.Config) { c.ReadOnly = true }))
	b.navigate(t, fmt.Sprintf("%s/web/cluster/instance/%s/%d", roURL, f.master.Hostname, f.master.Port))
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
	require.Contains(t, b.text(t, ".toolbar"), "Read-only")
	require.Zero(t, b.count(t, ".handle"), "no drag handles")
	b.openPanel(t, f.r1)
	require.Zero(t, b.count(t, "#instance-panel [data-action]"))
	require.Contains(t, b.text(t, "#instance-panel"), "Read-only access")
	b.screenshot(t, "read-only")
}
