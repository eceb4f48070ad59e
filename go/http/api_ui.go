package http

import (
	"fmt"
	"slices"
	"sort"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

// uiRoutes are the API the web UI needs beyond upstream's: who is looking
// and what may they do, a one-request clusters overview, and the
// drag-and-drop planner.
func (s *Server) uiRoutes() []Route {
	replicas := q("replicas", "true: the instance's replicas, not the instance")
	return []Route{
		{Path: "/api/ui/session", Bare: true, Handler: s.uiSession, Doc: "what the web UI may offer this user: CanMutate, read-only mode, user, node"},
		{Path: "/api/ui/clusters", Bare: true, Handler: s.uiClusters, Doc: "every cluster with master, instance count, data centers, problems and recovery settings"},
		{Path: "/api/ui/move-plans/:host/:port", Bare: true, Handler: s.uiMovePlans, Query: []Param{replicas},
			Doc: "for every other instance of the cluster: can this instance (?replicas=true: its replicas) go below it, and by which operation"},
		{Path: "/api/ui/can-move/:host/:port/:belowHost/:belowPort", Bare: true, Handler: s.uiCanMove, MutatesWhen: "live",
			Query: []Param{replicas, q("live", "true: probe the servers first (a refresh: authorised as a change)")},
			Doc:   "can this instance (?replicas=true: its replicas) go below the other, and how; ?live=true probes the servers first"},
	}
}

// UISession tells the web UI what to offer.
type UISession struct {
	CanMutate            bool
	ReadOnly             bool
	User                 string
	AuthenticationMethod string
	URLPrefix            string
	WebMessage           string
	Hostname             string
	IsLeader             bool
	AppVersion           string
}

func (s *Server) uiSession(r *Request) (any, string, error) {
	return UISession{
		CanMutate: s.CanMutate(r.HTTP), ReadOnly: s.conf().ReadOnly, User: r.User, AuthenticationMethod: s.conf().AuthenticationMethod,
		URLPrefix: s.conf().URLPrefix, WebMessage: s.conf().WebMessage, Hostname: s.deps.Node.Hostname(),
		IsLeader: s.deps.Node.IsLeader(), AppVersion: s.deps.Node.AppVersion(),
	}, "", nil
}

// UICluster is one row of the clusters page.
type UICluster struct {
	analysis.ClusterInfo
	Master           *inst.InstanceKey
	DataCenters      []string
	CountProblems    int      // instances with problems, not downtimed
	Problems         []string // distinct problem names
	CountDowntimed   int
	CountMaintenance int
}

// uiClusters answers from the in-memory view (snapshot.go), as
// /api/clusters-info does: the clusters page polls it every few seconds
// from every open browser, and the answer is encoded once per view.
func (s *Server) uiClusters(r *Request) (any, string, error) {
	v, err := s.views.current(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	body, err := v.json("ui-clusters", func() (any, error) {
		out := make([]UICluster, 0, len(v.names))
		for _, name := range v.names {
			out = append(out, s.uiCluster(name, v.clusters[name]))
		}
		sort.SliceStable(out, func(a, b int) bool { return out[a].ClusterAlias < out[b].ClusterAlias })
		return out, nil
	})
	return body, "", err
}

func (s *Server) uiCluster(name string, list []*inst.Instance) UICluster {
	c := UICluster{ClusterInfo: s.clusterInfoOf(name, list), DataCenters: []string{}, Problems: []string{}}
	for _, i := range list {
		if i.DataCenter != "" && !slices.Contains(c.DataCenters, i.DataCenter) {
			c.DataCenters = append(c.DataCenters, i.DataCenter)
		}
		switch {
		case i.IsDowntimed:
			c.CountDowntimed++
		case len(i.Problems) > 0:
			c.CountProblems++
			for _, p := range i.Problems {
				if !slices.Contains(c.Problems, p) {
					c.Problems = append(c.Problems, p)
				}
			}
		}
		if i.IsMaintenance {
			c.CountMaintenance++
		}
	}
	sort.Strings(c.DataCenters)
	if m, err := topology.Master(list); err == nil {
		c.Master = &m.Key
	}
	return c
}

// clusterOf reads the instances of key's cluster.
func (s *Server) clusterOf(r *Request, key inst.InstanceKey) ([]*inst.Instance, error) {
	i, err := s.deps.Reader.Instance(r.Ctx, key)
	if err != nil {
		return nil, err
	}
	return s.deps.Reader.Instances(r.Ctx, backend.InstanceFilter{ClusterName: i.ClusterName})
}

func (s *Server) uiMovePlans(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	list, err := s.clusterOf(r, key)
	if err != nil {
		return nil, "", err
	}
	return topology.PlanMoves(list, key, r.Query("replicas") == "true"), "", nil
}

func (s *Server) uiCanMove(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	below, err := inst.ParseHostPort(r.Param("belowHost"), r.Param("belowPort"))
	if err != nil {
		return nil, "", err
	}
	replicas := r.Query("replicas") == "true"
	list, err := s.clusterOf(r, key)
	if err != nil {
		return nil, "", err
	}
	if !slices.ContainsFunc(list, func(i *inst.Instance) bool { return i.Key == below }) {
		if _, err := s.deps.Reader.Instance(r.Ctx, below); err != nil {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("%w: %s and %s are in different clusters", inst.ErrBadRequest, key, below)
	}
	if r.Query("live") == "true" && s.deps.Discoverer != nil {
		// Probe the servers the move involves; a failed probe shows up in
		// the plan as an invalid last check.
		probe := []inst.InstanceKey{key, below}
		for _, i := range list {
			if i.IsReplica() && i.MasterKey == key {
				probe = append(probe, i.Key)
			}
		}
		for _, k := range probe {
			_, _ = s.deps.Discoverer.Probe(r.Ctx, k)
		}
		if list, err = s.clusterOf(r, key); err != nil {
			return nil, "", err
		}
	}
	if replicas {
		return topology.PlanMoveReplicas(list, key, below), "", nil
	}
	return topology.PlanMove(list, key, below), "", nil
}
