package http

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

// miscRoutes: tags, pools, candidates listing, hostname resolution and
// metrics.
func (s *Server) miscRoutes() []Route {
	tagParam := []Param{q("tag", "name, or name=value")}
	return []Route{
		{Path: "/api/tags/:host/:port", Bare: true, Handler: s.tags, Doc: "tags of an instance, as name or name=value strings"},
		{Path: "/api/tag-value/:host/:port", Bare: true, Handler: s.tagValue, Query: tagParam, Doc: "value of the tag named by ?tag="},
		{Path: "/api/tag-value/:host/:port/:tagName", Bare: true, Handler: s.tagValue, Doc: "value of one tag"},
		{Path: "/api/tag/:host/:port", Mutates: true, Handler: s.tag, Query: tagParam, Doc: "tag an instance (?tag=name or ?tag=name=value)"},
		{Path: "/api/tag/:host/:port/:tagName/:tagValue", Mutates: true, Handler: s.tag, Doc: "tag an instance with name=value"},
		{Path: "/api/untag/:host/:port", Mutates: true, Handler: s.untag, Query: tagParam, Doc: "remove the tag named by ?tag= from an instance"},
		{Path: "/api/untag/:host/:port/:tagName", Mutates: true, Handler: s.untag, Doc: "remove a tag from an instance"},
		{Path: "/api/untag-all", Mutates: true, Handler: s.untag, Query: tagParam, Doc: "remove the tag of ?tag= (name or name=value) from every instance"},
		{Path: "/api/untag-all/:tagName/:tagValue", Mutates: true, Handler: s.untag, Doc: "remove tag name=value from every instance"},
		{Path: "/api/tagged", Bare: true, Handler: s.tagged, Query: []Param{q("tag", "t1,t2=v,~t3: comma = and, ~ or ! = not")}, Doc: "keys of instances matching ?tag=t1,t2=v,~t3 (comma = and, ~ or ! = not)"},

		{Path: "/api/submit-pool-instances/:pool", Mutates: true, Handler: s.submitPool, Query: []Param{q("instances", "h1:p1,h2:p2")}, Doc: "set the members of a pool (?instances=h1:p1,h2:p2)"},
		{Path: "/api/cluster-pool-instances/:clusterName", Handler: s.clusterPools, Doc: "pool name -> member keys for a cluster"},
		{Path: "/api/cluster-pool-instances/:clusterName/:pool", Handler: s.clusterPools, Doc: "members of one pool of a cluster"},
		{Path: "/api/heuristic-cluster-pool-instances/:clusterName", Handler: s.poolInstances, Doc: "pool members of a cluster as Instances"},
		{Path: "/api/heuristic-cluster-pool-instances/:clusterName/:pool", Handler: s.poolInstances, Doc: "members of one pool as Instances"},
		{Path: "/api/heuristic-cluster-pool-lag/:clusterName", Handler: s.poolLag, Doc: "largest replication lag of a cluster's pool members"},
		{Path: "/api/heuristic-cluster-pool-lag/:clusterName/:pool", Handler: s.poolLag, Doc: "largest replication lag of one pool"},

		{Path: "/api/bulk-promotion-rules", Bare: true, Handler: s.bulkPromotionRules, Doc: "registered candidates and their promotion rules"},
		{Path: "/api/resolve/:host/:port", Handler: s.resolve, Doc: "resolve a hostname per HostnameResolveMethod; Details = resolved key"},
		{Path: "/api/register-hostname-unresolve/:host/:port/:virtualname", Mutates: true, Handler: s.registerUnresolve, Doc: "map a hostname to a virtual name"},
		{Path: "/api/deregister-hostname-unresolve/:host/:port", Mutates: true, Handler: s.deregisterUnresolve, Doc: "remove a hostname's virtual name"},
		{Path: "/api/hostname-resolve-cache", Handler: s.resolveCache, Doc: "hostname resolutions discovery uses: this node's and those recorded in the backend"},
		{Path: "/api/reset-hostname-resolve-cache", Mutates: true, Handler: s.resetResolveCache, Doc: "forget every hostname resolution (this node's and the backend's)"},
		{Path: "/api/headers", Bare: true, Handler: s.headers, Doc: "echo the request headers (credentials masked)"},

		{Path: "/metrics", Handler: s.prometheusMetrics, Doc: "Prometheus text metrics: requests, latency, probes, instances, leader, recoveries"},
		{Path: "/api/debug/metrics", Bare: true, Handler: s.jsonMetrics, Doc: "the same counters as JSON"},
		{Path: "/debug/metrics", Bare: true, Handler: s.jsonMetrics, Doc: "the same counters as JSON"},
	}
}

// knownKey parses :host/:port and checks the instance is known.
func (s *Server) knownKey(r *Request) (inst.InstanceKey, error) {
	key, err := requestKey(r)
	if err != nil {
		return key, err
	}
	if _, err := s.deps.Store.ReadInstance(r.Ctx, key); err != nil {
		return key, fmt.Errorf("Cannot read instance %s: %w", key, err)
	}
	return key, nil
}

// requestTag reads a tag from :tagName[/:tagValue] or ?tag=.
func requestTag(r *Request) (backend.Tag, error) {
	if name := r.Param("tagName"); name != "" {
		return backend.ParseTag(name+"="+r.Param("tagValue"), false)
	}
	if q := r.Query("tag"); q != "" {
		return backend.ParseTag(q, false)
	}
	return backend.Tag{}, fmt.Errorf("%w: missing tag (use ?tag=name or ?tag=name=value)", inst.ErrBadRequest)
}

func (s *Server) tags(r *Request) (any, string, error) {
	key, err := s.knownKey(r)
	if err != nil {
		return nil, "", err
	}
	tags, err := s.deps.Store.Tags(r.Ctx, key)
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.String())
	}
	return out, "", err
}

// keyAndTag reads a known instance and a tag from the request.
func (s *Server) keyAndTag(r *Request) (inst.InstanceKey, backend.Tag, error) {
	key, err := s.knownKey(r)
	if err != nil {
		return key, backend.Tag{}, err
	}
	t, err := requestTag(r)
	return key, t, err
}

func (s *Server) tagValue(r *Request) (any, string, error) {
	key, t, err := s.keyAndTag(r)
	if err != nil {
		return nil, "", err
	}
	v, err := s.deps.Store.TagValue(r.Ctx, key, t.Name)
	return v, "", err
}

func (s *Server) tag(r *Request) (any, string, error) {
	key, t, err := s.keyAndTag(r)
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Store.PutTag(r.Ctx, key, t); err != nil {
		return nil, "", err
	}
	s.audit(r, "tag", key, t.String())
	return key, fmt.Sprintf("%s tagged with %s", key, t), nil
}

func (s *Server) untag(r *Request) (any, string, error) {
	var key *inst.InstanceKey
	if r.Param("host") != "" {
		k, err := s.knownKey(r)
		if err != nil {
			return nil, "", err
		}
		key = &k
	}
	t, err := requestTag(r)
	if err != nil {
		return nil, "", err
	}
	t.HasValue = t.Value != ""
	keys, err := s.deps.Store.Untag(r.Ctx, key, t)
	if err != nil {
		return nil, "", err
	}
	for _, k := range keys {
		s.audit(r, "untag", k, t.String())
	}
	return keys, fmt.Sprintf("%s removed from %d instances", t, len(keys)), nil
}

func (s *Server) tagged(r *Request) (any, string, error) {
	q, err := backend.ParseTagQuery(r.Query("tag"))
	if err != nil {
		return nil, "", err
	}
	keys, err := s.deps.Store.Tagged(r.Ctx, q)
	return keys, "", err
}

// audit records an API change; a failure to audit does not undo it.
func (s *Server) audit(r *Request, kind string, key inst.InstanceKey, message string) {
	_ = s.deps.Store.WriteAudit(r.Ctx, kind, key, "", message)
}

func (s *Server) submitPool(r *Request) (any, string, error) {
	pool := r.Param("pool")
	var keys []inst.InstanceKey
	for _, part := range strings.FieldsFunc(r.Query("instances"), func(c rune) bool { return c == ',' || c == ' ' }) {
		k, err := inst.ParseInstanceKey(part, s.conf().DefaultInstancePort)
		if err != nil {
			return nil, "", err
		}
		keys = append(keys, k)
	}
	if err := s.deps.Store.SubmitPoolInstances(r.Ctx, pool, keys); err != nil {
		return nil, "", err
	}
	return pool, fmt.Sprintf("Applied %s pool instances", pool), nil
}

// pools reads a cluster's live pool memberships (:clusterName is any hint).
func (s *Server) pools(r *Request) (map[string][]inst.InstanceKey, error) {
	name, err := s.deps.Reader.ResolveCluster(r.Ctx, r.Param("clusterName"))
	if err != nil {
		return nil, err
	}
	since := time.Now().Add(-time.Duration(s.conf().InstancePoolExpiryMinutes) * time.Minute)
	return s.deps.Store.PoolInstances(r.Ctx, name, r.Param("pool"), since)
}

func (s *Server) clusterPools(r *Request) (any, string, error) {
	pools, err := s.pools(r)
	return pools, "", err
}

func (s *Server) poolMembers(r *Request) ([]*inst.Instance, error) {
	pools, err := s.pools(r)
	if err != nil {
		return nil, err
	}
	var out []*inst.Instance
	seen := map[inst.InstanceKey]bool{}
	for _, keys := range pools {
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			if i, err := s.deps.Reader.Instance(r.Ctx, k); err == nil {
				out = append(out, i)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Key.String() < out[b].Key.String() })
	return nonNil(out), nil
}

func (s *Server) poolInstances(r *Request) (any, string, error) {
	list, err := s.poolMembers(r)
	return list, "", err
}

func (s *Server) poolLag(r *Request) (any, string, error) {
	list, err := s.poolMembers(r)
	if err != nil {
		return nil, "", err
	}
	return topology.HeuristicLag(list), "Heuristic lag", nil
}

func (s *Server) bulkPromotionRules(r *Request) (any, string, error) {
	list, err := s.deps.Reader.Candidates(r.Ctx)
	return list, "", err
}

func (s *Server) resolve(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	return s.deps.Discoverer.Resolve(r.Ctx, key), "Instance resolved", nil
}

func (s *Server) registerUnresolve(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Store.RegisterHostnameUnresolve(r.Ctx, key.Hostname, r.Param("virtualname")); err != nil {
		return nil, "", err
	}
	return key, "Registered hostname unresolve for " + key.Hostname, nil
}

func (s *Server) deregisterUnresolve(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	if err := s.deps.Store.DeregisterHostnameUnresolve(r.Ctx, key.Hostname); err != nil {
		return nil, "", err
	}
	return key, "Deregistered hostname unresolve for " + key.Hostname, nil
}

func (s *Server) resolveCache(r *Request) (any, string, error) {
	m, err := s.deps.Discoverer.HostnameResolves(r.Ctx)
	return m, "Hostname resolve cache", err
}

func (s *Server) resetResolveCache(r *Request) (any, string, error) {
	if err := s.deps.Discoverer.ResetHostnameResolves(r.Ctx); err != nil {
		return nil, "", err
	}
	return nil, "Hostname resolve cache cleared", nil
}

// credentialHeaders are masked by /api/headers.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

func (s *Server) headers(r *Request) (any, string, error) {
	out := http.Header{}
	for name, values := range r.HTTP.Header {
		out[name] = values
	}
	for _, name := range credentialHeaders {
		if out.Get(name) != "" {
			out.Set(name, "********")
		}
	}
	return out, "", nil
}

// gauges reads the values metrics report from other components.
func (s *Server) gauges(r *Request) gauges {
	g := gauges{isLeader: s.deps.Node != nil && s.deps.Node.IsLeader()}
	if s.deps.Discoverer != nil {
		st := s.deps.Discoverer.Stats()
		g.probesOK, g.probesFailed, g.probeSeconds = st.ProbesOK, st.ProbesFailed, st.TotalLatency.Seconds()
		g.probeLatency = st.ProbeLatency
	}
	g.queryLatency = s.deps.Store.QueryLatency()
	keys, err := s.deps.Store.InstanceKeys(r.Ctx)
	g.instances, g.instancesErr = int64(len(keys)), err != nil
	return g
}

func (s *Server) prometheusMetrics(r *Request) (any, string, error) {
	return Raw{ContentType: "text/plain; version=0.0.4; charset=utf-8", Body: []byte(s.metrics.prometheus(s.gauges(r)))}, "", nil
}

func (s *Server) jsonMetrics(r *Request) (any, string, error) {
	return s.metrics.snapshot(s.gauges(r)), "", nil
}
