package app

import (
	"context"
	"time"

	"github.com/outbrain/golib/log"
)

// cleanupLoop is the leader's caretaking: expire locks, downtimes,
// candidates, audit, node health and long-unseen instances every 10 s,
// and repair operations interrupted by the death of their process every
// 2 s.
func (e *Env) cleanupLoop(ctx context.Context) {
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
			e.repairInterruptedOperations(ctx)
		}
	}
}

// repairInterruptedOperations: see topology.RepairInterruptedOperations.
func (e *Env) repairInterruptedOperations(ctx context.Context) {
	o, err := e.Operator()
	if err != nil {
		return
	}
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

func (e *Env) cleanupOnce(ctx context.Context) {
	s, err := e.Store()
	if err != nil {
		return
	}
	cfg := e.Config
	steps := []struct {
		name string
		run  func() (int64, error)
	}{
		{"maintenance", func() (int64, error) { return s.ExpireMaintenance(ctx) }},
		{"downtime", func() (int64, error) { return s.ExpireDowntimes(ctx) }},
		{"candidates", func() (int64, error) {
			return s.ExpireCandidates(ctx, sinceMinutes(cfg.CandidateInstanceExpireMinutes))
		}},
		{"audit", func() (int64, error) {
			return s.PurgeAudit(ctx, time.Now().Add(-time.Duration(cfg.AuditPurgeDays)*24*time.Hour))
		}},
		{"node health", func() (int64, error) { return s.ExpireNodeHealth(ctx, 5*cfg.HealthPollSeconds) }},
		{"unseen instances", func() (int64, error) {
			return s.ForgetUnseen(ctx, time.Now().Add(-time.Duration(cfg.UnseenInstanceForgetHours)*time.Hour))
		}},
		{"position equivalences", func() (int64, error) {
			return s.ExpireEquivalences(ctx, time.Now().Add(-time.Duration(cfg.UnseenInstanceForgetHours)*time.Hour))
		}},
	}
	for _, step := range steps {
		if ctx.Err() != nil {
			return
		}
		if n, err := step.run(); err != nil {
			log.Errorf("cleanup %s: %v", step.name, err)
		} else if n > 0 {
			log.Infof("cleanup %s: %d rows", step.name, n)
		}
	}
}
