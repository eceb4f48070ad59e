package http

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"orchestrator/go/config"
)

// TLSConfig builds the HTTPS settings of the service from UseSSL,
// SSLCertFile, SSLPrivateKeyFile and, for mutual TLS, SSLCAFile and
// SSLSkipVerify. It returns nil when UseSSL is off. Errors name the key
// and the file, so that start-up fails with one clear line.
func TLSConfig(cfg *config.Config) (*tls.Config, error) {
	if !cfg.UseSSL {
		if cfg.UseMutualTLS {
			return nil, errors.New("UseMutualTLS needs UseSSL")
		}
		return nil, nil
	}
	if cfg.SSLCertFile == "" || cfg.SSLPrivateKeyFile == "" {
		return nil, errors.New("UseSSL needs SSLCertFile and SSLPrivateKeyFile")
	}
	cert, err := tls.LoadX509KeyPair(cfg.SSLCertFile, cfg.SSLPrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("UseSSL: cannot use SSLCertFile %s with SSLPrivateKeyFile %s: %w", cfg.SSLCertFile, cfg.SSLPrivateKeyFile, err)
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if !cfg.UseMutualTLS {
		return t, nil
	}
	if cfg.SSLSkipVerify {
		t.ClientAuth = tls.RequireAnyClientCert
		return t, nil
	}
	pool, err := caPool(cfg.SSLCAFile)
	if err != nil {
		return nil, err
	}
	t.ClientAuth, t.ClientCAs = tls.RequireAndVerifyClientCert, pool
	return t, nil
}

func caPool(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, errors.New("UseMutualTLS needs SSLCAFile (or SSLSkipVerify)")
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("UseMutualTLS: cannot read SSLCAFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("UseMutualTLS: SSLCAFile %s holds no PEM certificate", path)
	}
	return pool, nil
}

// NewHTTPServer is the net/http server of the service: the limits (see
// Limits), and the HTTPS settings from TLSConfig (nil: plain HTTP).
func NewHTTPServer(h http.Handler, t *tls.Config, l Limits) *http.Server {
	return &http.Server{Handler: h, TLSConfig: t, ReadHeaderTimeout: l.ReadHeader, ReadTimeout: l.Read, WriteTimeout: l.Write,
		IdleTimeout: l.Idle, MaxHeaderBytes: l.MaxHeaderBytes}
}

// Serve serves on ln, over TLS when srv has a TLS configuration. A
// plain-HTTP request to an HTTPS port gets a 400 from net/http.
func Serve(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

// checkOU applies SSLValidOUs with mutual TLS: the client certificate must
// carry one of the listed organisational units. An empty list accepts any
// verified certificate. Load-balancer checks are exempt unless
// StatusOUVerify is set, since balancers seldom hold such a certificate.
func (s *Server) checkOU(r *http.Request) error {
	if !s.conf().UseMutualTLS || len(s.conf().SSLValidOUs) == 0 || r.TLS == nil {
		return nil
	}
	if !s.conf().StatusOUVerify && s.statusPath(r.URL.Path) {
		return nil
	}
	if len(r.TLS.PeerCertificates) == 0 {
		return errors.New("a client certificate is required")
	}
	ous := r.TLS.PeerCertificates[0].Subject.OrganizationalUnit
	if slices.ContainsFunc(ous, func(ou string) bool { return slices.Contains(s.conf().SSLValidOUs, ou) }) {
		return nil
	}
	return fmt.Errorf("client certificate OU %q is not in SSLValidOUs", strings.Join(ous, ","))
}

// statusPath: the unauthenticated health and load-balancer checks.
func (s *Server) statusPath(path string) bool {
	p := strings.TrimPrefix(path, s.conf().URLPrefix)
	switch p {
	case "/api/health", "/api/status", "/api/lb-check", "/api/_ping":
		return true
	}
	return (s.conf().StatusEndpoint != "" && p == s.conf().StatusEndpoint) ||
		strings.HasPrefix(p, "/api/leader-check") || strings.HasPrefix(p, "/api/routed-leader-check") || strings.HasPrefix(p, "/health/")
}
