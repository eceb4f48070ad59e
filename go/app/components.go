package app

import (
	"orchestrator/go/discovery"
	"orchestrator/go/mysql"
)

// Connector returns the pool of connections to topology servers.
func (e *Env) Connector() *mysql.Connector {
	if e.connector == nil {
		e.connector = mysql.NewConnector(e.Config)
		c := e.connector
		e.closers = append(e.closers, func() { _ = c.Close() })
	}
	return e.connector
}

// Inspector reads live servers.
func (e *Env) Inspector() *mysql.Inspector {
	if e.inspector == nil {
		e.inspector = mysql.NewInspector(e.Connector(), e.Config)
	}
	return e.inspector
}

// Applier changes live servers.
func (e *Env) Applier() *mysql.Applier {
	if e.applier == nil {
		e.applier = mysql.NewApplier(e.Connector(), e.Config, e.Inspector())
	}
	return e.applier
}

// Discoverer probes servers and stores them.
func (e *Env) Discoverer() (*discovery.Discoverer, error) {
	if e.discoverer != nil {
		return e.discoverer, nil
	}
	s, err := e.Store()
	if err != nil {
		return nil, err
	}
	e.discoverer = discovery.New(s, e.Inspector(), e.Config)
	return e.discoverer, nil
}
