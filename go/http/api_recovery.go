package http

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/recovery"
)

// recoveryRoutes: replication analysis, recoveries, acknowledgements.
func (s *Server) recoveryRoutes() []Route {
	graceful := func(auto bool) Handler { return s.graceful(auto) }
	recoverQ := []Param{q("dry-run", "show the plan, change nothing (any value but false)"), q("skipProcesses", "true: run no hooks")}
	unacked := []Param{q("unacknowledged", "true: only recoveries not acknowledged")}
	comment := []Param{q("comment", "why (required)")}
	return []Route{
		{Path: "/api/replication-analysis", Handler: s.analysis, Doc: "failure analysis of every cluster"},
		{Path: "/api/replication-analysis/:clusterName", Handler: s.analysis, Doc: "failure analysis of one cluster"},
		{Path: "/api/replication-analysis/instance/:host/:port", Handler: s.analysis, Doc: "failure analysis of one instance"},
		{Path: "/api/replication-analysis-changelog", Bare: true, Handler: s.analysisChangelog, Doc: "recent changes of each instance's analysis"},
		{Path: "/api/why/:host/:port", Handler: s.why, Doc: "why: an instance's analysis with the facts used, its recoveries, and any blocked or skipped"},
		{Path: "/api/recover/:host/:port", Mutates: true, Handler: s.recover(false), Query: recoverQ, Example: exRecovered, Doc: "recover a failed instance now (?dry-run shows the plan, changes nothing; ?skipProcesses=true skips hooks)"},
		{Path: "/api/recover/:host/:port/:candidateHost/:candidatePort", Mutates: true, Handler: s.recover(false), Query: recoverQ, Example: exRecovered, Doc: "recover, promoting the named candidate"},
		{Path: "/api/recover-lite/:host/:port", Mutates: true, Handler: s.recover(true), Query: recoverQ, Example: exRecovered, Doc: "recover without running hooks"},
		{Path: "/api/recover-lite/:host/:port/:candidateHost/:candidatePort", Mutates: true, Handler: s.recover(true), Query: recoverQ, Example: exRecovered, Doc: "recover without hooks, promoting the named candidate"},
		{Path: "/api/force-master-failover/:clusterHint", Mutates: true, Handler: s.forceFailover, Example: exFailedOver, Doc: "fail the cluster's master over now"},
		{Path: "/api/force-master-failover/:host/:port", Mutates: true, Handler: s.forceFailover, Example: exFailedOver, Doc: "fail the instance's cluster master over now"},
		{Path: "/api/force-master-takeover/:clusterHint/:designatedHost/:designatedPort", Mutates: true, Handler: s.forceTakeover, Example: exTookOver, Doc: "promote a direct replica in place of the healthy master"},
		{Path: "/api/force-master-takeover/:host/:port/:designatedHost/:designatedPort", Mutates: true, Handler: s.forceTakeover, Example: exTookOver, Doc: "same, cluster named by an instance"},
		{Path: "/api/graceful-master-takeover/:clusterHint", Mutates: true, Handler: graceful(false), Example: exGraceful, Doc: "planned switchover to the master's only replica"},
		{Path: "/api/graceful-master-takeover/:host/:port", Mutates: true, Handler: graceful(false), Example: exGraceful, Doc: "same, cluster named by an instance"},
		{Path: "/api/graceful-master-takeover/:clusterHint/:designatedHost/:designatedPort", Mutates: true, Handler: graceful(false), Example: exGraceful, Doc: "planned switchover to a designated replica"},
		{Path: "/api/graceful-master-takeover/:host/:port/:designatedHost/:designatedPort", Mutates: true, Handler: graceful(false), Example: exGraceful, Doc: "same, cluster named by an instance"},
		{Path: "/api/graceful-master-takeover-auto/:clusterHint", Mutates: true, Handler: graceful(true), Example: exGraceful, Doc: "planned switchover, successor chosen automatically"},
		{Path: "/api/graceful-master-takeover-auto/:host/:port", Mutates: true, Handler: graceful(true), Example: exGraceful, Doc: "same, cluster named by an instance"},
		{Path: "/api/graceful-master-takeover-auto/:clusterHint/:designatedHost/:designatedPort", Mutates: true, Handler: graceful(true), Example: exGraceful, Doc: "planned switchover to a designated replica; the old master replicates"},
		{Path: "/api/graceful-master-takeover-auto/:host/:port/:designatedHost/:designatedPort", Mutates: true, Handler: graceful(true), Example: exGraceful, Doc: "same, cluster named by an instance"},
		{Path: "/api/automated-recovery-filters", Handler: s.recoveryFilters, Doc: "the recovery filter settings"},
		{Path: "/api/audit-failure-detection", Bare: true, Handler: s.detections, Doc: "failure detections, newest first"},
		{Path: "/api/audit-failure-detection/:page", Bare: true, Handler: s.detections, Doc: "a page of failure detections"},
		{Path: "/api/audit-failure-detection/id/:id", Bare: true, Handler: s.detections, Doc: "one failure detection"},
		{Path: "/api/audit-failure-detection/alias/:clusterAlias", Bare: true, Handler: s.detections, Doc: "failure detections of a cluster alias"},
		{Path: "/api/audit-failure-detection/alias/:clusterAlias/:page", Bare: true, Handler: s.detections, Doc: "a page of them"},
		{Path: "/api/audit-recovery", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "recoveries, newest first (?unacknowledged=true)"},
		{Path: "/api/audit-recovery/:page", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "a page of recoveries"},
		{Path: "/api/audit-recovery/id/:id", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "one recovery by id"},
		{Path: "/api/audit-recovery/uid/:uid", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "one recovery by uid"},
		{Path: "/api/audit-recovery/cluster/:clusterName", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "recoveries of a cluster"},
		{Path: "/api/audit-recovery/cluster/:clusterName/:page", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "a page of them"},
		{Path: "/api/audit-recovery/alias/:clusterAlias", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "recoveries of a cluster alias"},
		{Path: "/api/audit-recovery/alias/:clusterAlias/:page", Bare: true, Handler: s.recoveries, Query: unacked, Doc: "a page of them"},
		{Path: "/api/audit-recovery-steps/:uid", Bare: true, Handler: s.recoverySteps, Doc: "the steps of one recovery"},
		{Path: "/api/active-cluster-recovery/:clusterName", Bare: true, Handler: s.recoveriesWhere(backend.RecoveryQuery{InProgress: true}), Query: unacked, Doc: "recoveries of a cluster in progress"},
		{Path: "/api/recently-active-cluster-recovery/:clusterName", Bare: true, Handler: s.recoveriesWhere(backend.RecoveryQuery{ActiveOnly: true}), Query: unacked, Doc: "recoveries of a cluster within the block period"},
		{Path: "/api/recently-active-instance-recovery/:host/:port", Bare: true, Handler: s.recoveriesWhere(backend.RecoveryQuery{ActiveOnly: true}), Query: unacked, Doc: "recoveries of an instance within the block period"},
		{Path: "/api/ack-recovery/cluster/:clusterHint", Mutates: true, Handler: s.ack(ackCluster), Query: comment, Doc: "acknowledge a cluster's recoveries (?comment= required)"},
		{Path: "/api/ack-recovery/cluster/alias/:clusterAlias", Mutates: true, Handler: s.ack(ackCluster), Query: comment, Doc: "same, by alias"},
		{Path: "/api/ack-recovery/instance/:host/:port", Mutates: true, Handler: s.ack(ackInstance), Query: comment, Doc: "acknowledge an instance's recoveries"},
		{Path: "/api/ack-recovery/:recoveryId", Mutates: true, Handler: s.ack(ackID), Query: comment, Doc: "acknowledge one recovery by id"},
		{Path: "/api/ack-recovery/uid/:uid", Mutates: true, Handler: s.ack(ackUID), Query: comment, Doc: "acknowledge one recovery by uid"},
		{Path: "/api/ack-all-recoveries", Mutates: true, Handler: s.ack(ackAll), Query: comment, Doc: "acknowledge every recovery"},
		{Path: "/api/blocked-recoveries", Bare: true, Handler: s.blocked, Doc: "recoveries blocked by anti-flapping or skipped by filters, with why"},
		{Path: "/api/blocked-recoveries/cluster/:clusterName", Bare: true, Handler: s.blocked, Doc: "same, one cluster"},
		{Path: "/api/disable-global-recoveries", Mutates: true, Handler: s.setGlobalRecoveries(true), Doc: "stop all automatic recoveries"},
		{Path: "/api/enable-global-recoveries", Mutates: true, Handler: s.setGlobalRecoveries(false), Doc: "allow automatic recoveries"},
		{Path: "/api/check-global-recoveries", Handler: s.checkGlobalRecoveries, Doc: "whether automatic recoveries are enabled"},
	}
}

// recoveryTimeout bounds a recovery started through the API.
const recoveryTimeout = 5 * time.Minute

// detached is the context of a recovery started by a request: a client
// that disconnects must not interrupt a failover half-way.
func detached(r *Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Ctx), recoveryTimeout)
}

func (s *Server) analysis(r *Request) (any, string, error) {
	cluster := r.Param("clusterName")
	if cluster == "" && r.Param("host") == "" {
		return s.analysisAll(r)
	}
	var key *inst.InstanceKey
	if r.Param("host") != "" {
		k, err := requestKey(r)
		if err != nil {
			return nil, "", err
		}
		i, err := s.deps.Reader.Instance(r.Ctx, k)
		if err != nil {
			return nil, "", err
		}
		key, cluster = &k, i.ClusterName
	} else if cluster != "" {
		name, err := s.deps.Reader.ResolveCluster(r.Ctx, cluster)
		if err != nil {
			return nil, "", err
		}
		cluster = name
	}
	entries, err := s.deps.Recoverer.Analyze(r.Ctx, cluster, false)
	if err != nil {
		return nil, "", err
	}
	out := []analysis.ReplicationAnalysis{}
	for _, e := range entries {
		if key == nil || e.AnalyzedInstanceKey == *key {
			out = append(out, e)
		}
	}
	return out, "Analysis", nil
}

// analysisAll answers /api/replication-analysis once per in-memory view
// (snapshot.go): the whole envelope is encoded once.
func (s *Server) analysisAll(r *Request) (any, string, error) {
	v, err := s.views.current(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	body, err := v.json("replication-analysis", func() (any, error) {
		entries, err := s.deps.Recoverer.Analyze(r.Ctx, "", false)
		if err != nil {
			return nil, err
		}
		return Envelope{Code: "OK", Message: "Analysis", Details: nonNilAnalysis(entries)}, nil
	})
	return body, "", err
}

func nonNilAnalysis(list []analysis.ReplicationAnalysis) []analysis.ReplicationAnalysis {
	if list == nil {
		return []analysis.ReplicationAnalysis{}
	}
	return list
}

func (s *Server) analysisChangelog(r *Request) (any, string, error) {
	list, err := s.deps.Store.AnalysisChangelog(r.Ctx)
	return list, "", err
}

func (s *Server) why(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	w, err := s.deps.Recoverer.Explain(r.Ctx, key)
	return w, "Why " + key.String(), err
}

func (s *Server) recover(lite bool) Handler {
	return func(r *Request) (any, string, error) {
		key, err := requestKey(r)
		if err != nil {
			return nil, "", err
		}
		req := recovery.Request{Key: key, Forced: true, Hint: recovery.HintRecover, SkipHooks: lite || r.Query("skipProcesses") == "true",
			DryRun: r.Has("dry-run") && r.Query("dry-run") != "false"}
		if r.Param("candidateHost") != "" {
			if req.Candidate, err = belowKey(r, "candidateHost", "candidatePort"); err != nil {
				return nil, "", err
			}
		}
		ctx, cancel := detached(r)
		defer cancel()
		rec, err := s.deps.Recoverer.Recover(ctx, req)
		if req.DryRun {
			return rec, "Dry run: nothing was changed", err
		}
		if err != nil {
			return rec, "", err
		}
		return rec.SuccessorKey, fmt.Sprintf("Recovered: %s", rec.SuccessorKey), nil
	}
}

func (s *Server) forceFailover(r *Request) (any, string, error) {
	ctx, cancel := detached(r)
	defer cancel()
	rec, err := s.deps.Recoverer.ForceMasterFailover(ctx, s.clusterHint(r))
	if err != nil {
		return rec, "", err
	}
	return rec, fmt.Sprintf("Failed over to %s", rec.SuccessorKey), nil
}

func (s *Server) forceTakeover(r *Request) (any, string, error) {
	d, err := belowKey(r, "designatedHost", "designatedPort")
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := detached(r)
	defer cancel()
	rec, err := s.deps.Recoverer.ForceMasterTakeover(ctx, s.clusterHint(r), d)
	if err != nil {
		return rec, "", err
	}
	return rec, fmt.Sprintf("Took over: %s", rec.SuccessorKey), nil
}

func (s *Server) graceful(auto bool) Handler {
	return func(r *Request) (any, string, error) {
		var d inst.InstanceKey
		if r.Param("designatedHost") != "" {
			var err error
			if d, err = belowKey(r, "designatedHost", "designatedPort"); err != nil {
				return nil, "", err
			}
		}
		ctx, cancel := detached(r)
		defer cancel()
		rec, err := s.deps.Recoverer.GracefulMasterTakeover(ctx, s.clusterHint(r), d, auto)
		if err != nil {
			return rec, "", err
		}
		return rec, fmt.Sprintf("graceful-master-takeover: successor %s", rec.SuccessorKey), nil
	}
}

func (s *Server) recoveryFilters(*Request) (any, string, error) {
	return map[string][]string{
		"RecoverMasterClusterFilters":             s.conf().RecoverMasterClusterFilters,
		"RecoverIntermediateMasterClusterFilters": s.conf().RecoverIntermediateMasterClusterFilters,
		"RecoveryIgnoreHostnameFilters":           s.conf().RecoveryIgnoreHostnameFilters,
	}, "Automated recovery configuration details", nil
}

// page parses the optional :page parameter.
func page(r *Request) (int, error) {
	p := r.Param("page")
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: page must be a non-negative number, got %q", inst.ErrBadRequest, p)
	}
	return n, nil
}

func idParam(r *Request, name string) (int64, error) {
	v := r.Param(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %s must be a positive number, got %q", inst.ErrBadRequest, name, v)
	}
	return n, nil
}

func (s *Server) detections(r *Request) (any, string, error) {
	p, err := page(r)
	if err != nil {
		return nil, "", err
	}
	id, err := idParam(r, "id")
	if err != nil {
		return nil, "", err
	}
	list, err := s.deps.Store.ReadDetections(r.Ctx, p, id, r.Param("clusterAlias"))
	return list, "", err
}

// recoveryQuery builds the query from the path parameters.
func (s *Server) recoveryQuery(r *Request, q backend.RecoveryQuery) (backend.RecoveryQuery, error) {
	var err error
	if q.Page, err = page(r); err != nil {
		return q, err
	}
	if q.ID, err = idParam(r, "id"); err != nil {
		return q, err
	}
	q.UID, q.ClusterName, q.ClusterAlias = r.Param("uid"), r.Param("clusterName"), r.Param("clusterAlias")
	if r.Param("host") != "" {
		k, err := requestKey(r)
		if err != nil {
			return q, err
		}
		q.Key = &k
	}
	q.Unacknowledged = q.Unacknowledged || r.Query("unacknowledged") == "true"
	return q, nil
}

func (s *Server) recoveriesWhere(base backend.RecoveryQuery) Handler {
	return func(r *Request) (any, string, error) {
		q, err := s.recoveryQuery(r, base)
		if err != nil {
			return nil, "", err
		}
		list, err := s.deps.Recoverer.Recoveries(r.Ctx, q)
		return list, "", err
	}
}

func (s *Server) recoveries(r *Request) (any, string, error) {
	return s.recoveriesWhere(backend.RecoveryQuery{})(r)
}

func (s *Server) recoverySteps(r *Request) (any, string, error) {
	list, err := s.deps.Store.RecoverySteps(r.Ctx, r.Param("uid"))
	return list, "", err
}

type ackScope int

const (
	ackAll ackScope = iota
	ackCluster
	ackInstance
	ackID
	ackUID
)

func (s *Server) ack(scope ackScope) Handler {
	return func(r *Request) (any, string, error) {
		q := backend.RecoveryQuery{}
		var details any
		switch scope {
		case ackCluster:
			name, err := s.deps.Reader.ResolveCluster(r.Ctx, s.clusterHint(r))
			if err != nil {
				return nil, "", err
			}
			q.ClusterName, details = name, name
		case ackInstance:
			k, err := requestKey(r)
			if err != nil {
				return nil, "", err
			}
			q.Key, details = &k, k
		case ackID:
			id, err := idParam(r, "recoveryId")
			if err != nil {
				return nil, "", err
			}
			q.ID, details = id, id
		case ackUID:
			q.UID, details = r.Param("uid"), r.Param("uid")
		}
		comment := r.Query("comment")
		if scope == ackAll {
			details = comment
		}
		by := r.User
		if by == "" {
			by = r.HTTP.RemoteAddr
		}
		n, err := s.deps.Recoverer.Acknowledge(r.Ctx, q, by, comment)
		if err != nil {
			return nil, "", err
		}
		return details, fmt.Sprintf("%d recoveries acknowledged", n), nil
	}
}

func (s *Server) blocked(r *Request) (any, string, error) {
	list, err := s.deps.Recoverer.Blocked(r.Ctx, r.Param("clusterName"))
	return list, "", err
}

func (s *Server) setGlobalRecoveries(disable bool) Handler {
	return func(r *Request) (any, string, error) {
		if err := s.deps.Store.SetGlobalRecoveriesDisabled(r.Ctx, disable); err != nil {
			return nil, "", err
		}
		return globalState(disable)
	}
}

func (s *Server) checkGlobalRecoveries(r *Request) (any, string, error) {
	disabled, err := s.deps.Store.GlobalRecoveriesDisabled(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	return globalState(disabled)
}

// globalState is the answer naming the global recovery switch's state.
func globalState(disabled bool) (any, string, error) {
	if disabled {
		return "disabled", "Global recoveries disabled", nil
	}
	return "enabled", "Global recoveries enabled", nil
}
