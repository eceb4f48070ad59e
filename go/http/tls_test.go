package http

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/config"
)

// testCA is a certificate authority made by the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a leaf certificate: a server one for 127.0.0.1, or a client
// one carrying ou. It returns the certificate and key as PEM.
func (ca *testCA) issue(t *testing.T, server bool, ou string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "leaf", OrganizationalUnit: []string{ou}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// serveTLS starts the server the way the service does (TLSConfig,
// NewHTTPServer, Serve) on a loopback port and returns its address.
func serveTLS(t *testing.T, cfg *config.Config) string {
	t.Helper()
	tc, err := TLSConfig(cfg)
	require.NoError(t, err)
	require.NotNil(t, tc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewHTTPServer(New(cfg, Deps{}), tc, DefaultLimits())
	done := make(chan error, 1)
	go func() { done <- Serve(srv, ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		require.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return ln.Addr().String()
}

func tlsClient(ca *testCA, cert tls.Certificate) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert.Certificate != nil { // always presented, even when the server asks for another CA
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
}

func httpsGet(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func TestHTTPS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, otherCA := newTestCA(t, "orchestrator test CA"), newTestCA(t, "stranger CA")
	srvCert, srvKey := ca.issue(t, true, "")
	cfg := config.Defaults()
	cfg.UseSSL = true
	cfg.SSLCertFile, cfg.SSLPrivateKeyFile = writeFile(t, dir, "server.pem", srvCert), writeFile(t, dir, "server.key", srvKey)
	cfg.SSLCAFile = writeFile(t, dir, "ca.pem", ca.pem)
	client := func(ca *testCA, ou string) *http.Client {
		c, k := ca.issue(t, false, ou)
		pair, err := tls.X509KeyPair(c, k)
		require.NoError(t, err)
		return tlsClient(ca, pair)
	}

	t.Run("https served, plain http refused", func(t *testing.T) {
		addr := serveTLS(t, cfg)
		code, err := httpsGet(tlsClient(ca, tls.Certificate{}), "https://"+addr+"/api/headers")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		code, err = httpsGet(&http.Client{Timeout: 5 * time.Second}, "http://"+addr+"/api/headers")
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, code, "plain HTTP to the HTTPS port")
		_, err = httpsGet(tlsClient(otherCA, tls.Certificate{}), "https://"+addr+"/api/headers")
		require.Error(t, err, "a client that does not trust the server's CA")
	})

	t.Run("mutual TLS with SSLValidOUs", func(t *testing.T) {
		mcfg := *cfg
		mcfg.UseMutualTLS, mcfg.SSLValidOUs = true, []string{"dba", "ops"}
		addr := serveTLS(t, &mcfg)
		url := "https://" + addr + "/api/headers"
		_, err := httpsGet(tlsClient(ca, tls.Certificate{}), url)
		require.Error(t, err, "no client certificate")
		// otherCA's client trusts ca for the server but presents a certificate signed by otherCA
		c, k := otherCA.issue(t, false, "dba")
		pair, err := tls.X509KeyPair(c, k)
		require.NoError(t, err)
		_, err = httpsGet(tlsClient(ca, pair), url)
		require.Error(t, err, "client certificate from an unknown CA")
		code, err := httpsGet(client(ca, "marketing"), url)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, code, "OU not in SSLValidOUs")
		code, err = httpsGet(client(ca, "marketing"), "https://"+addr+"/api/_ping")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "load-balancer checks are exempt without StatusOUVerify")
		code, err = httpsGet(client(ca, "ops"), url)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "valid certificate and OU")
	})

	t.Run("StatusOUVerify", func(t *testing.T) {
		mcfg := *cfg
		mcfg.UseMutualTLS, mcfg.SSLValidOUs, mcfg.StatusOUVerify = true, []string{"dba"}, true
		addr := serveTLS(t, &mcfg)
		code, err := httpsGet(client(ca, "marketing"), "https://"+addr+"/api/health")
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, code)
	})
}

func TestTLSConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTestCA(t, "ca")
	cert, key := ca.issue(t, true, "")
	_, otherKey := ca.issue(t, true, "")
	certFile, keyFile, otherKeyFile := writeFile(t, dir, "c.pem", cert), writeFile(t, dir, "k.pem", key), writeFile(t, dir, "o.pem", otherKey)
	garbage := writeFile(t, dir, "garbage.pem", []byte("not a certificate"))
	cases := []struct {
		name  string
		tweak func(c *config.Config)
		want  string
	}{
		{"mutual without ssl", func(c *config.Config) { c.UseSSL, c.UseMutualTLS = false, true }, "UseMutualTLS needs UseSSL"},
		{"no files", func(c *config.Config) { c.SSLCertFile, c.SSLPrivateKeyFile = "", "" }, "UseSSL needs SSLCertFile and SSLPrivateKeyFile"},
		{"missing cert", func(c *config.Config) { c.SSLCertFile = filepath.Join(dir, "nope.pem") }, "nope.pem: no such file"},
		{"mismatched key", func(c *config.Config) { c.SSLPrivateKeyFile = otherKeyFile }, "private key does not match public key"},
		{"no CA", func(c *config.Config) { c.UseMutualTLS = true }, "UseMutualTLS needs SSLCAFile"},
		{"unreadable CA", func(c *config.Config) { c.UseMutualTLS, c.SSLCAFile = true, filepath.Join(dir, "nope-ca.pem") }, "cannot read SSLCAFile"},
		{"CA not PEM", func(c *config.Config) { c.UseMutualTLS, c.SSLCAFile = true, garbage }, "holds no PEM certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Defaults()
			cfg.UseSSL, cfg.SSLCertFile, cfg.SSLPrivateKeyFile = true, certFile, keyFile
			tc.tweak(cfg)
			_, err := TLSConfig(cfg)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
	cfg := config.Defaults()
	got, err := TLSConfig(cfg)
	require.NoError(t, err)
	require.Nil(t, got, "plain HTTP by default")
}
