package tests

// Helpers of the HTTPS, Unix socket, upgrade (websocket) and CGI tests: a
// small hand-written websocket client that can also break the protocol on
// purpose, certificate generation in every key format the server accepts,
// and servers running the examples' handlers.

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/websocket/wsecho"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// Websocket opcodes (RFC 6455 §5.2), for the test client.
const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

// wsSampleKey and wsSampleAccept are the example of RFC 6455 §1.3.
const (
	wsSampleKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	wsSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// startEchoServer starts a server configured by cfg whose two workers run
// the websocket example's handler (package wsecho, as set up by echo; nil
// for the defaults). Its sessions are waited for when the test ends, after
// the server is closed.
func startEchoServer(t *testing.T, cfg tinyhttp.ServerConfig, echo *wsecho.Echo) *server {
	t.Helper()
	if echo == nil {
		echo = &wsecho.Echo{}
	}
	s := newServerConfig(t, cfg)
	s.goroutine(func() {
		s.Server.Serve(2, echo.Handle)
		echo.Wait()
	})
	return s
}

// wsHandshake returns an opening handshake for path on host (RFC 6455
// §4.1) with the sample key, plus extra header lines ("Name: value").
func wsHandshake(path, host string, extra ...string) string {
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + wsSampleKey +
		"\r\nSec-WebSocket-Version: 13\r\n"
	for _, h := range extra {
		req += h + "\r\n"
	}
	return req + "\r\n"
}

// wsFrame encodes one client frame: FIN set when fin, masked with a fixed
// key when masked (clients must mask; tests clear it to break the rule).
func wsFrame(fin bool, op byte, payload []byte, masked bool) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	var m byte
	if masked {
		m = 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, m|byte(n))
	case n <= 0xFFFF:
		b = append(b, m|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !masked {
		return append(b, payload...)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i&3])
	}
	return b
}

// wsCloseBody is a close frame's payload: code, then reason.
func wsCloseBody(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// wsMessage is one frame received from the server.
type wsMessage struct {
	Fin     bool
	Op      byte
	Payload []byte
}

// String describes the frame for failure messages.
func (m wsMessage) String() string {
	if m.Op == wsClose && len(m.Payload) >= 2 {
		return fmt.Sprintf("close %d %q", binary.BigEndian.Uint16(m.Payload), m.Payload[2:])
	}
	return fmt.Sprintf("op %#x fin=%v %q", m.Op, m.Fin, wiretest.Truncate(string(m.Payload)))
}

// closeCode returns the status code of a close frame, 1005 if it has none.
func (m wsMessage) closeCode() int {
	if len(m.Payload) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(m.Payload))
}

// readWSFrame reads one server frame; servers must not mask (RFC 6455 §5.1).
func readWSFrame(br *bufio.Reader) (wsMessage, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return wsMessage{}, err
	}
	m := wsMessage{Fin: h[0]&0x80 != 0, Op: h[0] & 0x0F}
	if h[0]&0x70 != 0 {
		return m, fmt.Errorf("server frame with reserved bits %#x", h[0])
	}
	if h[1]&0x80 != 0 {
		return m, fmt.Errorf("server frame is masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return m, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return m, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > wiretest.MaxBody {
		return m, fmt.Errorf("frame of %d bytes", n)
	}
	m.Payload = make([]byte, n)
	_, err := io.ReadFull(br, m.Payload)
	return m, err
}

// wsClient is a raw client connection after a websocket handshake.
type wsClient struct {
	*wiretest.Client
	t testing.TB
}

// dialWS connects to network/addr, sends the handshake for path (with the
// extra header lines) and checks the 101 answer.
func dialWS(t *testing.T, network, addr, path string, extra ...string) *wsClient {
	t.Helper()
	c := wiretest.Dial(t, network, addr)
	c.Send(wsHandshake(path, "localhost", extra...))
	resp := c.ReadResponse(false)
	if resp.Status != 101 {
		t.Fatalf("handshake answered %d, want 101:\n%s", resp.Status, resp)
	}
	if got, _ := resp.Get("Sec-WebSocket-Accept"); got != wsSampleAccept {
		t.Fatalf("Sec-WebSocket-Accept = %q, want %q", got, wsSampleAccept)
	}
	return &wsClient{c, t}
}

// send writes one frame.
func (c *wsClient) send(fin bool, op byte, payload []byte, masked bool) {
	c.t.Helper()
	c.Send(string(wsFrame(fin, op, payload, masked)))
}

// recv reads the next frame, failing the test if none arrives within wiretest.Timeout.
func (c *wsClient) recv() wsMessage {
	c.t.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	m, err := readWSFrame(c.R)
	if err != nil {
		c.t.Fatalf("reading a websocket frame: %v", err)
	}
	return m
}

// expectClose reads the server's close frame, checks its code, answers it
// as a client should, and checks that the server then closes the connection.
func (c *wsClient) expectClose(code int) {
	c.t.Helper()
	m := c.recv()
	if m.Op != wsClose {
		c.t.Fatalf("got %v, want a close frame with code %d", m, code)
	}
	if m.closeCode() != code {
		c.t.Errorf("close code = %d (%v), want %d", m.closeCode(), m, code)
	}
	c.Conn.SetWriteDeadline(time.Now().Add(wiretest.Timeout))
	c.Conn.Write(wsFrame(true, wsClose, m.Payload[:min(len(m.Payload), 2)], true)) // may fail: the server may have closed
	c.ExpectClosed()
}

// Certificates.

// keyFormat names a private key type and its PEM encoding.
type keyFormat string

const (
	keyECDSAPKCS8   keyFormat = "ECDSA P-256, PKCS#8"
	keyECDSASEC1    keyFormat = "ECDSA P-256, SEC1"
	keyRSAPKCS1     keyFormat = "RSA 2048, PKCS#1"
	keyRSAPKCS8     keyFormat = "RSA 2048, PKCS#8"
	keyEd25519PKCS8 keyFormat = "Ed25519, PKCS#8"
)

// testCert is a self-signed certificate for 127.0.0.1, ::1 and localhost.
type testCert struct {
	CertPEM, KeyPEM []byte
	Leaf            *x509.Certificate
	Signer          crypto.Signer
}

// pool returns a certificate pool trusting the certificate.
func (c *testCert) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}

// ssl returns the certificate as the library's SSLConfig.
func (c *testCert) ssl() tinyhttp.SSLConfig {
	return tinyhttp.SSLConfig{Certificate: c.CertPEM, PrivateKey: c.KeyPEM}
}

// clientConfig returns a TLS client configuration trusting only c, for a
// client that speaks HTTP/1.1 (the raw clients of these tests).
func (c *testCert) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: c.pool(), ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}}
}

// newTestCert generates a self-signed certificate with a key in format.
func newTestCert(t testing.TB, format keyFormat) *testCert {
	t.Helper()
	var (
		signer crypto.Signer
		err    error
	)
	switch format {
	case keyECDSAPKCS8, keyECDSASEC1:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keyRSAPKCS1, keyRSAPKCS8:
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	case keyEd25519PKCS8:
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key format %q", format)
	}
	if err != nil {
		t.Fatalf("generating a %s key: %v", format, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tinyhttp test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatalf("creating the certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	switch format {
	case keyECDSASEC1:
		b, err := x509.MarshalECPrivateKey(signer.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
	case keyRSAPKCS1:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(signer.(*rsa.PrivateKey))}
	default:
		b, err := x509.MarshalPKCS8PrivateKey(signer)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
	}
	return &testCert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(block),
		Leaf:    leaf,
		Signer:  signer,
	}
}

// dialTLS connects a TLS client trusting cert to addr and completes the
// handshake within wiretest.Timeout. The connection is closed when the test ends.
func dialTLS(t *testing.T, addr string, cert *testCert) *wiretest.Client {
	t.Helper()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: wiretest.Timeout}, Config: cert.clientConfig()}
	conn, err := d.Dial("tcp", addr) // the dialer's timeout covers the handshake
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	return wiretest.NewClient(t, conn) // closed when the test ends
}

// unixSocketPath returns a socket path in a temporary directory of the test,
// short enough for sun_path (108 bytes on Linux).
func unixSocketPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 80 {
		var err error
		dir, err = os.MkdirTemp("", "th")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	return filepath.Join(dir, "s.sock")
}

// isDeadlineErr reports whether err is a deadline expiry.
func isDeadlineErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// waitForNoConnections waits up to wiretest.Timeout for s.NumConnections to fall
// to 0 (a connection leaves the count just after its socket is closed).
func waitForNoConnections(t *testing.T, s *server) {
	t.Helper()
	if !wiretest.PollUntil(func() bool { return s.NumConnections() == 0 }) {
		t.Errorf("NumConnections() = %d, want 0 within %v", s.NumConnections(), wiretest.Timeout)
	}
}
