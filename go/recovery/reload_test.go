package recovery

import (
	"testing"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// TestApplyConfig: a reloaded configuration's filters, block period and
// hooks are what the Recoverer reads next.
func TestApplyConfig(t *testing.T) {
	t.Parallel()
	cfg := config.Defaults()
	rc := New(Deps{Config: cfg})
	require.Empty(t, rc.conf().RecoverMasterClusterFilters)
	next := *cfg
	next.RecoverMasterClusterFilters = []string{"prod"}
	next.RecoveryPeriodBlockSeconds = 60
	next.PostFailoverProcesses = []string{"echo {failedHost}"}
	require.NoError(t, rc.ApplyConfig(&next))
	require.Equal(t, []string{"prod"}, rc.conf().RecoverMasterClusterFilters)
	require.Equal(t, 60, int(rc.conf().RecoveryPeriodBlock().Seconds()))
	require.Equal(t, []string{"echo {failedHost}"}, rc.conf().PostFailoverProcesses)
	require.Empty(t, cfg.RecoverMasterClusterFilters, "the old value is not changed in place")
}
