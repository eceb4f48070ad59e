package mysql

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

func testConfig() *config.Config {
	cfg := config.Defaults()
	cfg.MySQLTopologyUser = "orc"
	cfg.MySQLTopologyPassword = "s3cr3t'pw"
	return cfg
}

func TestDriverConfig(t *testing.T) {
	cfg := testConfig()
	cfg.MySQLConnectTimeoutSeconds = 3
	cfg.MySQLDiscoveryReadTimeoutSeconds = 7
	cfg.MySQLTopologyReadTimeoutSeconds = 30
	c := NewConnector(cfg)
	mc := c.driverConfig(inst.InstanceKey{Hostname: "db1.example.com", Port: 3307})
	require.Equal(t, "tcp", mc.Net)
	require.Equal(t, "db1.example.com:3307", mc.Addr)
	require.Equal(t, "orc", mc.User)
	require.Equal(t, "s3cr3t'pw", mc.Passwd)
	require.Equal(t, 3*time.Second, mc.Timeout)
	require.Equal(t, 30*time.Second, mc.ReadTimeout)
	require.Equal(t, 30*time.Second, mc.WriteTimeout)
	require.True(t, mc.InterpolateParams)
	require.True(t, mc.MultiStatements)
	require.Nil(t, mc.TLS)

	v6 := c.driverConfig(inst.InstanceKey{Hostname: "::1", Port: 3306})
	require.Equal(t, "[::1]:3306", v6.Addr)
}

func TestDSNIsRedacted(t *testing.T) {
	c := NewConnector(testConfig())
	dsn := c.DSN(inst.InstanceKey{Hostname: "db1", Port: 3306})
	require.NotContains(t, dsn, "s3cr3t")
	require.Contains(t, dsn, "orc:********@tcp(db1:3306)/")
	require.Contains(t, dsn, "interpolateParams=true")
}

func TestRedact(t *testing.T) {
	c := NewConnector(testConfig())
	base := errors.New("base")
	err := fmt.Errorf("login with s3cr3t'pw failed: %w", base)
	red := c.Redact(err)
	require.Equal(t, "login with ******** failed: base", red.Error())
	require.ErrorIs(t, red, base)

	clean := errors.New("nothing secret")
	require.Same(t, clean, c.Redact(clean))
	require.NoError(t, c.Redact(nil))
	require.Equal(t, "user ******** here", c.Redact(errors.New("user repl-pw here"), "repl-pw").Error())
	require.Equal(t, "a ******** b", RedactText("a x b", "", "x"))
}

func TestConnectorPools(t *testing.T) {
	cfg := testConfig()
	cfg.MySQLConnectionLifetimeSeconds = 60
	c := NewConnector(cfg)
	key := inst.InstanceKey{Hostname: "127.0.0.1", Port: 1}
	db1, err := c.DB(key)
	require.NoError(t, err)
	db2, err := c.DB(key)
	require.NoError(t, err)
	require.Same(t, db1, db2)
	require.Equal(t, maxOpenConnsPerServer, db1.Stats().MaxOpenConnections)

	c.Forget(key)
	db3, err := c.DB(key)
	require.NoError(t, err)
	require.NotSame(t, db1, db3)

	_, err = c.DB(inst.InstanceKey{Hostname: "//db1", Port: 3306})
	require.ErrorIs(t, err, inst.ErrBadRequest)
	_, err = c.DB(inst.InstanceKey{})
	require.ErrorIs(t, err, inst.ErrBadRequest)

	require.NoError(t, c.Close())
	_, err = c.DB(key)
	require.ErrorContains(t, err, "closed")
}

func TestTopologyTLS(t *testing.T) {
	cfg := testConfig()
	tlsCfg, err := topologyTLS(cfg)
	require.NoError(t, err)
	require.Nil(t, tlsCfg, "plaintext unless asked for")

	cfg.MySQLTopologySSLCAFile = filepath.Join(t.TempDir(), "missing.pem")
	c := NewConnector(cfg)
	_, err = c.DB(inst.InstanceKey{Hostname: "db1", Port: 3306})
	require.ErrorContains(t, err, "MySQLTopologySSLCAFile")

	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	cfg.MySQLTopologySSLCAFile = certFile
	cfg.MySQLTopologyUseMutualTLS = true
	cfg.MySQLTopologySSLCertFile, cfg.MySQLTopologySSLPrivateKeyFile = certFile, keyFile
	cfg.MySQLTopologySSLSkipVerify = true
	tlsCfg, err = topologyTLS(cfg)
	require.NoError(t, err)
	require.NotNil(t, tlsCfg.RootCAs)
	require.Len(t, tlsCfg.Certificates, 1)
	require.True(t, tlsCfg.InsecureSkipVerify)

	c = NewConnector(cfg)
	mc := c.driverConfig(inst.InstanceKey{Hostname: "db1", Port: 3306})
	require.NotNil(t, mc.TLS)
	require.NotSame(t, c.tls, mc.TLS, "each pool gets its own copy")
	require.True(t, mc.AllowFallbackToPlaintext, "MySQLTopologyUseMixedTLS defaults to true")
	require.True(t, strings.Contains(c.DSN(inst.InstanceKey{Hostname: "db1", Port: 3306}), "tls=custom"))
}

func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}
