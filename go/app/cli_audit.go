package app

// auditCommands: audit log and downtime listings.
func auditCommands() []Command { return nil }
