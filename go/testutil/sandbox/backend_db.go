package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
)

// FreshBackendDatabase creates an empty database with a unique name on the
// backend server and drops it when the test ends. It fails the test when
// the sandbox has no backend.
func (s *Sandbox) FreshBackendDatabase(tb testing.TB) string {
	tb.Helper()
	if s.BackendPort == 0 {
		tb.Fatal("sandbox: started without a backend (Options{WithBackend: true})")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "orc_t_" + hex.EncodeToString(b)
	if _, err := s.SQL(s.BackendPort, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("sandbox: create database %s: %v", name, err)
	}
	tb.Cleanup(func() { _, _ = s.SQL(s.BackendPort, "DROP DATABASE IF EXISTS "+name) })
	return name
}
