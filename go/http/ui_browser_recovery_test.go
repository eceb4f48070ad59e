package http

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// recoveryPages kills the master (SIGKILL by its recorded PID), lets the
// leader's check register the failure, recovers it from the master's
// instance panel, and reads the recovery, its steps, its data-safety
// report and the detection in the UI.
func (w *webUI) recoveryPages(t *testing.T) {
	f, b := w.f, w.b
	t.Cleanup(func() { f.restore(t) })
	ctx := context.Background()
	require.NoError(t, f.sb.Kill(f.master.Port))
	// What the poll loop and the leader's recovery loop do: probe the
	// master (which fails), then check the cluster, which registers the
	// detection. Masters are recovered by hand here (no filter matches).
	var detections []map[string]any
	require.Eventually(t, func() bool {
		_, _ = f.deps.Discoverer.Probe(ctx, f.master)
		f.deps.Recoverer.Check(ctx, f.master.String(), func() error { return nil }) // this process leads
		return getJSON(t, f.url+"/api/audit-failure-detection", &detections) == 200 && len(detections) > 0
	}, 30*time.Second, 200*time.Millisecond, "a failure detection")

	b.navigate(t, w.clusterURL)
	b.waitJS(t, "tree", `document.querySelectorAll(".inst").length === 4`)
	require.Equal(t, 1, b.count(t, boxSel(f.master)+".invalid"), "the dead master drawn unreachable")
	b.openPanel(t, f.master)
	b.waitText(t, "#instance-panel", "DeadMaster")
	b.screenshot(t, "dead-master")
	b.click(t, `#instance-panel [data-action="recover"]`)
	b.waitDialog(t, "confirm")
	require.Contains(t, b.text(t, "#modal"), "DeadMaster")
	b.click(t, "#modal button.primary")
	b.waitText(t, "#toast", "recover: Recovered")
	b.waitNoDialog(t)

	var recs []map[string]any
	require.Equal(t, 200, getJSON(t, f.url+"/api/audit-recovery", &recs))
	require.Len(t, recs, 1)
	successor := keyOf(t, recs[0]["SuccessorKey"])
	require.Contains(t, []inst.InstanceKey{f.r1, f.r2}, successor)
	require.Nil(t, f.slaveStatus(t, successor), "the successor is a master on MariaDB")
	other := f.r1
	if successor == f.r1 {
		other = f.r2
	}
	f.replicatesFrom(t, other, successor)

	b.navigate(t, f.url+"/web/audit-recovery")
	b.waitPage(t, "recoveries")
	require.Equal(t, 1, b.count(t, "main > div > table > tbody > tr"))
	row := b.text(t, "main > div > table > tbody > tr")
	for _, want := range []string{"DeadMaster", f.master.String(), successor.String(), "successful"} {
		require.Contains(t, row, want)
	}
	safety := b.text(t, "main .safety")
	require.Contains(t, safety, "promoted "+successor.String(), "the data-safety report")
	require.Contains(t, safety, other.String(), "the report's replica rows")
	require.NotZero(t, b.count(t, "main .safety table tbody tr"))
	b.screenshot(t, "recoveries")

	b.click(t, `main > div > table > tbody > tr a[href*="/web/audit-recovery-steps/"]`)
	b.waitJS(t, "steps", `location.pathname.includes("/web/audit-recovery-steps/") && document.querySelector("main h2")`)
	require.Equal(t, "Steps", b.text(t, "main h2"))
	require.Contains(t, b.text(t, "main h1"), fmt.Sprint(recs[0]["UID"]))
	require.Greater(t, b.count(t, "main h2 + table tbody tr"), 1, "the recovery's steps")
	require.Contains(t, b.text(t, "main h2 + table"), successor.String())
	b.screenshot(t, "recovery-steps")

	b.navigate(t, f.url+"/web/audit-failure-detection")
	b.waitPage(t, "detections")
	require.Contains(t, b.text(t, "main table"), "DeadMaster")
	require.Contains(t, b.text(t, "main table"), f.master.String())
	require.Equal(t, len(detections), b.count(t, "main table tbody tr"))
	b.screenshot(t, "detections")
}

// keyOf reads an InstanceKey decoded as a JSON object.
func keyOf(t *testing.T, v any) inst.InstanceKey {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "a key: %v", v)
	host, _ := m["Hostname"].(string)
	port, _ := m["Port"].(float64)
	return inst.InstanceKey{Hostname: host, Port: int(port)}
}

// acknowledgeAndSwitch uses what a read-write user is offered on the
// recoveries and status pages.
func (w *webUI) acknowledgeAndSwitch(t *testing.T) {
	f, b := w.f, w.b
	b.navigate(t, f.url+"/web/audit-recovery")
	b.waitPage(t, "recoveries")
	b.click(t, "main > div > table > tbody > tr button")
	b.waitDialog(t, "form")
	b.fillDialog(t, map[string]string{"comment": "checked by the UI test"})
	b.click(t, "#modal button.primary")
	b.waitText(t, "main table", "checked by the UI test")
	require.Zero(t, b.count(t, "main table button"), "nothing left to acknowledge")
	var recs []map[string]any
	require.Equal(t, 200, getJSON(t, f.url+"/api/audit-recovery", &recs))
	acked, _ := recs[0]["Acknowledged"].(bool)
	require.True(t, acked)
	require.Equal(t, "checked by the UI test", recs[0]["AcknowledgedComment"])

	global := func() string {
		t.Helper()
		var env map[string]any
		require.Equal(t, 200, getJSON(t, f.url+"/api/check-global-recoveries", &env))
		return fmt.Sprint(env["Details"])
	}
	b.navigate(t, f.url+"/web/status")
	b.waitText(t, "main", "Disable global recoveries")
	b.click(t, "main p button")
	b.waitText(t, "main", "Enable global recoveries")
	require.Equal(t, "disabled", global())
	b.click(t, "main p button")
	b.waitText(t, "main", "Disable global recoveries")
	require.Equal(t, "enabled", global())
}
