package app

import (
	"fmt"
	"time"

	"orchestrator/go/inst"
)

func discoveryCommands() []Command {
	const s = "Discovery"
	return []Command{
		{Name: "discover", Section: s, Help: "probe an instance and crawl its whole topology; prints the key", Needs: NeedInstance, Run: cliDiscover},
		{Name: "async-discover", Section: s, Help: "ask the running service to discover an instance and crawl its topology in the background; prints the key", Needs: NeedInstance, Run: cliAsyncDiscover},
		{Name: "refresh", Section: s, Help: "probe one known instance again", Needs: NeedInstance, Run: cliRefresh},
		{Name: "forget", Section: s, Help: "remove an instance from the backend", Needs: NeedInstance, Run: cliForget},
		{Name: "forget-cluster", Section: s, Help: "remove every instance of a cluster from the backend", Needs: NeedClusterHint, Run: cliForgetCluster},
		{Name: "set-cluster-alias", Section: s, Help: "set a cluster's alias (manual override)", Needs: NeedClusterHint, Run: cliSetClusterAlias},
		{Name: "register-candidate", Section: s, Help: "register an instance's promotion rule (--promotion-rule)", Needs: NeedInstance, Run: cliRegisterCandidate},
	}
}

func cliDiscover(e *Env) error {
	d, err := e.Discoverer()
	if err != nil {
		return err
	}
	for _, key := range mustKeys(e) {
		i, err := d.DiscoverTopology(e.Ctx, key)
		if err != nil {
			return fmt.Errorf("discover %s: %w", key, err)
		}
		e.println(i.Key.String())
	}
	return nil
}

func mustKeys(e *Env) []inst.InstanceKey {
	keys, _ := e.InstanceKeys()
	return keys
}

func cliAsyncDiscover(e *Env) error {
	keys, err := e.InstanceKeys()
	if err != nil {
		return err
	}
	d, err := e.Discoverer()
	if err != nil {
		return err
	}
	for _, key := range keys {
		k, err := d.RequestDiscovery(e.Ctx, key)
		if err != nil {
			return fmt.Errorf("async-discover %s: %w", key, err)
		}
		e.println(k.String())
	}
	return nil
}

func cliRefresh(e *Env) error {
	key, err := e.InstanceKey()
	if err != nil {
		return err
	}
	d, err := e.Discoverer()
	if err != nil {
		return err
	}
	i, err := d.Probe(e.Ctx, key)
	if err != nil {
		return fmt.Errorf("refresh %s: %w", key, err)
	}
	e.println(i.Key.String())
	return nil
}

func cliForget(e *Env) error {
	keys, err := e.InstanceKeys()
	if err != nil {
		return err
	}
	s, err := e.Store()
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := s.ForgetInstance(e.Ctx, key); err != nil {
			return err
		}
		_ = s.WriteAudit(e.Ctx, "forget", key, "", "forgotten by "+e.Owner())
		e.println(key.String())
	}
	return nil
}

func cliForgetCluster(e *Env) error {
	list, err := e.cluster()
	if err != nil {
		return err
	}
	s, err := e.Store()
	if err != nil {
		return err
	}
	for _, i := range list {
		if err := s.ForgetInstance(e.Ctx, i.Key); err != nil {
			return err
		}
		e.println(i.Key.String())
	}
	return nil
}

func cliSetClusterAlias(e *Env) error {
	if e.Flags.Alias == "" || e.Flags.Instance == "" {
		return fmt.Errorf("%w: set-cluster-alias needs -i <instance of the cluster> and --alias <new alias>", inst.ErrBadRequest)
	}
	r, err := e.Reader()
	if err != nil {
		return err
	}
	name, err := r.ResolveCluster(e.Ctx, e.Flags.Instance)
	if err != nil {
		return err
	}
	s, _ := e.Store()
	if err := s.SetClusterAliasOverride(e.Ctx, name, e.Flags.Alias); err != nil {
		return err
	}
	e.println(name)
	return nil
}

func cliRegisterCandidate(e *Env) error {
	rule := e.Flags.PromotionRule
	if rule == "" {
		rule = string(inst.PreferPromoteRule)
	}
	r, err := inst.ParsePromotionRule(rule)
	if err != nil {
		return err
	}
	keys, err := e.InstanceKeys()
	if err != nil {
		return err
	}
	s, err := e.Store()
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := s.RegisterCandidate(e.Ctx, key, r); err != nil {
			return err
		}
		e.println(key.String())
	}
	return nil
}

// sinceMinutes is now minus n minutes.
func sinceMinutes(n uint) time.Time { return time.Now().Add(-time.Duration(n) * time.Minute) }
