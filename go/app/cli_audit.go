package app

import (
	"fmt"

	"orchestrator/go/inst"
)

// auditCommands: the audit log.
func auditCommands() []Command {
	return []Command{
		{Name: "audit", Section: "Information", Help: "print the newest audit rows, of -i only when given (timestamp, type, instance, cluster, message)", Run: cliAudit},
	}
}

func cliAudit(e *Env) error {
	var key *inst.InstanceKey
	if e.Flags.Instance != "" {
		k, err := e.InstanceKey()
		if err != nil {
			return err
		}
		key = &k
	}
	s, err := e.Store()
	if err != nil {
		return err
	}
	rows, err := s.ReadAudit(e.Ctx, 0, key)
	if err != nil {
		return err
	}
	for _, a := range rows {
		e.println(fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.AuditTimestamp, a.AuditType, a.AuditInstanceKey, a.ClusterName, a.Message))
	}
	return nil
}
