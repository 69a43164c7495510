package tinyhttp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// ErrInvalidCertificate is returned (wrapped) when an SSLConfig's
// certificate or private key cannot be used.
var ErrInvalidCertificate = errors.New("tinyhttp: invalid TLS certificate or key")

// SSLConfig holds the PEM-encoded certificate chain and private key of an
// HTTPS server, like tiny-http's SslConfig.
type SSLConfig struct {
	Certificate []byte // PEM, leaf first, then the chain
	PrivateKey  []byte // PEM: PKCS#8, PKCS#1 or SEC1
}

// TLSConfig checks the certificate and key and builds the server's TLS
// configuration: TLS 1.2 at least, ALPN "http/1.1" only (this is an HTTP/1.1
// server, so clients must not pick h2).
func (c SSLConfig) TLSConfig() (*tls.Config, error) {
	if err := checkPEM(c.Certificate, "CERTIFICATE"); err != nil {
		return nil, fmt.Errorf("%w: certificate: %w", ErrInvalidCertificate, err)
	}
	if err := checkPEM(c.PrivateKey, ""); err != nil {
		return nil, fmt.Errorf("%w: private key: %w", ErrInvalidCertificate, err)
	}
	cert, err := tls.X509KeyPair(c.Certificate, c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("%w: leaf: %w", ErrInvalidCertificate, err)
	}
	cert.Leaf = leaf
	return secureDefaults(&tls.Config{Certificates: []tls.Certificate{cert}}), nil
}

// checkPEM reports a clear error when b holds no PEM block of the wanted
// type ("" for any).
func checkPEM(b []byte, want string) error {
	block, _ := pem.Decode(b)
	if block == nil {
		return errors.New("no PEM data")
	}
	if want != "" && block.Type != want {
		return fmt.Errorf("PEM block is %q, want %q", block.Type, want)
	}
	return nil
}

// secureDefaults applies the server's TLS policy to cfg (a clone when it is
// the application's own): TLS 1.2 at least, and ALPN "http/1.1".
func secureDefaults(cfg *tls.Config) *tls.Config {
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}

// tlsServer wraps a freshly accepted connection in TLS.
func tlsServer(c net.Conn, cfg *tls.Config) *tls.Conn { return tls.Server(c, cfg) }

// handshakeWithTimeout runs the TLS handshake within d (no limit if d <= 0).
func handshakeWithTimeout(tc *tls.Conn, d time.Duration) error {
	if d > 0 {
		tc.SetDeadline(time.Now().Add(d))
		defer tc.SetDeadline(time.Time{})
	}
	return tc.Handshake()
}
