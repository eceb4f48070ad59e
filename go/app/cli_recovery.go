package app

func recoveryCommands() []Command { return nil }
