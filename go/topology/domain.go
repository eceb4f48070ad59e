package topology

import (
	"context"
	"fmt"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
)

// A cluster's domain (DetectClusterDomainQuery, e.g. the DNS name
// applications use for its writer) can be associated with the instance that
// looks like its writer: set-heuristic-domain-instance stores the
// association as a general attribute named after the domain (host_attributes,
// hostname "*", as upstream), which-heuristic-domain-instance reads it back.

// clusterDomain returns the cluster's instances and its domain.
func (r *Reader) clusterDomain(ctx context.Context, hint string) ([]*inst.Instance, string, error) {
	list, err := r.Cluster(ctx, hint)
	if err != nil {
		return nil, "", err
	}
	for _, i := range list {
		if i.ClusterDomain != "" {
			return list, i.ClusterDomain, nil
		}
	}
	return nil, "", fmt.Errorf("cluster %s has no domain (DetectClusterDomainQuery): %w", list[0].ClusterName, inst.ErrNotFound)
}

// HeuristicDomainInstance returns the writer stored for the cluster's
// domain by SetHeuristicDomainInstance.
func (r *Reader) HeuristicDomainInstance(ctx context.Context, hint string) (inst.InstanceKey, error) {
	_, domain, err := r.clusterDomain(ctx, hint)
	if err != nil {
		return inst.InstanceKey{}, err
	}
	v, err := r.store.HostAttribute(ctx, backend.GeneralAttributeHost, domain)
	if err != nil {
		return inst.InstanceKey{}, fmt.Errorf("writer of domain %s: %w", domain, err)
	}
	key, err := inst.ParseInstanceKey(v, r.conf().DefaultInstancePort)
	if err != nil {
		return inst.InstanceKey{}, fmt.Errorf("writer of domain %s: stored value %q: %w", domain, v, err)
	}
	return key, nil
}

// SetHeuristicDomainInstance associates the cluster's domain with its
// writable master, trusting the stored topology: exactly one writable
// master must be known.
func (o *Operator) SetHeuristicDomainInstance(ctx context.Context, hint string) (inst.InstanceKey, error) {
	list, domain, err := o.reader.clusterDomain(ctx, hint)
	if err != nil {
		return inst.InstanceKey{}, err
	}
	var writers []*inst.Instance
	for _, i := range list {
		if i.IsMaster() && !i.ReadOnly {
			writers = append(writers, i)
		}
	}
	if len(writers) != 1 {
		return inst.InstanceKey{}, refused("found %d writable masters in cluster %s, need exactly one", len(writers), list[0].ClusterName)
	}
	key := writers[0].Key
	if err := o.store.SetHostAttribute(ctx, backend.GeneralAttributeHost, domain, key.String()); err != nil {
		return inst.InstanceKey{}, err
	}
	o.audit(ctx, "set-heuristic-domain-instance", key, writers[0].ClusterName, "writer of domain "+domain, nil)
	return key, nil
}
