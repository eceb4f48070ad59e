package http

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// clusterCellJS is the text of a column of the clusters table's first
// row ("" while there is none); badges are joined by " | ".
func clusterCellJS(col string) string {
	return fmt.Sprintf(`(() => { const t = document.querySelector("#clusters table"); const tr = t && t.querySelector("tbody tr"); if (!tr) return "";
		const i = [...t.querySelectorAll("thead th")].findIndex(h => h.textContent === %s); const td = tr.children[i];
		return td.children.length ? [...td.children].map(c => c.textContent).join(" | ") : td.textContent; })()`, jsString(col))
}

func (w *webUI) clustersPage(t *testing.T) {
	f, b := w.f, w.b
	name := f.master.String()
	b.navigate(t, f.url+"/web/clusters?refresh=1")
	b.waitJS(t, "clusters table", `document.querySelector("#clusters table tbody tr")`)
	require.Equal(t, 1, b.count(t, "#clusters table tbody tr"))
	for col, want := range map[string]string{
		"Alias": name, "Cluster": name, "Master": name, "Instances": "4", "Data centers": "dc-east, dc-west",
		"Problems": "ok", "Recovery": "master: manual | intermediate: auto",
	} {
		var got string
		b.eval(t, clusterCellJS(col), &got)
		require.Equal(t, want, got, col)
	}
	b.screenshot(t, "clusters")

	// The page reloads its data by itself (every second with ?refresh=1).
	var marked bool
	b.eval(t, `window.notReloaded = true`, &marked)
	alias := "sandbox 100% eu:1"
	f.api(t, "/api/set-cluster-alias/"+url.PathEscape(name)+"?alias="+url.QueryEscape(alias))
	b.waitJS(t, "the new alias", clusterCellJS("Alias")+" === "+jsString(alias))
	f.api(t, "/api/stop-replica/"+hp(f.r2))
	b.waitJS(t, "the stopped replica", clusterCellJS("Problems")+`.includes("not_replicating")`)
	b.screenshot(t, "clusters-problem")
	f.api(t, "/api/start-replica/"+hp(f.r2))
	b.waitJS(t, "no problem", clusterCellJS("Problems")+` === "ok"`)
	b.eval(t, `window.notReloaded === true`, &marked)
	require.True(t, marked, "refreshed in place, not reloaded")

	// The filter box narrows the list; Enter searches instances.
	b.run(t, chromedp.SendKeys("#cluster-filter", "no such cluster", chromedp.ByQuery))
	b.waitText(t, "#clusters", "No cluster matches.")
	b.setValue(t, "#cluster-filter", "")
	b.run(t, chromedp.SendKeys("#cluster-filter", "DC-WEST", chromedp.ByQuery))
	b.waitJS(t, "the cluster by data center", clusterCellJS("Alias")+" === "+jsString(alias))
	b.setValue(t, "#cluster-filter", "")
	b.run(t, chromedp.SendKeys("#cluster-filter", fmt.Sprint(f.r1.Port)+kb.Enter, chromedp.ByQuery))
	b.waitJS(t, "search page", `location.pathname.endsWith("/web/search")`)
	b.waitPage(t, "search results")
	require.Equal(t, "No cluster matches.", b.text(t, "#results h2:first-of-type + *"))
	require.Equal(t, 1, b.count(t, "#results h2:nth-of-type(2) + table tbody tr"), "only replica1 has that port")
	require.Contains(t, b.text(t, "#results h2:nth-of-type(2) + table"), f.r1.String())

	// The navbar's search box finds clusters by alias, in any case.
	b.run(t, chromedp.SendKeys("#nav-search input", "SANDBOX 100"+kb.Enter, chromedp.ByQuery))
	b.waitJS(t, "search by alias", `new URLSearchParams(location.search).get("s") === "SANDBOX 100"`)
	b.waitPage(t, "search results")
	require.Equal(t, 1, b.count(t, "#results h2:first-of-type + table tbody tr"))
	require.Contains(t, b.text(t, "#results h2:first-of-type + table"), alias)
	require.Equal(t, "No instance matches.", b.text(t, "#results h2:nth-of-type(2) + *"))
	b.screenshot(t, "search")

	// Links carry names with ':', '%' and spaces to the cluster page.
	b.click(t, `#results table a[href*="/web/cluster/1"]`)
	b.waitJS(t, "cluster by name", `document.querySelectorAll(".inst").length === 4`)
	require.Contains(t, b.text(t, "main h1"), alias)
	b.navigate(t, f.url+"/web/clusters")
	b.click(t, `#clusters a[href*="/web/cluster/alias/"]`)
	b.waitJS(t, "cluster by alias", `document.querySelectorAll(".inst").length === 4`)
	require.Equal(t, alias, b.text(t, "#cluster-alias"))

	// Edit the alias in the sidebar; the page follows the new alias.
	b.click(t, ".sidebar button.small")
	b.waitDialog(t, "form")
	b.fillDialog(t, map[string]string{"alias": "sandbox"})
	b.click(t, "#modal button.primary")
	b.waitJS(t, "the page redrawn by its new alias", `location.pathname.endsWith("/web/cluster/alias/sandbox") && document.querySelectorAll(".inst").length === 4 &&
		(document.querySelector("#cluster-alias") || {}).textContent === "sandbox"`)
	var clusters []UICluster
	require.Equal(t, 200, getJSON(t, f.url+"/api/ui/clusters", &clusters))
	require.Equal(t, "sandbox", clusters[0].ClusterAlias)
}

// auditAndPages: the audit log over more than one page, an instance's
// audit, and the list pages render without errors.
func (w *webUI) auditAndPages(t *testing.T) {
	f, b := w.f, w.b
	var older []map[string]any
	for i := 0; i < 30; i++ { // each round audits two rows
		require.Equal(t, 200, getJSON(t, f.url+"/api/audit/1", &older))
		if len(older) > 0 {
			break
		}
		f.api(t, fmt.Sprintf("/api/begin-downtime/%s/test/audit-filler-%d/1m", hp(f.master), i))
		f.api(t, "/api/end-downtime/"+hp(f.master))
	}
	require.NotEmpty(t, older, "more than one page of audit rows")

	b.navigate(t, f.url+"/web/audit")
	b.waitJS(t, "audit rows", `document.querySelector("main table tbody tr")`)
	require.Equal(t, 20, b.count(t, "main table tbody tr"), "20 rows a page")
	require.Contains(t, b.text(t, ".pager"), "page 1")
	require.NotContains(t, b.text(t, ".pager"), "newer")
	b.click(t, `.pager a[href$="/web/audit/1"]`)
	b.waitJS(t, "audit page 2", `location.pathname.endsWith("/web/audit/1") && document.querySelector("main table tbody tr")`)
	require.Equal(t, len(older), b.count(t, "main table tbody tr"))
	require.Contains(t, b.text(t, "main table tbody tr"), older[0]["Message"], "page 2 is the API's page 1")
	require.Contains(t, b.text(t, ".pager"), "← newer")
	require.Contains(t, b.text(t, ".pager"), "page 2")
	b.screenshot(t, "audit-page-2")

	b.navigate(t, fmt.Sprintf("%s/web/audit/instance/%s/%d", f.url, f.r3.Hostname, f.r3.Port))
	b.waitJS(t, "instance audit rows", `document.querySelector("main table tbody tr")`)
	require.Contains(t, b.text(t, "main h1"), f.r3.String())
	require.Contains(t, b.text(t, "main table"), "move-up", "the drag-and-drop moves are audited")
	require.NotContains(t, b.text(t, "main table"), "audit-filler", "only replica3's rows")

	for _, page := range []string{"/web/clusters-analysis", "/web/audit-recovery", "/web/audit-failure-detection", "/web/status"} {
		b.navigate(t, f.url+page)
		b.waitPage(t, page)
		main := b.text(t, "main")
		require.NotContains(t, main, "does not provide", page)
		require.NotContains(t, main, "rror", page)
	}
	require.Contains(t, b.text(t, "main"), "this node", "status names the leader")
	b.screenshot(t, "status")
}

// discoverPage forgets replica2, then discovers it again with the form.
func (w *webUI) discoverPage(t *testing.T) {
	f, b := w.f, w.b
	t.Cleanup(func() { f.restore(t) })
	f.api(t, "/api/forget/"+hp(f.r2))
	var i map[string]any
	require.Equal(t, 404, getJSON(t, f.url+"/api/instance/"+hp(f.r2), &i), "forgotten")

	b.navigate(t, f.url+"/web/discover")
	b.waitJS(t, "discover form", `document.querySelector("#discover-form")`)
	b.setValue(t, "#discover-host", f.r2.Hostname)
	b.setValue(t, "#discover-port", fmt.Sprint(f.r2.Port))
	b.click(t, `#discover-form button[type="submit"]`)
	b.waitJS(t, "discovered", `document.querySelector("#discover-result a")`)
	b.waitNoDialog(t)
	require.Contains(t, b.text(t, "#discover-result"), "Discovered.")
	b.screenshot(t, "discover")
	require.Equal(t, 200, getJSON(t, f.url+"/api/instance/"+hp(f.r2), &i), "known again")
	require.Equal(t, f.master.String(), i["ClusterName"])

	b.click(t, "#discover-result a")
	b.waitJS(t, "its cluster", `document.querySelectorAll(".inst").length === 4`)
}
