package http

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAPIRecoveryOnSandbox drives the recovery routes against the real
// sandbox: the global switch, refusals with 4xx JSON, a dry run that
// changes nothing, a recovery, its audit, steps, data-safety report, why,
// and an acknowledgement.
func TestAPIRecoveryOnSandbox(t *testing.T) {
	l := newLiveServer(t)

	code, env := l.call(t, "/api/replication-analysis")
	require.Equal(t, 200, code)
	require.Equal(t, "OK", env["Code"])
	for _, sw := range []struct{ path, want string }{
		{"/api/check-global-recoveries", "enabled"}, {"/api/disable-global-recoveries", "disabled"},
		{"/api/check-global-recoveries", "disabled"}, {"/api/enable-global-recoveries", "enabled"},
	} {
		code, env = l.call(t, sw.path)
		require.Equal(t, 200, code, sw.path)
		require.Equal(t, sw.want, env["Details"], sw.path)
	}

	for _, bad := range []struct {
		path string
		code int
		msg  string
	}{
		{"/api/ack-all-recoveries", 400, "comment is required"},
		{"/api/recover/" + hp(l.r2), 409, "Recovery not attempted"},
		{"/api/recover/127.0.0.1/notaport", 400, ""},
		{"/api/recover/127.0.0.1/1", 404, ""},
		{"/api/audit-recovery/x", 400, "page"},
		{"/api/audit-recovery/id/-3", 400, "id"},
		{"/api/graceful-master-takeover/" + hp(l.master) + "/" + hp(l.r3), 400, "not a direct replica"},
	} {
		code, env = l.call(t, bad.path)
		require.Equal(t, bad.code, code, "%s: %v", bad.path, env)
		require.Equal(t, "ERROR", env["Code"], bad.path)
		require.Contains(t, env["Message"], bad.msg, bad.path)
	}
	require.Equal(t, l.master.Port, l.masterPortOf(t, l.r2), "refusals changed nothing")

	require.NoError(t, l.sb.Kill(l.master.Port))
	require.Eventually(t, func() bool {
		code, env = l.call(t, "/api/recover/"+hp(l.master)+"?dry-run")
		return code == 200
	}, 20*time.Second, 200*time.Millisecond, "dry run: %v", env)
	plan := env["Details"].(map[string]any)
	require.NotNil(t, plan["SuccessorKey"])
	require.Contains(t, strings.Join(toStrings(plan["Decision"]), "\n"), "dry run")
	require.Equal(t, l.master.Port, l.masterPortOf(t, l.r2), "a dry run changes nothing")

	code, env = l.call(t, "/api/recover/"+hp(l.master))
	require.Equal(t, 200, code, "%v", env)
	successor := env["Details"].(map[string]any)
	require.Contains(t, []float64{float64(l.r1.Port), float64(l.r2.Port)}, successor["Port"])

	code, body := getBare(t, l.Server, "/api/audit-recovery")
	require.Equal(t, 200, code)
	recs := body.([]any)
	require.Len(t, recs, 1)
	rec := recs[0].(map[string]any)
	require.Equal(t, true, rec["IsSuccessful"])
	require.NotNil(t, rec["DataSafety"])
	uid := rec["UID"].(string)
	code, body = getBare(t, l.Server, "/api/audit-recovery-steps/"+uid)
	require.Equal(t, 200, code)
	require.NotEmpty(t, body.([]any))
	code, env = l.call(t, "/api/why/"+hp(l.master))
	require.Equal(t, 200, code)
	require.Contains(t, strings.Join(toStrings(env["Details"].(map[string]any)["Lines"]), "\n"), "recovery")

	code, env = l.call(t, "/api/ack-recovery/uid/"+uid+"?comment=checked")
	require.Equal(t, 200, code, "%v", env)
	code, body = getBare(t, l.Server, "/api/audit-recovery?unacknowledged=true")
	require.Equal(t, 200, code)
	require.Empty(t, body.([]any))
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// getBare GETs a route that answers bare JSON (no envelope).
func getBare(t *testing.T, s *Server, path string) (int, any) {
	t.Helper()
	code, _, raw := get(t, s, path, "", "")
	var v any
	require.NoError(t, json.Unmarshal([]byte(raw), &v), raw)
	return code, v
}
