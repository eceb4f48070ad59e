package http

import (
	"fmt"

	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

func (s *Server) clusterRoutes() []Route {
	return []Route{
		{Path: "/api/clusters", Bare: true, Handler: s.clusters, Doc: "cluster names"},
		{Path: "/api/cluster/:clusterHint", Bare: true, Handler: s.cluster, Doc: "instances of a cluster (hint: name, alias or host:port)"},
		{Path: "/api/cluster/alias/:clusterAlias", Bare: true, Handler: s.clusterByAlias, Doc: "instances of a cluster by alias"},
		{Path: "/api/cluster/instance/:host/:port", Bare: true, Handler: s.clusterByInstance, Doc: "instances of an instance's cluster"},
		{Path: "/api/master/:clusterHint", Bare: true, Handler: s.master, Doc: "the cluster's master"},
		{Path: "/api/masters", Bare: true, Handler: s.masters, Doc: "the master of every cluster"},
		{Path: "/api/topology/:clusterHint", Handler: s.topology(false), Doc: "text tree of a cluster"},
		{Path: "/api/topology/:host/:port", Handler: s.topology(false), Doc: "text tree of an instance's cluster"},
		{Path: "/api/topology-tabulated/:clusterHint", Handler: s.topology(true), Doc: "tabulated text tree"},
		{Path: "/api/topology-tabulated/:host/:port", Handler: s.topology(true), Doc: "tabulated text tree"},
		{Path: "/api/cluster-osc-replicas/:clusterHint", Bare: true, Handler: s.oscReplicas, Doc: "control replicas for online schema changes"},
		{Path: "/api/set-cluster-alias/:clusterName", Mutates: true, Handler: s.setClusterAlias, Doc: "set a cluster alias (?alias=)"},
	}
}

func (s *Server) clusterHint(r *Request) string {
	if h := r.Param("clusterHint"); h != "" {
		return h
	}
	if a := r.Param("clusterAlias"); a != "" {
		return a
	}
	if r.Param("host") != "" {
		return r.Param("host") + ":" + r.Param("port")
	}
	return ""
}

func (s *Server) clusterInstances(r *Request) ([]*inst.Instance, error) {
	return s.deps.Reader.Cluster(r.Ctx, s.clusterHint(r))
}

func (s *Server) clusters(r *Request) (any, string, error) {
	names, err := s.deps.Reader.ClusterNames(r.Ctx)
	if names == nil {
		names = []string{}
	}
	return names, "", err
}

func (s *Server) cluster(r *Request) (any, string, error) {
	list, err := s.clusterInstances(r)
	return list, "", err
}

func (s *Server) clusterByAlias(r *Request) (any, string, error)    { return s.cluster(r) }
func (s *Server) clusterByInstance(r *Request) (any, string, error) { return s.cluster(r) }

func (s *Server) master(r *Request) (any, string, error) {
	list, err := s.clusterInstances(r)
	if err != nil {
		return nil, "", err
	}
	m, err := topology.Master(list)
	return m, "", err
}

func (s *Server) masters(r *Request) (any, string, error) {
	list, err := s.deps.Reader.Masters(r.Ctx)
	return nonNil(list), "", err
}

func (s *Server) topology(tabulated bool) Handler {
	return func(r *Request) (any, string, error) {
		list, err := s.clusterInstances(r)
		if err != nil {
			return nil, "", err
		}
		return inst.TopologyText(list, tabulated), "", nil
	}
}

func (s *Server) oscReplicas(r *Request) (any, string, error) {
	list, err := s.clusterInstances(r)
	if err != nil {
		return nil, "", err
	}
	return nonNil(topology.OSCReplicas(list, s.cfg.OSCIgnoreHostnameFilters)), "", nil
}

func (s *Server) setClusterAlias(r *Request) (any, string, error) {
	alias := r.Query("alias")
	if alias == "" {
		return nil, "", fmt.Errorf("%w: missing ?alias=", inst.ErrBadRequest)
	}
	name, err := s.deps.Reader.ResolveCluster(r.Ctx, r.Param("clusterName"))
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Store.SetClusterAliasOverride(r.Ctx, name, alias); err != nil {
		return nil, "", err
	}
	return name, "Cluster alias set", nil
}
