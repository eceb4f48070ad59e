package http

import (
	"fmt"

	"orchestrator/go/inst"
)

func (s *Server) instanceRoutes() []Route {
	return []Route{
		{Path: "/api/instance/:host/:port", Bare: true, Handler: s.instance, Doc: "one Instance"},
		{Path: "/api/instance-replicas/:host/:port", Bare: true, Handler: s.instanceReplicas, Doc: "direct replicas of an instance"},
		{Path: "/api/all-instances", Bare: true, Handler: s.allInstances, Doc: "every known Instance"},
		{Path: "/api/search/:searchString", Bare: true, Handler: s.search, Doc: "instances matching a substring"},
		{Path: "/api/search", Bare: true, Handler: s.search, Query: []Param{q("s", "the search string")}, Doc: "instances matching ?s="},
		{Path: "/api/problems", Bare: true, Handler: s.problems, Doc: "instances with problems"},
		{Path: "/api/problems/:clusterName", Bare: true, Handler: s.problems, Doc: "instances with problems in one cluster"},
		{Path: "/api/bulk-instances", Bare: true, Handler: s.bulkInstances, Doc: "keys of every known instance"},
		{Path: "/api/discover/:host/:port", Mutates: true, Handler: s.discover, Example: envelopeExample("Instance discovered: 127.0.0.1:24102", exampleInstance), Doc: "probe an instance now and crawl its topology"},
		{Path: "/api/async-discover/:host/:port", Mutates: true, Handler: s.asyncDiscover, Doc: "discover an instance and crawl its topology in the background (the request is stored for the poll loop)"},
		{Path: "/api/refresh/:host/:port", Mutates: true, Handler: s.refresh, Example: envelopeExample("Instance refreshed: 127.0.0.1:24102", exampleKey), Doc: "probe a known instance again"},
		{Path: "/api/forget/:host/:port", Mutates: true, Handler: s.forget, Doc: "remove an instance from the backend"},
		{Path: "/api/forget-cluster/:clusterHint", Mutates: true, Handler: s.forgetCluster, Doc: "remove every instance of a cluster"},
		{Path: "/api/register-candidate/:host/:port/:promotionRule", Mutates: true, Handler: s.registerCandidate, Doc: "register a promotion rule"},
	}
}

func requestKey(r *Request) (inst.InstanceKey, error) {
	return inst.ParseHostPort(r.Param("host"), r.Param("port"))
}

func (s *Server) instance(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	i, err := s.deps.Reader.Instance(r.Ctx, key)
	if err != nil {
		return nil, "", fmt.Errorf("Cannot read instance %s: %w", key, err)
	}
	return i, "", nil
}

func (s *Server) instanceReplicas(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	list, err := s.deps.Reader.Replicas(r.Ctx, key)
	return nonNil(list), "", err
}

func nonNil(list []*inst.Instance) []*inst.Instance {
	if list == nil {
		return []*inst.Instance{}
	}
	return list
}

func (s *Server) allInstances(r *Request) (any, string, error) {
	v, err := s.views.current(r.Ctx)
	if err != nil {
		return nil, "", err
	}
	body, err := v.json("all-instances", func() (any, error) { return v.instances, nil })
	return body, "", err
}

func (s *Server) search(r *Request) (any, string, error) {
	q := r.Param("searchString")
	if q == "" {
		q = r.Query("s")
	}
	if q == "" {
		return nil, "", fmt.Errorf("%w: empty search string", inst.ErrBadRequest)
	}
	list, err := s.deps.Reader.Search(r.Ctx, q)
	return nonNil(list), "", err
}

func (s *Server) problems(r *Request) (any, string, error) {
	list, err := s.deps.Reader.Problems(r.Ctx, r.Param("clusterName"))
	return nonNil(list), "", err
}

func (s *Server) bulkInstances(r *Request) (any, string, error) {
	keys, err := s.deps.Store.InstanceKeys(r.Ctx)
	if keys == nil {
		keys = []inst.InstanceKey{}
	}
	return keys, "", err
}

func (s *Server) discover(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	i, err := s.deps.Discoverer.DiscoverTopology(r.Ctx, key)
	if err != nil {
		return nil, "", fmt.Errorf("discover %s: %w", key, err)
	}
	return i, "Instance discovered: " + key.String(), nil
}

func (s *Server) asyncDiscover(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	if key, err = s.deps.Discoverer.RequestDiscovery(r.Ctx, key); err != nil {
		return nil, "", fmt.Errorf("async-discover %s: %w", key, err)
	}
	return nil, "Asynchronous discovery initiated for instance: " + key.String(), nil
}

func (s *Server) refresh(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.probeNow(r.Ctx, key); err != nil {
		return nil, "", fmt.Errorf("refresh %s: %w", key, err)
	}
	return key, "Instance refreshed: " + key.String(), nil
}

func (s *Server) forget(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Discoverer.Forget(r.Ctx, key); err != nil {
		return nil, "", err
	}
	_ = s.deps.Store.WriteAudit(r.Ctx, "forget", key, "", "forgotten via API")
	return key, "Instance forgotten: " + key.String(), nil
}

func (s *Server) forgetCluster(r *Request) (any, string, error) {
	list, err := s.deps.Reader.Cluster(r.Ctx, r.Param("clusterHint"))
	if err != nil {
		return nil, "", err
	}
	if len(list) == 0 { // forgotten since its name was resolved
		return nil, "", fmt.Errorf("%w: cluster %s has no instances", inst.ErrNotFound, r.Param("clusterHint"))
	}
	for _, i := range list {
		if err := s.deps.Discoverer.Forget(r.Ctx, i.Key); err != nil {
			return nil, "", err
		}
	}
	return list[0].ClusterName, "Cluster forgotten: " + list[0].ClusterName, nil
}

func (s *Server) registerCandidate(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	rule, err := inst.ParsePromotionRule(r.Param("promotionRule"))
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Store.RegisterCandidate(r.Ctx, key, rule); err != nil {
		return nil, "", err
	}
	return key, "Registered candidate", nil
}
