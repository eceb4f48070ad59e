package app

import (
	"context"
	"time"

	"github.com/outbrain/golib/log"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

// cleanupLoop is the leader's caretaking: expire locks, downtimes,
// candidates, history and long-unseen instances every 10 s (cleanupOnce),
// and repair operations interrupted by the death of their process every
// 2 s. fence is this term's leadership: the repair's statements to
// servers check it first.
func (e *Env) cleanupLoop(ctx context.Context, fence recovery.Fence) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	repair := time.NewTicker(2 * time.Second)
	defer repair.Stop()
	e.cleanupOnce(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.cleanupOnce(ctx)
		case <-repair.C:
			e.repairInterruptedOperations(ctx, fence)
		}
	}
}

// repairInterruptedOperations: see topology.RepairInterruptedOperations.
// It acts through an Applier fenced by leadership.
func (e *Env) repairInterruptedOperations(ctx context.Context, fence recovery.Fence) {
	s, err := e.Store()
	if err != nil {
		return
	}
	r, err := e.Reader()
	if err != nil {
		return
	}
	d, err := e.Discoverer()
	if err != nil {
		return
	}
	o := topology.NewOperator(s, r, e.Inspector(), e.Applier().Fenced(fence), d.Probe, e.Config, e.Holder())
	c, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n, err := o.RepairInterruptedOperations(c)
	if n > 0 {
		log.Warningf("cleanup: %d locks of interrupted operations repaired and released (see the audit)", n)
	}
	if err != nil {
		log.Errorf("cleanup interrupted operations: %v", err)
	}
}

// cleanupStep is one expiry or purge of the caretaking.
type cleanupStep struct {
	name string
	run  func(ctx context.Context) (int64, error)
}

// cleanupSteps are the caretaking's expiries and purges, each with the
// upstream setting that bounds it (docs/high-availability.md).
func cleanupSteps(s *backend.Store, cfg *config.Config) []cleanupStep {
	ago := func(d time.Duration) time.Time { return time.Now().Add(-d) }
	auditAge := time.Duration(cfg.AuditPurgeDays) * 24 * time.Hour
	unseenAge := time.Duration(cfg.UnseenInstanceForgetHours) * time.Hour
	return []cleanupStep{
		{"maintenance", s.ExpireMaintenance},
		{"downtime", s.ExpireDowntimes},
		{"candidates", func(ctx context.Context) (int64, error) {
			return s.ExpireCandidates(ctx, sinceMinutes(cfg.CandidateInstanceExpireMinutes))
		}},
		{"pools", func(ctx context.Context) (int64, error) {
			return s.ExpirePools(ctx, sinceMinutes(cfg.InstancePoolExpiryMinutes))
		}},
		{"audit", func(ctx context.Context) (int64, error) { return s.PurgeAudit(ctx, ago(auditAge)) }},
		{"recoveries", func(ctx context.Context) (int64, error) { return s.PurgeRecoveries(ctx, ago(auditAge)) }},
		{"detections", func(ctx context.Context) (int64, error) { return s.PurgeDetections(ctx, ago(auditAge)) }},
		{"analysis changelog", func(ctx context.Context) (int64, error) { return s.PurgeAnalysisChangelog(ctx, ago(unseenAge)) }},
		{"node health", func(ctx context.Context) (int64, error) { return s.ExpireNodeHealth(ctx, 5*cfg.HealthPollSeconds) }},
		{"node health history", func(ctx context.Context) (int64, error) { return s.PurgeNodeHealthHistory(ctx, ago(unseenAge)) }},
		{"hostname unresolves", func(ctx context.Context) (int64, error) {
			return s.ExpireHostnameUnresolves(ctx, ago(time.Duration(cfg.ExpiryHostnameResolvesMinutes)*time.Minute))
		}},
		{"hostname resolves", func(ctx context.Context) (int64, error) {
			return s.ExpireHostnameResolves(ctx, ago(time.Duration(cfg.ExpiryHostnameResolvesMinutes)*time.Minute))
		}},
		{"unseen instances", func(ctx context.Context) (int64, error) { return s.ForgetUnseen(ctx, ago(unseenAge)) }},
		{"position equivalences", func(ctx context.Context) (int64, error) { return s.ExpireEquivalences(ctx, ago(unseenAge)) }},
	}
}

// cleanupOnce runs every step; a failing step is logged and the others
// still run.
func (e *Env) cleanupOnce(ctx context.Context) {
	s, err := e.Store()
	if err != nil {
		return
	}
	for _, step := range cleanupSteps(s, e.Config) {
		if ctx.Err() != nil {
			return
		}
		if n, err := step.run(ctx); err != nil {
			log.Errorf("cleanup %s: %v", step.name, err)
		} else if n > 0 {
			log.Infof("cleanup %s: %d rows", step.name, n)
		}
	}
}
