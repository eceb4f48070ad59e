package http

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// Steps of TestWebUIOnSandbox on the cluster page: the tree, drag and
// drop, co-masters and the instance panel's actions.

func (w *webUI) topologyPage(t *testing.T) {
	f, b := w.f, w.b
	b.navigate(t, w.clusterURL)
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
	for _, l := range [][2]inst.InstanceKey{{f.master, f.r1}, {f.master, f.r2}, {f.r1, f.r3}} {
		var ok bool
		b.eval(t, "!!"+linkJS(l[0], l[1]), &ok)
		require.True(t, ok, "link %s -> %s", l[0], l[1])
	}
	require.Equal(t, 3, b.count(t, "path.link"))
	require.Contains(t, b.text(t, boxSel(f.r3)), "replicating")
	require.Contains(t, b.text(t, boxSel(f.r3)), "dc-west") // odd port: base + 3
	b.screenshot(t, "topology")
}

func (w *webUI) invalidDrop(t *testing.T) {
	f, b := w.f, w.b
	b.drag(t, f.r1, f.r3)
	require.Contains(t, b.dropInfo(t, f.r3), "not allowed")
	require.Contains(t, b.text(t, "#drag-ghost"), "cycle")
	b.screenshot(t, "drag-refused")
	b.release(t, f.r3)
	b.waitDialog(t, "refused")
	require.Contains(t, b.text(t, "#modal .drop-refused"), "cycle")
	b.click(t, `#modal button.primary`)
	require.Equal(t, fmt.Sprint(f.r1.Port), f.slaveStatus(t, f.r3)["Master_Port"], "nothing moved")
}

func (w *webUI) dragChainedReplica(t *testing.T) {
	f, b := w.f, w.b
	t.Cleanup(func() { f.restore(t) })
	b.drag(t, f.r3, f.master)
	require.Contains(t, b.dropInfo(t, f.master), "move-up (GTID)")
	b.screenshot(t, "drag-allowed")
	b.release(t, f.master)
	b.waitDialog(t, "confirm-move")
	confirm := b.text(t, "#modal")
	require.Contains(t, confirm, "Confirm move-up")
	require.Contains(t, confirm, "move "+f.r3.String()+" up below its grandparent "+f.master.String())
	b.screenshot(t, "confirm-move")
	b.click(t, `#modal button.primary`)
	b.waitJS(t, "new parent link", linkJS(f.master, f.r3))
	var old bool
	b.eval(t, "!!"+linkJS(f.r1, f.r3), &old)
	require.False(t, old, "the old link is gone")
	f.replicatesFrom(t, f.r3, f.master)
	b.screenshot(t, "after-move")
}

// coMasters makes replica1 and the master co-masters through the API;
// the tree draws them as a pair joined by the co-master link.
func (w *webUI) coMasters(t *testing.T) {
	f, b := w.f, w.b
	t.Cleanup(func() { f.restore(t) })
	f.api(t, "/api/make-co-master/"+hp(f.r1))
	f.replicatesFrom(t, f.master, f.r1)
	b.navigate(t, w.clusterURL)
	b.waitJS(t, "co-master link", `document.querySelector("path.link.comaster") && document.querySelectorAll(".inst").length === 4`)
	require.Equal(t, 1, b.count(t, "path.link.comaster"))
	var pair []string
	b.eval(t, `(() => { const l = document.querySelector("path.link.comaster"); return [l.dataset.from, l.dataset.to]; })()`, &pair)
	require.ElementsMatch(t, []string{f.master.String(), f.r1.String()}, pair)
	for _, k := range []inst.InstanceKey{f.master, f.r1} {
		require.Contains(t, b.text(t, boxSel(k)), "CO-MASTER", k)
	}
	require.NotContains(t, b.text(t, boxSel(f.r2)), "CO-MASTER")
	// the pair are both tops: no ordinary link between them; their
	// replicas hang off each
	for _, l := range [][2]inst.InstanceKey{{f.master, f.r1}, {f.r1, f.master}} {
		var ok bool
		b.eval(t, "!!"+linkJS(l[0], l[1]), &ok)
		require.False(t, ok, "no parent link %s -> %s", l[0], l[1])
	}
	for _, l := range [][2]inst.InstanceKey{{f.master, f.r2}, {f.r1, f.r3}} {
		var ok bool
		b.eval(t, "!!"+linkJS(l[0], l[1]), &ok)
		require.True(t, ok, "link %s -> %s", l[0], l[1])
	}
	var x []float64
	b.eval(t, fmt.Sprintf(`[%q, %q].map(k => document.querySelector('.inst[data-key="' + k + '"] rect.box').getBoundingClientRect().x)`, f.master, f.r1), &x)
	require.Equal(t, x[0], x[1], "co-masters side by side in the first column")
	b.screenshot(t, "co-masters")
}

// dragAllReplicas gives replica1 two replicas (replica2 relocated below
// it), then drags replica1's ● handle onto the master.
func (w *webUI) dragAllReplicas(t *testing.T) {
	f, b := w.f, w.b
	t.Cleanup(func() { f.restore(t) })
	f.api(t, "/api/relocate/"+hp(f.r2)+"/"+hp(f.r1))
	f.replicatesFrom(t, f.r2, f.r1)
	b.navigate(t, w.clusterURL)
	b.waitJS(t, "replica2 below replica1", linkJS(f.r1, f.r2))

	b.dragReplicas(t, f.r1, f.master)
	require.Contains(t, b.text(t, "#drag-ghost"), "Move the replicas of "+f.r1.String())
	b.waitJS(t, "verdicts", fmt.Sprintf(`document.querySelectorAll(".inst.drop-ok, .inst.drop-no").length === 3`))
	require.Contains(t, b.dropInfo(t, f.master), "move-up-replicas")
	for _, k := range []inst.InstanceKey{f.r2, f.r3} {
		require.Contains(t, b.dropInfo(t, k), "not allowed", "a replica of replica1 cannot take its siblings")
	}
	b.screenshot(t, "drag-replicas")
	b.release(t, f.master)
	b.waitDialog(t, "confirm-move")
	require.Contains(t, b.text(t, "#modal"), "Confirm move-up-replicas")
	b.click(t, `#modal button.primary`)
	b.waitJS(t, "the replicas below the master", linkJS(f.master, f.r2)+" && "+linkJS(f.master, f.r3))
	require.Equal(t, 3, b.count(t, "path.link"))
	require.Zero(t, b.count(t, boxSel(f.r1)+" circle.handle"), "replica1 has no replicas left")
	for _, k := range []inst.InstanceKey{f.r2, f.r3} {
		f.replicatesFrom(t, k, f.master)
	}
	b.screenshot(t, "after-move-replicas")
}

// panelActions clicks the instance panel's actions on replica2 and checks
// each on the server or through the API.
func (w *webUI) panelActions(t *testing.T) {
	f, b := w.f, w.b
	t.Cleanup(func() { f.restore(t) })
	b.navigate(t, w.clusterURL)
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
	b.openPanel(t, f.r2)
	b.screenshot(t, "instance-panel")
	action := func(op string, form map[string]string) {
		t.Helper()
		b.click(t, fmt.Sprintf(`#instance-panel [data-action=%q]`, op))
		if form == nil {
			b.waitDialog(t, "confirm")
		} else {
			b.waitDialog(t, "form")
			b.fillDialog(t, form)
		}
		b.click(t, "#modal button.primary")
	}
	// offered waits until the reopened panel offers op.
	offered := func(op string) {
		t.Helper()
		b.waitJS(t, op+" offered", fmt.Sprintf(`document.querySelector('#instance-panel [data-action=%q]') && document.getElementById("modal-backdrop").hidden`, op))
	}

	action("stop-replica", nil)
	offered("start-replica")
	st := f.slaveStatus(t, f.r2)
	require.Equal(t, "No", st["Slave_IO_Running"])
	require.Equal(t, "No", st["Slave_SQL_Running"])
	require.Contains(t, b.text(t, boxSel(f.r2)), "replication stopped", "the tree redrawn")
	action("start-replica", nil)
	offered("stop-replica")
	f.replicatesFrom(t, f.r2, f.master)

	require.True(t, f.readOnly(t, f.r2))
	action("set-writeable", nil)
	offered("set-read-only")
	require.False(t, f.readOnly(t, f.r2))
	action("set-read-only", nil)
	offered("set-writeable")
	require.True(t, f.readOnly(t, f.r2))

	action("begin-downtime", map[string]string{"owner": "ui-test", "reason": "kernel upgrade", "duration": "30m"})
	offered("end-downtime")
	var downtimed []map[string]any
	require.Equal(t, 200, getJSON(t, f.url+"/api/downtimed", &downtimed))
	require.Len(t, downtimed, 1)
	require.Equal(t, "kernel upgrade", downtimed[0]["DowntimeReason"])
	require.Contains(t, b.text(t, "#instance-panel"), "ui-test: kernel upgrade")
	action("end-downtime", nil)
	offered("begin-downtime")
	require.Equal(t, 200, getJSON(t, f.url+"/api/downtimed", &downtimed))
	require.Empty(t, downtimed)

	action("begin-maintenance", map[string]string{"owner": "ui-test", "reason": "disk swap"})
	offered("end-maintenance")
	var maint []map[string]any
	require.Equal(t, 200, getJSON(t, f.url+"/api/maintenance", &maint))
	require.Len(t, maint, 1)
	require.Equal(t, "disk swap", maint[0]["Reason"])

	// Refused: replication control on an instance in maintenance.
	action("stop-replica", nil)
	b.waitDialog(t, "error")
	require.Contains(t, b.text(t, "#modal h3"), "stop-replica failed")
	refusal := b.text(t, "#modal .result-error")
	require.Contains(t, refusal, "maintenance")
	b.screenshot(t, "action-refused")
	b.click(t, "#modal button.primary")
	f.replicatesFrom(t, f.r2, f.master)

	offered("end-maintenance")
	action("end-maintenance", nil)
	offered("begin-maintenance")
	require.Equal(t, 200, getJSON(t, f.url+"/api/maintenance", &maint))
	require.Empty(t, maint)
}
