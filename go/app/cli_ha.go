package app

// haCommands: service-node and election commands.
func haCommands() []Command { return nil }
