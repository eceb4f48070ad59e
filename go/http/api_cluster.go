package http

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"orchestrator/go/analysis"
	"orchestrator/go/backend"
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
		{Path: "/api/topology-tags/:clusterHint", Handler: s.topologyTags, Doc: "text tree with each instance's tags"},
		{Path: "/api/topology-tags/:host/:port", Handler: s.topologyTags, Doc: "text tree with tags, of an instance's cluster"},
		{Path: "/api/cluster-osc-replicas/:clusterHint", Bare: true, Handler: s.oscReplicas, Doc: "control replicas for online schema changes"},
		{Path: "/api/cluster-osc-slaves/:clusterHint", Bare: true, Handler: s.oscReplicas, Doc: "same as cluster-osc-replicas"},
		{Path: "/api/cluster-info/:clusterHint", Bare: true, Handler: s.clusterInfo, Doc: "ClusterInfo of a cluster"},
		{Path: "/api/cluster-info/alias/:clusterAlias", Bare: true, Handler: s.clusterInfo, Doc: "ClusterInfo of a cluster by alias"},
		{Path: "/api/clusters-info", Bare: true, Handler: s.clustersInfo, Doc: "ClusterInfo of every cluster"},
		{Path: "/api/set-cluster-alias/:clusterName", Mutates: true, Handler: s.setClusterAlias, Query: []Param{q("alias", "the alias (required)")}, Doc: "set a cluster alias (?alias=)"},
		{Path: "/api/reload-cluster-alias", Handler: s.reloadClusterAlias, Doc: "deprecated: aliases are read from the backend on every request"},
		{Path: "/api/snapshot-topologies", Mutates: true, Handler: s.snapshotTopologies, Doc: "record every instance's master in the topology history"},
		{Path: "/api/submit-masters-to-kv-stores", Mutates: true, Handler: s.submitMastersToKV, Doc: "write every cluster's master to the KV store"},
		{Path: "/api/submit-masters-to-kv-stores/:clusterHint", Mutates: true, Handler: s.submitMastersToKV, Doc: "write one cluster's master to the KV store"},
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
	v, err := s.views.current(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	body, err := v.json("clusters", func() (any, error) { return v.names, nil })
	return body, "", err
}

// cluster answers from the in-memory view (snapshot.go); a hint the view
// cannot resolve is looked up in the backend, which also gives the error.
func (s *Server) cluster(r *Request) (any, string, error) {
	v, err := s.views.current(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	name, ok := v.resolve(s.clusterHint(r), s.conf().DefaultInstancePort)
	if !ok {
		list, err := s.clusterInstances(r)
		return list, "", err
	}
	body, err := v.json("cluster\x00"+name, func() (any, error) { return v.clusters[name], nil })
	return body, "", err
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
	return nonNil(topology.OSCReplicas(list, s.conf().OSCIgnoreHostnameFilters)), "", nil
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

// clusterInfoOf summarises one cluster's instances.
func (s *Server) clusterInfoOf(name string, list []*inst.Instance) analysis.ClusterInfo {
	c := analysis.ClusterInfo{ClusterName: name, ClusterAlias: name, CountInstances: uint(len(list)), HeuristicLag: topology.HeuristicLag(list)}
	for _, i := range list {
		if i.ClusterAlias != "" {
			c.ClusterAlias = i.ClusterAlias
		}
		if i.ClusterDomain != "" {
			c.ClusterDomain = i.ClusterDomain
		}
	}
	c.HasAutomatedMasterRecovery = c.MatchesFilters(s.conf().RecoverMasterClusterFilters)
	c.HasAutomatedIntermediateMasterRecovery = c.MatchesFilters(s.conf().RecoverIntermediateMasterClusterFilters)
	return c
}

func (s *Server) clusterInfo(r *Request) (any, string, error) {
	list, err := s.clusterInstances(r)
	if err != nil {
		return nil, "", err
	}
	if len(list) == 0 { // forgotten since its name was resolved
		return nil, "", fmt.Errorf("%w: cluster %s has no instances", inst.ErrNotFound, r.Param("clusterHint"))
	}
	return s.clusterInfoOf(list[0].ClusterName, list), "", nil
}

func (s *Server) clustersInfo(r *Request) (any, string, error) {
	v, err := s.views.current(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	body, err := v.json("clusters-info", func() (any, error) {
		out := make([]analysis.ClusterInfo, 0, len(v.names))
		for _, name := range v.names {
			out = append(out, s.clusterInfoOf(name, v.clusters[name]))
		}
		return out, nil
	})
	return body, "", err
}

func (s *Server) reloadClusterAlias(r *Request) (any, string, error) {
	return nil, "Cluster aliases are read from the backend on every request; nothing to reload", nil
}

// topologyTags renders the text tree with "[tag,...]" after each instance.
func (s *Server) topologyTags(r *Request) (any, string, error) {
	text, err := s.deps.Reader.TopologyTags(r.Ctx, s.clusterHint(r))
	return text, "", err
}

func (s *Server) snapshotTopologies(r *Request) (any, string, error) {
	start := time.Now()
	if _, err := s.deps.Store.SnapshotTopologies(r.Ctx, start); err != nil {
		return nil, "", err
	}
	took := "Took " + time.Since(start).String()
	return took, took, nil
}

// submitMastersToKV writes KVClusterMasterPrefix/<alias> = host:port, plus
// /hostname, /port and /ipv4 or /ipv6 when the hostname is an address, to
// the internal KV store. Details: the pairs written.
func (s *Server) submitMastersToKV(r *Request) (any, string, error) {
	var masters []*inst.Instance
	if r.Param("clusterHint") != "" {
		m, err := s.deps.Reader.ClusterMaster(r.Ctx, r.Param("clusterHint"))
		if err != nil {
			return nil, "", err
		}
		masters = append(masters, m)
	} else {
		var err error
		if masters, err = s.deps.Reader.Masters(r.Ctx); err != nil {
			return nil, "", err
		}
	}
	pairs := []backend.KVPair{}
	for _, m := range masters {
		pairs = append(pairs, masterKVPairs(s.conf().KVClusterMasterPrefix, m)...)
	}
	if err := s.deps.Store.PutKVPairs(r.Ctx, pairs); err != nil {
		return nil, "", err
	}
	return pairs, fmt.Sprintf("Submitted %d masters", len(masters)), nil
}

func masterKVPairs(prefix string, m *inst.Instance) []backend.KVPair {
	alias := m.ClusterAlias
	if alias == "" {
		alias = m.ClusterName
	}
	base := strings.TrimRight(prefix, "/") + "/" + alias
	pairs := []backend.KVPair{{Key: base, Value: m.Key.String()}, {Key: base + "/hostname", Value: m.Key.Hostname},
		{Key: base + "/port", Value: strconv.Itoa(m.Key.Port)}}
	if ip := net.ParseIP(m.Key.Hostname); ip != nil {
		if ip.To4() != nil {
			pairs = append(pairs, backend.KVPair{Key: base + "/ipv4", Value: ip.String()})
		} else {
			pairs = append(pairs, backend.KVPair{Key: base + "/ipv6", Value: ip.String()})
		}
	}
	return pairs
}
