package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/outbrain/golib/log"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// reloader re-reads the service's configuration files and hands the
// result to each component's ApplyConfig, like the reloaders of
// Prometheus' main: on SIGHUP and /api/reload-configuration. Only the
// keys config.Reloadable names are taken from the files; every other key
// keeps its running value (and is reported as needing a restart when it
// changed), so no component ever sees half of a change it cannot make.
// A component that refuses keeps its configuration and is reported; it
// is offered the configuration again at the next reload.
type reloader struct {
	paths    []string
	explicit bool

	mu         sync.Mutex // one reload at a time
	running    *config.Config
	components []reloadable
}

// reloadable is one component that takes a reloaded configuration.
type reloadable struct {
	name  string
	apply func(*config.Config) error
}

func newReloader(paths []string, explicit bool, running *config.Config) *reloader {
	return &reloader{paths: paths, explicit: explicit, running: running}
}

// add registers a component (in the order they are applied).
func (rl *reloader) add(name string, apply func(*config.Config) error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.components = append(rl.components, reloadable{name: name, apply: apply})
}

// Reload reads the files again (plus extra, when given: a .json file
// read last) and applies the reloadable keys. An unreadable or invalid
// configuration changes nothing: the error names the file and key.
func (rl *reloader) Reload(extra string) (config.ReloadReport, error) {
	paths, err := rl.files(extra)
	if err != nil {
		return config.ReloadReport{}, err
	}
	next, warnings, err := config.Load(paths, rl.explicit)
	if err != nil {
		return config.ReloadReport{}, fmt.Errorf("%w: configuration not reloaded: %w", inst.ErrRefused, err)
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	report := config.ReloadReport{Files: present(paths), Warnings: warnings}
	report.Applied, report.NeedRestart = rl.running.Changes(next)
	merged := rl.running.WithReloaded(next)
	for _, c := range rl.components {
		if err := c.apply(merged); err != nil {
			report.Refused = append(report.Refused, config.Refusal{Component: c.name, Error: oneLine(err, merged)})
		}
	}
	rl.running = merged
	return report, nil
}

// apiReloader is the reloader as /api/reload-configuration sees it: each
// reload is logged (a SIGHUP's is answered on stderr by hangups).
type apiReloader struct{ rl *reloader }

func (a apiReloader) Reload(extra string) (config.ReloadReport, error) {
	report, err := a.rl.Reload(extra)
	if err == nil {
		log.Infof("reload-configuration: %s", summary(report))
	}
	return report, err
}

// files are the paths to read: the service's, then extra.
func (rl *reloader) files(extra string) ([]string, error) {
	if extra == "" {
		return rl.paths, nil
	}
	if !strings.HasSuffix(extra, ".json") {
		return nil, fmt.Errorf("%w: config %q: the extra file must be a .json file", inst.ErrBadRequest, extra)
	}
	abs, err := filepath.Abs(extra)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: config %s: no such file", inst.ErrNotFound, extra)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: config %s: %w", inst.ErrBadRequest, extra, err)
	}
	return append(append([]string(nil), rl.paths...), abs), nil
}

// present are the paths that exist (the default paths may not).
func present(paths []string) []string {
	out := []string{}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// summary is a reload's report on one line, for the log.
func summary(r config.ReloadReport) string {
	msg := fmt.Sprintf("configuration reloaded from %s", strings.Join(r.Files, ", "))
	if len(r.Files) == 0 {
		msg = "configuration reloaded (defaults only)"
	}
	if len(r.Applied) > 0 {
		msg += "; applied: " + strings.Join(r.Applied, ", ")
	} else {
		msg += "; nothing to apply"
	}
	if len(r.NeedRestart) > 0 {
		msg += "; changed but applied only at the next start: " + strings.Join(r.NeedRestart, ", ")
	}
	for _, f := range r.Refused {
		msg += fmt.Sprintf("; %s kept its configuration: %s", f.Component, f.Error)
	}
	for _, w := range r.Warnings {
		msg += "; warning: " + w
	}
	return msg
}

// logLevel applies Debug: debug logging when the key or --debug is set,
// else the service's info level (errors only with --quiet).
func logLevel(debugFlag, quiet bool) func(*config.Config) error {
	return func(c *config.Config) error {
		switch {
		case debugFlag || c.Debug:
			log.SetLevel(log.DEBUG)
		case quiet:
			log.SetLevel(log.ERROR)
		default:
			log.SetLevel(log.INFO)
		}
		return nil
	}
}
