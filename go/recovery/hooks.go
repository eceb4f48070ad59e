package recovery

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/inst"
)

// hookOutputLimit bounds the output of one hook kept in its step.
const hookOutputLimit = 4096

// hookVars are the facts a hook receives as {placeholders} and ORC_*
// environment variables.
type hookVars struct {
	r         *TopologyRecovery
	node      string
	autoM     bool
	autoIM    bool
	successor *inst.Instance
}

func (rc *Recoverer) hookVarsOf(r *TopologyRecovery, successor *inst.Instance) hookVars {
	ci := r.AnalysisEntry.ClusterDetails
	return hookVars{r: r, node: rc.d.Holder.Hostname, successor: successor,
		autoM: ci.HasAutomatedMasterRecovery, autoIM: ci.HasAutomatedIntermediateMasterRecovery}
}

func instanceType(a *TopologyRecovery) string {
	switch {
	case a.AnalysisEntry.IsCoMaster:
		return "co-master"
	case a.AnalysisEntry.IsMaster:
		return "master"
	}
	return "intermediate-master"
}

// values returns placeholder → value; successor placeholders only when
// there is a successor (they stay unreplaced otherwise).
func (v hookVars) values() [][2]string {
	a := v.r.AnalysisEntry
	b := strconv.FormatBool
	vals := [][2]string{
		{"failureType", string(a.Analysis)}, {"instanceType", instanceType(v.r)},
		{"isMaster", b(a.IsMaster)}, {"isCoMaster", b(a.IsCoMaster)},
		{"failureDescription", a.Description}, {"command", v.r.CommandHint},
		{"failedHost", a.AnalyzedInstanceKey.Hostname}, {"failedPort", strconv.Itoa(a.AnalyzedInstanceKey.Port)},
		{"failureCluster", a.ClusterDetails.ClusterName}, {"failureClusterAlias", a.ClusterDetails.ClusterAlias},
		{"failureClusterDomain", a.ClusterDetails.ClusterDomain},
		{"countReplicas", strconv.Itoa(int(a.CountReplicas))}, {"countSlaves", strconv.Itoa(int(a.CountReplicas))},
		{"replicaHosts", keyList(a.Replicas)}, {"slaveHosts", keyList(a.Replicas)},
		{"isDowntimed", b(a.IsDowntimed)}, {"autoMasterRecovery", b(v.autoM)},
		{"autoIntermediateMasterRecovery", b(v.autoIM)}, {"orchestratorHost", v.node},
		{"recoveryUID", v.r.UID}, {"isSuccessful", b(v.r.IsSuccessful)},
		{"lostReplicas", keyList(v.r.LostReplicas)}, {"lostSlaves", keyList(v.r.LostReplicas)},
		{"countLostReplicas", strconv.Itoa(len(v.r.LostReplicas))},
	}
	if v.successor != nil {
		coords, alias := v.successor.SelfBinlogCoordinates, v.successor.InstanceAlias
		if c := v.r.SuccessorBinlogCoordinates; c != nil && v.r.SuccessorKey != nil && *v.r.SuccessorKey == v.successor.Key {
			coords, alias = *c, v.r.SuccessorAlias // as recorded at promotion
		}
		vals = append(vals, [2]string{"successorHost", v.successor.Key.Hostname},
			[2]string{"successorPort", strconv.Itoa(v.successor.Key.Port)},
			[2]string{"successorBinlogCoordinates", coords.String()},
			[2]string{"successorAlias", alias})
	}
	return vals
}

var envNames = map[string]string{
	"failureType": "ORC_FAILURE_TYPE", "instanceType": "ORC_INSTANCE_TYPE", "isMaster": "ORC_IS_MASTER",
	"isCoMaster": "ORC_IS_CO_MASTER", "failureDescription": "ORC_FAILURE_DESCRIPTION", "command": "ORC_COMMAND",
	"failedHost": "ORC_FAILED_HOST", "failedPort": "ORC_FAILED_PORT", "failureCluster": "ORC_FAILURE_CLUSTER",
	"failureClusterAlias": "ORC_FAILURE_CLUSTER_ALIAS", "failureClusterDomain": "ORC_FAILURE_CLUSTER_DOMAIN",
	"countReplicas": "ORC_COUNT_REPLICAS", "isDowntimed": "ORC_IS_DOWNTIMED",
	"autoMasterRecovery": "ORC_AUTO_MASTER_RECOVERY", "autoIntermediateMasterRecovery": "ORC_AUTO_INTERMEDIATE_MASTER_RECOVERY",
	"orchestratorHost": "ORC_ORCHESTRATOR_HOST", "isSuccessful": "ORC_IS_SUCCESSFUL", "lostReplicas": "ORC_LOST_REPLICAS",
	"replicaHosts": "ORC_REPLICA_HOSTS", "recoveryUID": "ORC_RECOVERY_UID", "successorHost": "ORC_SUCCESSOR_HOST",
	"successorPort": "ORC_SUCCESSOR_PORT", "successorBinlogCoordinates": "ORC_SUCCESSOR_BINLOG_COORDINATES",
	"successorAlias": "ORC_SUCCESSOR_ALIAS",
}

// Expand replaces {placeholders} in a hook command.
func (v hookVars) expand(command string) string {
	pairs := make([]string, 0, 64)
	for _, kv := range v.values() {
		pairs = append(pairs, "{"+kv[0]+"}", kv[1])
	}
	return strings.NewReplacer(pairs...).Replace(command)
}

func (v hookVars) env() []string {
	env := os.Environ()
	for _, kv := range v.values() {
		if name, ok := envNames[kv[0]]; ok {
			env = append(env, name+"="+kv[1])
		}
	}
	return env
}

// runHooks runs a hook list in order with the configured shell. A command
// ending in "&" runs in the background and cannot fail the list; the first
// synchronous failure stops the list and is returned. Each start and end
// is a recovery step.
func (rc *Recoverer) runHooks(ctx context.Context, name string, hooks []string, v hookVars) error {
	for _, h := range hooks {
		command := strings.TrimSpace(v.expand(h))
		if command == "" {
			continue
		}
		async := strings.HasSuffix(command, "&")
		command = strings.TrimSpace(strings.TrimSuffix(command, "&"))
		if async {
			rc.step(ctx, v.r, "%s: started in background: %s", name, command)
			go func() {
				if _, err := rc.runHook(context.WithoutCancel(ctx), command, v); err != nil {
					log.Errorf("%s (background) %q: %v", name, command, err)
				}
			}()
			continue
		}
		rc.step(ctx, v.r, "%s: running: %s", name, command)
		start := time.Now()
		out, err := rc.runHook(ctx, command, v)
		if err != nil {
			rc.step(ctx, v.r, "%s: failed after %s: %v; output: %s", name, time.Since(start).Round(time.Millisecond), err, out)
			return fmt.Errorf("%s hook %q failed: %w; output: %q", name, command, err, out)
		}
		rc.step(ctx, v.r, "%s: done in %s; output: %s", name, time.Since(start).Round(time.Millisecond), out)
	}
	return nil
}

func (rc *Recoverer) runHook(ctx context.Context, command string, v hookVars) (string, error) {
	timeout := time.Duration(rc.conf().HookTimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	shell := rc.conf().ProcessesShellCommand
	if shell == "" {
		shell = "bash"
	}
	cmd := exec.CommandContext(ctx, shell, "-c", command)
	cmd.Env = v.env()
	// The hook runs in its own process group, killed whole when it times
	// out: a shell's children (a sleep, a pipeline) must not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if len(text) > hookOutputLimit {
		text = text[:hookOutputLimit] + "..."
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s (HookTimeoutSeconds): killed", timeout)
	}
	return text, err
}
