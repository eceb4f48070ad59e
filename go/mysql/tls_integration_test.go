package mysql

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
	"orchestrator/go/inst"
	"orchestrator/go/testutil/sandbox"
)

// TestTopologyTLSProbe probes a MariaDB server that refuses plaintext
// (require_secure_transport) with certificates made by the test, through
// the MySQLTopologySSL* keys: CA verification, a wrong CA, skip-verify,
// mutual TLS for a user that requires a client certificate, and mixed TLS
// against the sandbox's plaintext master.
func TestTopologyTLSProbe(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	port := startTLSServer(t, dir, pki)
	key := inst.InstanceKey{Hostname: "127.0.0.1", Port: port}
	sb := sandbox.Current()

	cfgWith := func(change func(c *config.Config)) *config.Config {
		c := config.Defaults()
		c.MySQLTopologyUser, c.MySQLTopologyPassword = sb.User, sb.Password
		c.MySQLConnectTimeoutSeconds = 5
		change(c)
		return c
	}
	probe := func(cfg *config.Config, key inst.InstanceKey) (*inst.Instance, string, error) {
		conn := NewConnector(cfg)
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		i, err := NewInspector(conn, cfg).Probe(ctx, key)
		if err != nil {
			return nil, "", err
		}
		db, err := conn.DB(key)
		if err != nil {
			return nil, "", err
		}
		var name, cipher string
		if err := db.QueryRowContext(ctx, `SHOW SESSION STATUS LIKE 'Ssl_cipher'`).Scan(&name, &cipher); err != nil {
			return nil, "", err
		}
		return i, cipher, nil
	}

	t.Run("plaintext refused", func(t *testing.T) {
		_, _, err := probe(cfgWith(func(*config.Config) {}), key)
		// MariaDB 10.11 answers a plaintext login under require_secure_transport
		// with "Access denied"; the same credentials work over TLS below.
		require.ErrorContains(t, err, "Access denied", "the server requires TLS; a plaintext probe must fail")
	})
	t.Run("verified CA", func(t *testing.T) {
		i, cipher, err := probe(cfgWith(func(c *config.Config) {
			c.MySQLTopologySSLCAFile = pki.caFile
			c.MySQLTopologyUseMixedTLS = false
		}), key)
		require.NoError(t, err)
		require.Equal(t, key, i.Key)
		require.NotEmpty(t, i.Version)
		require.NotEmpty(t, cipher, "the session is encrypted")
	})
	t.Run("wrong CA refused", func(t *testing.T) {
		_, _, err := probe(cfgWith(func(c *config.Config) { c.MySQLTopologySSLCAFile = pki.otherCAFile }), key)
		require.Error(t, err)
		require.Contains(t, err.Error(), "certificate")
	})
	t.Run("wrong CA with skip-verify", func(t *testing.T) {
		_, cipher, err := probe(cfgWith(func(c *config.Config) {
			c.MySQLTopologySSLCAFile = pki.otherCAFile
			c.MySQLTopologySSLSkipVerify = true
		}), key)
		require.NoError(t, err)
		require.NotEmpty(t, cipher)
	})
	t.Run("mutual TLS", func(t *testing.T) {
		x509User := func(c *config.Config) { c.MySQLTopologyUser, c.MySQLTopologyPassword = "orc_x509", "x509_pass" }
		_, _, err := probe(cfgWith(func(c *config.Config) {
			x509User(c)
			c.MySQLTopologySSLCAFile = pki.caFile
		}), key)
		require.Error(t, err, "a user with REQUIRE X509 cannot log in without a client certificate")
		_, cipher, err := probe(cfgWith(func(c *config.Config) {
			x509User(c)
			c.MySQLTopologySSLCAFile = pki.caFile
			c.MySQLTopologyUseMutualTLS = true
			c.MySQLTopologySSLCertFile, c.MySQLTopologySSLPrivateKeyFile = pki.clientCertFile, pki.clientKeyFile
		}), key)
		require.NoError(t, err)
		require.NotEmpty(t, cipher)
	})
	t.Run("mixed TLS with a plaintext server", func(t *testing.T) {
		master := inst.InstanceKey{Hostname: sb.Host, Port: sb.MasterPort}
		_, cipher, err := probe(cfgWith(func(c *config.Config) {
			c.MySQLTopologySSLCAFile = pki.caFile
			c.MySQLTopologyUseMixedTLS = true
		}), master)
		require.NoError(t, err, "mixed TLS falls back to plaintext for a server without TLS")
		require.Empty(t, cipher)
		_, _, err = probe(cfgWith(func(c *config.Config) {
			c.MySQLTopologySSLCAFile = pki.caFile
			c.MySQLTopologyUseMixedTLS = false
		}), master)
		require.Error(t, err, "without mixed TLS a server that offers no TLS is refused")
	})
}

type testPKI struct {
	caFile, otherCAFile, serverCertFile, serverKeyFile, clientCertFile, clientKeyFile string
}

// newTestPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate signed by it, and an unrelated CA, as PEM files in dir.
func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	serial := int64(1)
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
		return p
	}
	issue := func(name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.Subject = pkix.Name{CommonName: name, Organization: []string{"orchestrator tests"}}
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
		require.NoError(t, err)
		cert, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		keyDER, err := x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		return cert, k, write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", keyDER)
	}
	caTmpl := func() *x509.Certificate {
		return &x509.Certificate{IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	}
	ca, caKey, caFile, _ := issue("ca", caTmpl(), nil, nil)
	_, _, otherCAFile, _ := issue("other-ca", caTmpl(), nil, nil)
	_, _, serverCert, serverKey := issue("server", &x509.Certificate{
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	_, _, clientCert, clientKey := issue("client", &x509.Certificate{
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey)
	return testPKI{caFile: caFile, otherCAFile: otherCAFile, serverCertFile: serverCert, serverKeyFile: serverKey,
		clientCertFile: clientCert, clientKeyFile: clientKey}
}

// startTLSServer starts a standalone mariadbd on a free loopback port from
// a copy of the sandbox's template data dir (which holds the orchestrator
// user), with TLS required. It is stopped by its PID when the test ends.
func startTLSServer(t *testing.T, dir string, pki testPKI) int {
	t.Helper()
	cache := os.Getenv("SANDBOX_TEMPLATE_CACHE")
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "orchestrator-sandbox-templates")
	}
	templates, err := filepath.Glob(filepath.Join(cache, "template-*", "data"))
	require.NoError(t, err)
	require.NotEmpty(t, templates, "no sandbox template data dir under %s", cache)
	sort.Slice(templates, func(a, b int) bool { return modTime(templates[a]).After(modTime(templates[b])) })
	data := filepath.Join(dir, "data")
	out, err := exec.Command("cp", "-a", templates[0], data).CombinedOutput()
	require.NoError(t, err, "copy template: %s", out)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		bin = "/usr/sbin/mariadbd"
	}
	args := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "mysql.sock"),
		"--pid-file=" + filepath.Join(dir, "mariadb.pid"), "--log-error=" + filepath.Join(dir, "error.log"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin",
		"--server-id=" + strconv.Itoa(port), "--max-connections=50",
		"--innodb-log-file-size=4M", "--innodb-data-file-path=ibdata1:10M:autoextend", "--innodb-buffer-pool-size=16M",
		"--innodb-log-buffer-size=2M", "--innodb-temp-data-file-path=ibtmp1:1M:autoextend", "--innodb-use-native-aio=0",
		"--ssl-ca=" + pki.caFile, "--ssl-cert=" + pki.serverCertFile, "--ssl-key=" + pki.serverKeyFile,
		"--require-secure-transport=ON"}
	if os.Geteuid() == 0 {
		args = append([]string{args[0], "--user=root"}, args[1:]...)
	}
	cmd := exec.Command(bin, args...)
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // by its own PID, never by name
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("mariadbd pid %d did not exit", pid)
		}
	})

	// Ready when the socket answers as root (the template's local admin).
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("TLS mariadbd exited: %v\n%s", err, log)
		default:
		}
		q := exec.Command("mariadb", "--no-defaults", "-uroot", "--socket="+filepath.Join(dir, "mysql.sock"), "-e",
			"CREATE USER IF NOT EXISTS orc_x509@'%' IDENTIFIED BY 'x509_pass' REQUIRE X509; GRANT ALL ON *.* TO orc_x509@'%'")
		if out, err := q.CombinedOutput(); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("TLS mariadbd on port %d not ready: %v: %s", port, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return port
}

func modTime(p string) time.Time {
	st, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}
