package topology

import (
	"context"
	"sort"
	"time"

	"orchestrator/go/backend"
)

// Candidates lists the registered promotion rules that have not expired
// (CandidateInstanceExpireMinutes), ordered by key (bulk-promotion-rules).
func (r *Reader) Candidates(ctx context.Context) ([]backend.Candidate, error) {
	since := time.Now().Add(-time.Duration(r.conf().CandidateInstanceExpireMinutes) * time.Minute)
	m, err := r.store.Candidates(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]backend.Candidate, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key.String() < out[b].Key.String() })
	return out, nil
}
