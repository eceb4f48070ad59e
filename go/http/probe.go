package http

import (
	"context"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// probeWait bounds how long probeNow waits for the poller's probe of the
// same instance to end.
const probeWait = 5 * time.Second

// probeNow probes key now. The Discoverer refuses a second probe of an
// instance while one runs ("already running"); with the poll loop probing
// every server each InstancePollSeconds, an API refresh would often get
// that refusal, so it waits for the running probe and probes again.
func (s *Server) probeNow(ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
	deadline := time.Now().Add(probeWait)
	for {
		i, err := s.deps.Discoverer.Probe(ctx, key)
		if err == nil || !strings.Contains(err.Error(), "already running") || time.Now().After(deadline) {
			return i, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
