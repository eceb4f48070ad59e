package config

import (
	"fmt"
	"os"

	"gopkg.in/gcfg.v1"
)

type credentialsFile struct {
	Client struct {
		User     string
		Password string
	}
}

// ReadCredentialsFile reads a my.cnf-style file's [client] user and
// password. Other sections and keys are tolerated (a real my.cnf often has
// them); a syntax error is fatal. A file readable by group or others is
// reported as a warning.
func ReadCredentialsFile(path string) (user, password string, warnings []string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("credentials file %s is accessible by group or others (mode %04o); chmod 600 it", path, st.Mode().Perm()))
	}
	var cf credentialsFile
	if err := gcfg.FatalOnly(gcfg.ReadFileInto(&cf, path)); err != nil {
		return "", "", nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return cf.Client.User, cf.Client.Password, warnings, nil
}
