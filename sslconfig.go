package tinyhttp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

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

// handshake runs the TLS handshake, if the server has TLS, bounded by the
// handshake timeout so that a silent client holds up nobody, and by
// Shutdown's first-request deadline once Shutdown drains the connection
// (startOpening).
func (c *conn) handshake() error {
	cfg := c.srv.cfg.tls
	if cfg == nil {
		return nil
	}
	tc := tlsServer(c.rwc, cfg)
	if d := c.srv.cfg.handshakeTimeout; d > 0 {
		tc.SetWriteDeadline(time.Now().Add(d))
	}
	c.startOpening(c.srv.cfg.handshakeTimeout) // the read deadline, which drain may shorten
	err := runHandshake(tc)
	c.endOpening()
	tc.SetDeadline(time.Time{})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.rwc, c.secure = tc, true // breakLocked may close it from Close
	c.mu.Unlock()
	return nil
}

// tlsServer wraps a freshly accepted connection in TLS.
func tlsServer(c net.Conn, cfg *tls.Config) *tls.Conn { return tls.Server(c, cfg) }

// runHandshake runs the TLS handshake within the deadlines the caller set.
// A client that spoke plain HTTP to the TLS port gets a 400 saying so, as
// net/http does, instead of a silent close.
func runHandshake(tc *tls.Conn) error {
	err := tc.Handshake()
	var re tls.RecordHeaderError
	if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader[:]) {
		re.Conn.SetWriteDeadline(time.Now().Add(plainHTTPReplyTimeout))
		io.WriteString(re.Conn, plainHTTPOnTLSResponse)
	}
	return err
}

// plainHTTPReplyTimeout bounds writing the 400 to a plain-HTTP client.
const plainHTTPReplyTimeout = time.Second

// plainHTTPOnTLSResponse answers a plain HTTP request on the TLS port.
const plainHTTPOnTLSResponse = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=UTF-8\r\n" +
	"Connection: close\r\nContent-Length: 48\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"

// looksLikeHTTP reports whether the first bytes of a connection look like
// the method of an HTTP request.
func looksLikeHTTP(hdr []byte) bool {
	for _, m := range []string{"GET ", "HEAD ", "POST ", "PUT ", "OPTIO", "DELET", "PATCH", "CONNE", "TRACE"} {
		if len(hdr) >= 4 && string(hdr[:4]) == m[:4] {
			return true
		}
	}
	return false
}
