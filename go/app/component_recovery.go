package app

import (
	"orchestrator/go/recovery"
)

// Recoverer returns the detection and recovery component.
func (e *Env) Recoverer() (*recovery.Recoverer, error) {
	if e.recoverer != nil {
		return e.recoverer, nil
	}
	store, err := e.Store()
	if err != nil {
		return nil, err
	}
	reader, err := e.Reader()
	if err != nil {
		return nil, err
	}
	d, err := e.Discoverer()
	if err != nil {
		return nil, err
	}
	e.recoverer = recovery.New(recovery.Deps{Store: store, Reader: reader, Inspector: e.Inspector(), Applier: e.Applier(),
		Probe: d.Probe, Hold: e.Inspector().Hold, Config: e.Config, Holder: e.Holder()})
	return e.recoverer, nil
}
