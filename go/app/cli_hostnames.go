package app

import (
	"fmt"
	"sort"
	"time"

	"orchestrator/go/inst"
)

// hostnameCommands: hostname resolution, virtual names, bulk listings and
// other backend bookkeeping (reference section "Instance, meta" and "Meta").
func hostnameCommands() []Command {
	const s = "Meta"
	return []Command{
		{Name: "resolve", Section: s, Help: "print the instance key resolved by the hostname policy (HostnameResolveMethod)", Needs: NeedInstance, Run: cliResolve},
		{Name: "reset-hostname-resolve-cache", Section: s, Help: "forget every recorded hostname resolution", Run: cliResetResolves},
		{Name: "show-resolve-hosts", Section: s, Help: "print recorded hostname resolutions (hostname resolved)", Run: cliShowResolves},
		{Name: "register-hostname-unresolve", Section: s, Help: "map the instance's hostname to a virtual name (--hostname); prints the key", Needs: NeedInstance, Run: cliRegisterUnresolve},
		{Name: "deregister-hostname-unresolve", Section: s, Help: "remove the virtual name of the instance's hostname; prints the key", Needs: NeedInstance, Run: cliDeregisterUnresolve},
		{Name: "show-unresolve-hosts", Section: s, Help: "print virtual names (hostname virtual-name)", Run: cliShowUnresolves},
		{Name: "set-heuristic-domain-instance", Section: s, Help: "associate the cluster's domain with its writable master; prints the master", Needs: NeedClusterHint, Run: cliSetDomainInstance},
		{Name: "bulk-instances", Section: s, Help: "print the key of every known instance, sorted", Run: cliBulkInstances},
		{Name: "bulk-promotion-rules", Section: s, Help: "print registered promotion rules (host:port rule)", Run: cliBulkPromotionRules},
		{Name: "snapshot-topologies", Section: s, Help: "record every instance's master in the topology history", Run: cliSnapshotTopologies},
	}
}

func cliResolve(e *Env) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	d, err := e.Discoverer()
	if err != nil {
		return err
	}
	e.println(d.Resolve(e.Ctx, key).String())
	return nil
}

func cliResetResolves(e *Env) error {
	d, err := e.Discoverer()
	if err != nil {
		return err
	}
	if err := d.ResetHostnameResolves(e.Ctx); err != nil {
		return err
	}
	e.println("hostname resolve cache cleared")
	return nil
}

func cliShowResolves(e *Env) error {
	return printPairsOf(e, func() (map[string]string, error) {
		d, err := e.Discoverer()
		if err != nil {
			return nil, err
		}
		return d.HostnameResolves(e.Ctx)
	})
}

// printPairsOf prints what read returns, as printPairs does.
func printPairsOf(e *Env, read func() (map[string]string, error)) error {
	m, err := read()
	if err != nil {
		return err
	}
	printPairs(e, m)
	return nil
}

// printPairs prints "key value" lines sorted by key.
func printPairs(e *Env, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(e.Out, "%s %s\n", k, m[k])
	}
}

func cliRegisterUnresolve(e *Env) error {
	if e.Flags.Hostname == "" {
		return fmt.Errorf("%w: register-hostname-unresolve needs --hostname <virtual name>", inst.ErrBadRequest)
	}
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	s, err := e.Store()
	if err != nil {
		return err
	}
	if err := s.RegisterHostnameUnresolve(e.Ctx, key.Hostname, e.Flags.Hostname); err != nil {
		return err
	}
	e.println(key.String())
	return nil
}

func cliDeregisterUnresolve(e *Env) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	s, err := e.Store()
	if err != nil {
		return err
	}
	if err := s.DeregisterHostnameUnresolve(e.Ctx, key.Hostname); err != nil {
		return err
	}
	e.println(key.String())
	return nil
}

func cliShowUnresolves(e *Env) error {
	return printPairsOf(e, func() (map[string]string, error) {
		s, err := e.Store()
		if err != nil {
			return nil, err
		}
		return s.HostnameUnresolves(e.Ctx)
	})
}

func cliSetDomainInstance(e *Env) error {
	o, err := e.Operator()
	if err != nil {
		return err
	}
	key, err := o.SetHeuristicDomainInstance(e.Ctx, e.ClusterHint())
	if err != nil {
		return err
	}
	e.println(key.String())
	return nil
}

func cliBulkInstances(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	keys, err := s.InstanceKeys(e.Ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		e.println(k.String())
	}
	return nil
}

func cliBulkPromotionRules(e *Env) error {
	r, err := e.Reader()
	if err != nil {
		return err
	}
	list, err := r.Candidates(e.Ctx)
	if err != nil {
		return err
	}
	for _, c := range list {
		fmt.Fprintf(e.Out, "%s %s\n", c.Key, c.PromotionRule)
	}
	return nil
}

func cliSnapshotTopologies(e *Env) error {
	s, err := e.Store()
	if err != nil {
		return err
	}
	_, err = s.SnapshotTopologies(e.Ctx, time.Now())
	return err
}
