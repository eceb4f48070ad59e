package app

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"orchestrator/go/backend"
	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

func informationCommands() []Command {
	const s = "Information"
	return []Command{
		{Name: "clusters", Section: s, Help: "list cluster names", Run: cliClusters(false)},
		{Name: "clusters-alias", Section: s, Help: "list clusters with their aliases (name<TAB>alias)", Run: cliClusters(true)},
		{Name: "all-clusters-masters", Section: s, Help: "list the writable master of each cluster", Run: cliAllMasters},
		{Name: "all-instances", Section: s, Help: "list every known instance", Run: cliAllInstances},
		{Name: "instance", Section: s, Help: "print an instance as JSON", Needs: NeedInstance, Run: cliInstance},
		{Name: "which-instance", Section: s, Help: "print the key if the instance is known", Needs: NeedInstance, Run: cliWhichInstance},
		{Name: "instance-status", Section: s, Help: "print the instance's status tokens", Needs: NeedInstance, Run: cliInstanceStatus},
		{Name: "topology", Section: s, Help: "print the cluster as an indented tree", Needs: NeedClusterHint, Run: cliTopology(false)},
		{Name: "topology-tabulated", Section: s, Help: "print the cluster tree with columns separated by |", Needs: NeedClusterHint, Run: cliTopology(true)},
		{Name: "topology-tags", Section: s, Help: "print the cluster tree with each instance's tags", Needs: NeedClusterHint, Run: cliTopologyTags},
		{Name: "cluster", Section: s, Help: "print the instances of a cluster", Needs: NeedClusterHint, Run: cliWhichClusterInstances},
		{Name: "which-cluster", Section: s, Help: "print the cluster name", Needs: NeedClusterHint, Run: clusterField(func(i *inst.Instance) string { return i.ClusterName })},
		{Name: "which-cluster-alias", Section: s, Help: "print the cluster alias", Needs: NeedClusterHint, Run: clusterField(func(i *inst.Instance) string { return i.ClusterAlias })},
		{Name: "which-cluster-domain", Section: s, Help: "print the cluster domain", Needs: NeedClusterHint, Run: clusterField(func(i *inst.Instance) string { return i.ClusterDomain })},
		{Name: "which-heuristic-domain-instance", Section: s, Help: "print the writer associated with the cluster's domain (set-heuristic-domain-instance)", Needs: NeedClusterHint, Run: cliWhichDomainInstance},
		{Name: "which-cluster-master", Section: s, Help: "print the cluster's master", Needs: NeedClusterHint, Run: cliWhichClusterMaster},
		{Name: "which-cluster-instances", Section: s, Help: "print every instance of the cluster", Needs: NeedClusterHint, Run: cliWhichClusterInstances},
		{Name: "which-cluster-osc-replicas", Section: s, Help: "print replicas suitable as online-schema-change control replicas", Needs: NeedClusterHint, Aliases: []string{"which-cluster-osc-slaves", "which-cluster-gh-ost-replicas"}, Run: cliOSCReplicas},
		{Name: "which-master", Section: s, Help: "print the instance's master", Needs: NeedInstance, Run: cliWhichMaster},
		{Name: "which-replicas", Section: s, Help: "print the instance's direct replicas", Needs: NeedInstance, Aliases: []string{"which-slaves"}, Run: cliWhichReplicas},
		{Name: "which-downtimed-instances", Section: s, Help: "print downtimed instances (optionally of one cluster)", Run: cliDowntimed},
		{Name: "search", Section: s, Help: "print instances matching a substring", Needs: NeedPattern, Run: cliSearch},
		{Name: "find", Section: s, Help: "print instances whose hostname matches a regexp", Needs: NeedPattern, Run: cliFind},
		{Name: "problems", Section: s, Help: "print instances with problems", Run: cliProblems},
		{Name: "get-cluster-heuristic-lag", Section: s, Help: "print the cluster's maximum replica lag", Needs: NeedClusterHint, Run: cliHeuristicLag},
		{Name: "is-replicating", Section: s, Help: "print the key if both replication threads run", Needs: NeedInstance, Run: cliIsReplicating(true)},
		{Name: "is-replication-stopped", Section: s, Help: "print the key if both replication threads are stopped", Needs: NeedInstance, Run: cliIsReplicating(false)},
	}
}

func printKeys(e *Env, list []*inst.Instance) {
	for _, i := range list {
		e.println(i.Key.String())
	}
}

func cliClusters(withAlias bool) func(*Env) error {
	return func(e *Env) error {
		r, err := e.Reader()
		if err != nil {
			return err
		}
		all, err := r.Instances(e.Ctx, backend.InstanceFilter{})
		if err != nil {
			return err
		}
		aliases := map[string]string{}
		var names []string
		for _, i := range all {
			if _, ok := aliases[i.ClusterName]; !ok {
				names = append(names, i.ClusterName)
			}
			aliases[i.ClusterName] = i.ClusterAlias
		}
		sort.Strings(names)
		for _, n := range names {
			if withAlias {
				fmt.Fprintf(e.Out, "%s\t%s\n", n, aliases[n])
			} else {
				e.println(n)
			}
		}
		return nil
	}
}

func cliAllMasters(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	masters, err := r.Masters(e.Ctx)
	if err != nil {
		return err
	}
	printKeys(e, masters)
	return nil
}

func cliAllInstances(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	all, err := r.Instances(e.Ctx, backend.InstanceFilter{})
	if err != nil {
		return err
	}
	printKeys(e, all)
	return nil
}

func (e *Env) readInstance() (*inst.Instance, error) {
	key, err := e.InstanceKey()
	if err != nil {
		return nil, err
	}
	r, err := e.Reader()
	if err != nil {
		return nil, err
	}
	return r.Instance(e.Ctx, key)
}

func cliInstance(e *Env) error {
	i, err := e.readInstance()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(i, "", "  ")
	if err != nil {
		return err
	}
	e.println(string(b))
	return nil
}

func cliWhichInstance(e *Env) error {
	i, err := e.readInstance()
	if err != nil {
		return err
	}
	e.println(i.Key.String())
	return nil
}

func cliInstanceStatus(e *Env) error {
	i, err := e.readInstance()
	if err != nil {
		return err
	}
	e.println(i.Description())
	return nil
}

func (e *Env) cluster() ([]*inst.Instance, error) {
	r, err := e.Reader()
	if err != nil {
		return nil, err
	}
	return r.Cluster(e.Ctx, e.ClusterHint())
}

func cliTopology(tabulated bool) func(*Env) error {
	return func(e *Env) error {
		list, err := e.cluster()
		if err != nil {
			return err
		}
		fmt.Fprint(e.Out, inst.TopologyText(list, tabulated))
		return nil
	}
}

func cliTopologyTags(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	text, err := r.TopologyTags(e.Ctx, e.ClusterHint())
	if err != nil {
		return err
	}
	fmt.Fprint(e.Out, text)
	return nil
}

func cliWhichDomainInstance(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	key, err := r.HeuristicDomainInstance(e.Ctx, e.ClusterHint())
	if err != nil {
		return err
	}
	e.println(key.String())
	return nil
}

// clusterField prints one cluster attribute, read from any of its instances.
func clusterField(field func(*inst.Instance) string) func(*Env) error {
	return func(e *Env) error {
		list, err := e.cluster()
		if err != nil {
			return err
		}
		e.println(field(list[0]))
		return nil
	}
}

func cliWhichClusterMaster(e *Env) error {
	list, err := e.cluster()
	if err != nil {
		return err
	}
	m, err := topology.Master(list)
	if err != nil {
		return err
	}
	e.println(m.Key.String())
	return nil
}

func cliWhichClusterInstances(e *Env) error {
	list, err := e.cluster()
	if err != nil {
		return err
	}
	printKeys(e, list)
	return nil
}

func cliOSCReplicas(e *Env) error {
	list, err := e.cluster()
	if err != nil {
		return err
	}
	printKeys(e, topology.OSCReplicas(list, e.Config.OSCIgnoreHostnameFilters))
	return nil
}

func cliWhichMaster(e *Env) error {
	i, err := e.readInstance()
	if err != nil {
		return err
	}
	if i.IsReplica() {
		e.println(i.MasterKey.String())
	}
	return nil
}

func cliWhichReplicas(e *Env) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	r, err := e.Reader()
	if err != nil {
		return err
	}
	list, err := r.Replicas(e.Ctx, key)
	if err != nil {
		return err
	}
	printKeys(e, list)
	return nil
}

func cliDowntimed(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	var list []*inst.Instance
	if e.ClusterHint() != "" {
		list, err = r.Cluster(e.Ctx, e.ClusterHint())
	} else {
		list, err = r.Instances(e.Ctx, backend.InstanceFilter{})
	}
	if err != nil {
		return err
	}
	for _, i := range list {
		if i.IsDowntimed {
			e.println(i.Key.String())
		}
	}
	return nil
}

func cliSearch(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	list, err := r.Search(e.Ctx, e.Flags.Pattern)
	if err != nil {
		return err
	}
	printKeys(e, list)
	return nil
}

func cliFind(e *Env) error {
	re, err := regexp.Compile(e.Flags.Pattern)
	if err != nil {
		return fmt.Errorf("%w: invalid --pattern: %v", inst.ErrBadRequest, err)
	}
	r, err := e.Reader()
	if err != nil {
		return err
	}
	all, err := r.Instances(e.Ctx, backend.InstanceFilter{})
	if err != nil {
		return err
	}
	for _, i := range all {
		if re.MatchString(i.Key.Hostname) {
			e.println(i.Key.String())
		}
	}
	return nil
}

func cliProblems(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	list, err := r.Problems(e.Ctx, e.ClusterHint())
	if err != nil {
		return err
	}
	printKeys(e, list)
	return nil
}

func cliHeuristicLag(e *Env) error {
	list, err := e.cluster()
	if err != nil {
		return err
	}
	e.println(topology.HeuristicLag(list))
	return nil
}

func cliIsReplicating(running bool) func(*Env) error {
	return func(e *Env) error {
		i, err := e.readInstance()
		if err != nil {
			return err
		}
		if (running && i.IsReplicating()) || (!running && i.IsReplicationStopped()) {
			e.println(i.Key.String())
		}
		return nil
	}
}
