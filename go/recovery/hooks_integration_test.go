package recovery

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// placeholders are every placeholder of the hooks, legacy names included.
var placeholders = []string{"failureType", "instanceType", "isMaster", "isCoMaster", "failureDescription", "command",
	"failedHost", "failedPort", "failureCluster", "failureClusterAlias", "failureClusterDomain", "countReplicas",
	"countSlaves", "replicaHosts", "slaveHosts", "isDowntimed", "autoMasterRecovery", "autoIntermediateMasterRecovery",
	"orchestratorHost", "recoveryUID", "isSuccessful", "lostReplicas", "lostSlaves", "countLostReplicas",
	"successorHost", "successorPort", "successorBinlogCoordinates", "successorAlias"}

// hookEnv are the environment variables every hook receives (reference 5.5).
var hookEnv = []string{"ORC_FAILURE_TYPE", "ORC_INSTANCE_TYPE", "ORC_IS_MASTER", "ORC_IS_CO_MASTER", "ORC_FAILURE_DESCRIPTION",
	"ORC_COMMAND", "ORC_FAILED_HOST", "ORC_FAILED_PORT", "ORC_FAILURE_CLUSTER", "ORC_FAILURE_CLUSTER_ALIAS",
	"ORC_FAILURE_CLUSTER_DOMAIN", "ORC_COUNT_REPLICAS", "ORC_IS_DOWNTIMED", "ORC_AUTO_MASTER_RECOVERY",
	"ORC_AUTO_INTERMEDIATE_MASTER_RECOVERY", "ORC_ORCHESTRATOR_HOST", "ORC_IS_SUCCESSFUL", "ORC_LOST_REPLICAS",
	"ORC_REPLICA_HOSTS", "ORC_RECOVERY_UID", "ORC_SUCCESSOR_HOST", "ORC_SUCCESSOR_PORT",
	"ORC_SUCCESSOR_BINLOG_COORDINATES", "ORC_SUCCESSOR_ALIAS"}

// dumpHook writes one "name=value" line per placeholder, then every ORC_
// variable, to file.
func dumpHook(file string) string {
	var b strings.Builder
	b.WriteString("{ ")
	for _, p := range placeholders {
		b.WriteString(`echo "` + p + `={` + p + `}"; `)
	}
	b.WriteString(`env | grep '^ORC_'; } > ` + file)
	return b.String()
}

func readKeyValues(t *testing.T, file string) map[string]string {
	t.Helper()
	fh, err := os.Open(file)
	require.NoError(t, err)
	defer fh.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		require.True(t, ok, sc.Text())
		out[k] = v
	}
	require.NoError(t, sc.Err())
	return out
}

// TestPostFailoverHookPlaceholdersAndEnvironment: a takeover onto
// replica2, with replica1 ahead of it (lost), runs PostFailoverProcesses
// (and PostMasterFailoverProcesses) with every placeholder replaced and
// every ORC_ variable set to the recovery's facts.
func TestPostFailoverHookPlaceholdersAndEnvironment(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump")
	f := setup(t, func(c *config.Config) {
		c.DetectInstanceAliasQuery = "SELECT CONCAT('db-', @@port)"
		c.DetectClusterAliasQuery = "SELECT 'shop'"
		c.DetectClusterDomainQuery = "SELECT 'shop.example'"
		c.PostFailoverProcesses = []string{dumpHook(dump)}
	}, nil)
	ctx := context.Background()
	f.requireFlows(t, f.master, f.r1, f.r2)
	_, err := f.sb.SQL(f.r2.Port, "STOP SLAVE IO_THREAD")
	require.NoError(t, err)
	f.requireFlows(t, f.master, f.r1) // replica1 now has a transaction replica2 lacks

	rec, err := f.rc.ForceMasterTakeover(ctx, f.master.String(), f.r2)
	require.NoError(t, err, "decision: %v", rec)
	require.Equal(t, []inst.InstanceKey{f.r1}, rec.LostReplicas, "decision: %v", rec.Decision)
	require.Eventually(t, func() bool { _, err := os.Stat(dump); return err == nil }, 5*time.Second, 20*time.Millisecond)
	got := readKeyValues(t, dump)
	require.Contains(t, f.hookLines(t), "DeadMaster "+f.master.String()+" "+f.r2.String()+" DeadMaster lost=["+f.r1.String()+"] force-master-takeover",
		"PostMasterFailoverProcesses ran too")

	replicas := keyList(rec.AnalysisEntry.Replicas)
	require.ElementsMatch(t, []string{f.r1.String(), f.r2.String()}, strings.Split(replicas, ","))
	b := func(v bool) string { return strconv.FormatBool(v) }
	want := map[string]string{
		"failureType": "DeadMaster", "instanceType": "master", "isMaster": "true", "isCoMaster": "false",
		"failureDescription": analysis.DeadMaster.Description(), "command": HintForceTakeover,
		"failedHost": f.master.Hostname, "failedPort": strconv.Itoa(f.master.Port), "failureCluster": f.master.String(),
		"failureClusterAlias": "shop", "failureClusterDomain": "shop.example", "countReplicas": "2", "countSlaves": "2",
		"replicaHosts": replicas, "slaveHosts": replicas, "isDowntimed": "false", "autoMasterRecovery": b(true),
		"autoIntermediateMasterRecovery": b(true), "orchestratorHost": "test-node", "recoveryUID": rec.UID,
		"isSuccessful": "true", "lostReplicas": f.r1.String(), "lostSlaves": f.r1.String(), "countLostReplicas": "1",
		"successorHost": f.r2.Hostname, "successorPort": strconv.Itoa(f.r2.Port),
		"successorBinlogCoordinates": rec.SuccessorBinlogCoordinates.String(), "successorAlias": "db-" + strconv.Itoa(f.r2.Port),
	}
	for _, p := range placeholders {
		require.Equal(t, want[p], got[p], "placeholder {%s}", p)
	}
	for _, name := range hookEnv {
		p := ""
		for k, n := range envNames {
			if n == name {
				p = k
			}
		}
		require.NotEmpty(t, p, "%s is given to hooks", name)
		require.Equal(t, want[p], got[name], "environment %s", name)
	}
}

// TestUnsuccessfulRecoveryHooks: a PreFailoverProcesses hook that exits
// non-zero aborts the recovery (nothing changed, the recovery recorded as
// failed with the hook's output); a recovery whose every candidate is
// vetoed promotes nobody. Either way PostUnsuccessfulFailoverProcesses
// runs (successor placeholders left as they are) and the hooks for a
// successful one do not.
func TestUnsuccessfulRecoveryHooks(t *testing.T) {
	cases := []struct {
		name   string
		tweak  func(*config.Config)
		errors []string
	}{
		{"PreFailoverProcesses exits non-zero", func(c *config.Config) {
			c.PreFailoverProcesses = []string{`echo "pre-hook refuses {failedHost}:{failedPort}"; exit 3`}
		}, []string{"PreFailoverProcesses hook", "exit status 3", `output: "pre-hook refuses 127.0.0.1:`}},
		{"every candidate vetoed", func(c *config.Config) { c.PromotionIgnoreHostnameFilters = []string{"."} },
			[]string{"no candidate among the 2 replicas", "PromotionIgnoreHostnameFilters"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hookFile string
			f := setup(t, func(c *config.Config) {
				tc.tweak(c)
				hookFile = c.PostMasterFailoverProcesses[0][strings.LastIndex(c.PostMasterFailoverProcesses[0], " ")+1:]
				c.PostUnsuccessfulFailoverProcesses = []string{`echo "unsuccessful {isSuccessful} $ORC_IS_SUCCESSFUL {failureType} {command} {successorHost}" >> ` + hookFile}
				c.PostFailoverProcesses = []string{`echo "post-failover" >> ` + hookFile}
			}, nil)
			ctx := context.Background()
			before := f.serverStates(t)
			rec, err := f.rc.ForceMasterFailover(ctx, f.master.String())
			require.Error(t, err)
			require.NotNil(t, rec)
			require.Nil(t, rec.SuccessorKey)
			stored, err := f.rc.Recoveries(ctx, backend.RecoveryQuery{UID: rec.UID})
			require.NoError(t, err)
			require.Len(t, stored, 1)
			require.False(t, stored[0].IsSuccessful)
			errs := strings.Join(stored[0].AllErrors, "\n")
			for _, sub := range tc.errors {
				require.Contains(t, errs, sub)
			}
			require.Eventually(t, func() bool {
				now := f.serverStates(t)
				return assertEqualStates(before, now)
			}, 10*time.Second, 100*time.Millisecond, "every server as it was")
			lines := f.hookLines(t)
			require.Contains(t, lines, "unsuccessful false false DeadMaster force-master-failover {successorHost}")
			require.NotContains(t, lines, "post-failover")
			require.NotContains(t, lines, "DeadMaster "+f.master.String(), "no PostMasterFailoverProcesses")
		})
	}
}

func assertEqualStates(a, b map[inst.InstanceKey]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestHookTimeout: a hook that sleeps past HookTimeoutSeconds is killed,
// with the processes it started, and recorded as timed out; as a
// PreFailoverProcesses hook it aborts the recovery.
func TestHookTimeout(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	f := setup(t, func(c *config.Config) {
		c.HookTimeoutSeconds = 1
		c.PreFailoverProcesses = []string{"sleep 60 & echo $! > " + pidFile + "; wait"}
	}, nil)
	ctx := context.Background()
	started := time.Now()
	rec, err := f.rc.ForceMasterFailover(ctx, f.master.String())
	require.Error(t, err)
	require.Less(t, time.Since(started), 30*time.Second, "the hook did not run its 60 s")
	require.Nil(t, rec.SuccessorKey)
	require.Contains(t, strings.Join(rec.AllErrors, "\n"), "timed out after 1s (HookTimeoutSeconds): killed")
	steps, err := f.store.RecoverySteps(ctx, rec.UID)
	require.NoError(t, err)
	var text []string
	for _, s := range steps {
		text = append(text, s.Message)
	}
	require.Contains(t, strings.Join(text, "\n"), "PreFailoverProcesses: failed after 1")
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid := strings.TrimSpace(string(b))
	require.Eventually(t, func() bool {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		return err != nil || strings.Contains(string(stat), ") Z ")
	}, 5*time.Second, 50*time.Millisecond, "the hook's child (pid %s) was killed", pid)
}

// TestFailingDetectionHookAbortsTheAttempt: OnFailureDetectionProcesses
// runs once for the detection, with placeholders; its failure aborts that
// recovery attempt (recorded as skipped with the hook's error), and the
// next check recovers without running it again.
func TestFailingDetectionHookAbortsTheAttempt(t *testing.T) {
	var hookFile string
	f := setup(t, func(c *config.Config) {
		hookFile = c.PostMasterFailoverProcesses[0][strings.LastIndex(c.PostMasterFailoverProcesses[0], " ")+1:]
		c.OnFailureDetectionProcesses = []string{`echo "detect {failureType} {failedHost}:{failedPort} $ORC_FAILURE_TYPE {countReplicas}" >> ` + hookFile + `; exit 1`}
	}, nil)
	f.runLoops(t)
	require.NoError(t, f.sb.Kill(f.master.Port))
	var row backend.BlockedRecovery
	require.Eventually(t, func() bool {
		b, ok := f.blockedRow(t, f.master)
		row = b
		return ok
	}, 20*time.Second, 50*time.Millisecond, "the aborted attempt is recorded")
	require.Contains(t, row.Reason, "this recovery attempt was aborted because OnFailureDetectionProcesses hook")
	require.Contains(t, row.Reason, "exit status 1")
	rec := f.waitRecovery(t, f.master, 20*time.Second)
	require.True(t, rec.IsSuccessful, "errors: %v; decision: %v", rec.AllErrors, rec.Decision)
	line := "detect DeadMaster " + f.master.String() + " DeadMaster 2"
	require.Equal(t, 1, strings.Count(f.hookLines(t), line), "hook output: %q", f.hookLines(t))
}
