package config

import (
	"reflect"
	"sort"
)

// reloadable are the keys a running service applies when its
// configuration is reloaded (SIGHUP, /api/reload-configuration), and the
// component that applies each. Every other key keeps its value until the
// service restarts: what it configures was built at start (listeners,
// TLS, pools, the backend, the election, the poll workers, the resolver).
var reloadable = map[string]string{
	"Debug": "log",

	"ReadOnly": "http", "AuthenticationMethod": "http", "HTTPAuthUser": "http", "HTTPAuthPassword": "http",
	"AuthUserHeader": "http", "PowerAuthUsers": "http", "PowerAuthGroups": "http", "WebMessage": "http",

	"InstancePollSeconds":                   "discovery, topology reads, recovery",
	"DiscoveryIgnoreHostnameFilters":        "discovery",
	"DiscoveryIgnoreMasterHostnameFilters":  "discovery",
	"DiscoveryIgnoreReplicaHostnameFilters": "discovery",

	"RecoveryIgnoreHostnameFilters": "recovery", "RecoverMasterClusterFilters": "recovery",
	"RecoverIntermediateMasterClusterFilters": "recovery", "PromotionIgnoreHostnameFilters": "recovery",
	"RecoveryPeriodBlockSeconds": "recovery", "RecoveryPeriodBlockMinutes": "recovery",
	"FailureDetectionPeriodBlockMinutes": "recovery",

	"ProcessesShellCommand": "recovery hooks", "HookTimeoutSeconds": "recovery hooks",
	"OnFailureDetectionProcesses": "recovery hooks", "PreGracefulTakeoverProcesses": "recovery hooks",
	"PreFailoverProcesses": "recovery hooks", "PostFailoverProcesses": "recovery hooks",
	"PostUnsuccessfulFailoverProcesses": "recovery hooks", "PostMasterFailoverProcesses": "recovery hooks",
	"PostIntermediateMasterFailoverProcesses": "recovery hooks", "PostGracefulTakeoverProcesses": "recovery hooks",
	"PostTakeMasterProcesses": "recovery hooks",
}

// Reloadable reports whether a running service applies key on reload,
// and which component does.
func Reloadable(key string) (component string, ok bool) {
	component, ok = reloadable[key]
	return component, ok
}

// ReloadReport says what a reload did.
type ReloadReport struct {
	Files       []string  // the files read, in order
	Applied     []string  // reloadable keys whose value changed
	NeedRestart []string  // keys whose value changed but apply only at the next start (running value kept)
	Refused     []Refusal // components that could not apply the new configuration and kept theirs
	Warnings    []string  // what loading the files warned about (unknown keys, loose permissions)
}

// Refusal is a component that kept its configuration.
type Refusal struct {
	Component string
	Error     string
}

// Changes lists the keys whose values differ between c and next, split
// into those a running service applies and those that need a restart.
// Secrets are compared, never reported but by name.
func (c *Config) Changes(next *Config) (applied, restart []string) {
	a, b := reflect.ValueOf(c).Elem(), reflect.ValueOf(next).Elem()
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		if reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			continue
		}
		if _, ok := reloadable[t.Field(i).Name]; ok {
			applied = append(applied, t.Field(i).Name)
		} else {
			restart = append(restart, t.Field(i).Name)
		}
	}
	sort.Strings(applied)
	sort.Strings(restart)
	return applied, restart
}

// WithReloaded returns a copy of c whose reloadable keys have next's
// values: what a running service runs with after a reload.
func (c *Config) WithReloaded(next *Config) *Config {
	out := *c
	o, n := reflect.ValueOf(&out).Elem(), reflect.ValueOf(next).Elem()
	for key := range reloadable {
		o.FieldByName(key).Set(n.FieldByName(key))
	}
	return &out
}
