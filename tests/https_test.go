package tests

// HTTPS: the server's TLS (SSLConfig, ServerConfig.TLSConfig), handshakes
// that run in the connection's own task, pipelining over TLS, and the
// example's self-signed certificate; curl when it is installed.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/cgi/rawcgi"
	"github.com/c0c8f223/tinyhttp/examples/https/selfsigned"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// newHTTPSServer starts an HTTPS server with cert and cfg's other settings.
func newHTTPSServer(t *testing.T, cert *testCert, cfg tinyhttp.ServerConfig) *server {
	t.Helper()
	ssl := cert.ssl()
	cfg.SSL = &ssl
	return newServerConfig(t, cfg)
}

// TestHTTPS_Basic gets a response over TLS: the request is Secure, has a
// remote address, and with DisableHTTP2 the server picked http/1.1 by ALPN
// although the client offered h2 first.
func TestHTTPS_Basic(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{DisableHTTP2: true})
	cfg := cert.clientConfig()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: wiretest.Timeout}, "tcp", s.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := wiretest.NewClient(t, tc)
	if proto := c.Conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; proto != "http/1.1" {
		t.Errorf("ALPN protocol = %q, want http/1.1", proto)
	}
	c.Send("GET /secure?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
	r := s.recv()
	if !r.Secure() {
		t.Error("Secure() = false for a request over TLS")
	}
	if r.URL() != "/secure?x=1" {
		t.Errorf("URL() = %q", r.URL())
	}
	if addr, ok := r.RemoteAddr().(*net.TCPAddr); !ok || !addr.IP.IsLoopback() {
		t.Errorf("RemoteAddr() = %v, want a loopback TCP address", r.RemoteAddr())
	}
	if err := r.Respond(tinyhttp.FromString("over TLS")); err != nil {
		t.Fatalf("Respond: %v", err)
	}
	if resp := c.ReadResponse(false); resp.Status != 200 || string(resp.Body) != "over TLS" {
		t.Errorf("got %d %q", resp.Status, resp.Body)
	}
	// Keep-alive works over TLS too.
	c.Send("GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n")
	s.recv().Respond(tinyhttp.FromString("again"))
	if resp := c.ReadResponse(false); string(resp.Body) != "again" {
		t.Errorf("second response %q", resp.Body)
	}
}

// TestHTTPS_PlainServerNotSecure checks Secure on a plain HTTP server.
func TestHTTPS_PlainServerNotSecure(t *testing.T) {
	s := newServer(t)
	c := s.dial()
	c.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	r := s.recv()
	if r.Secure() {
		t.Error("Secure() = true for a plain HTTP request")
	}
	r.Respond(tinyhttp.Empty(204))
	c.ReadResponse(false)
}

// TestHTTPS_HTTPSConstructor uses tinyhttp.HTTPS itself.
func TestHTTPS_HTTPSConstructor(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	baseline := wiretest.Goroutines()
	srv, err := tinyhttp.HTTPS("127.0.0.1:0", cert.ssl())
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	s := adoptServer(t, srv, baseline)
	s.serve(1, func(r *tinyhttp.Request) {
		r.Respond(tinyhttp.FromString(fmt.Sprint("secure=", r.Secure())))
	})
	c := dialTLS(t, s.Addr().String(), cert)
	c.Send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp := c.ReadResponse(false); string(resp.Body) != "secure=true" {
		t.Errorf("body %q, want secure=true", resp.Body)
	}
	c.ExpectClosed()
}

// TestHTTPS_KeyFormats serves with keys in every format SSLConfig accepts:
// PKCS#8 (ECDSA, RSA, Ed25519), PKCS#1 (RSA) and SEC1 (EC).
func TestHTTPS_KeyFormats(t *testing.T) {
	for _, format := range []keyFormat{keyECDSAPKCS8, keyECDSASEC1, keyRSAPKCS1, keyRSAPKCS8, keyEd25519PKCS8} {
		t.Run(string(format), func(t *testing.T) {
			cert := newTestCert(t, format)
			if _, err := cert.ssl().TLSConfig(); err != nil {
				t.Fatalf("SSLConfig.TLSConfig: %v", err)
			}
			s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
			s.serve(1, func(r *tinyhttp.Request) { r.Respond(tinyhttp.FromString("ok")) })
			c := dialTLS(t, s.Addr().String(), cert)
			c.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			if resp := c.ReadResponse(false); resp.Status != 200 || string(resp.Body) != "ok" {
				t.Errorf("got %d %q", resp.Status, resp.Body)
			}
		})
	}
}

// TestHTTPS_Pipelined sends several requests in one TLS write; the
// application answers them in reverse order; the responses come back in
// request order.
func TestHTTPS_Pipelined(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	c := dialTLS(t, s.Addr().String(), cert)
	const n = 6
	var batch strings.Builder
	for i := range n {
		fmt.Fprintf(&batch, "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i)
	}
	c.Send(batch.String())
	reqs := make([]*tinyhttp.Request, n)
	for i := range reqs {
		reqs[i] = s.recv()
		if want := fmt.Sprintf("/%d", i); reqs[i].URL() != want {
			t.Fatalf("request %d: URL %q, want %q", i, reqs[i].URL(), want)
		}
	}
	for i := n - 1; i >= 0; i-- {
		if err := reqs[i].Respond(tinyhttp.FromString(fmt.Sprintf("response %d", i))); err != nil {
			t.Fatalf("Respond %d: %v", i, err)
		}
	}
	for i := range n {
		resp := c.ReadResponse(false)
		if want := fmt.Sprintf("response %d", i); string(resp.Body) != want {
			t.Errorf("response %d: %q, want %q", i, resp.Body, want)
		}
	}
}

// TestHTTPS_LargeBodies sends a large request body and a large file
// response through TLS.
func TestHTTPS_LargeBodies(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s.serve(1, func(r *tinyhttp.Request) {
		body, err := io.ReadAll(r.Body())
		if err != nil || !bytes.Equal(body, data) {
			r.Respond(tinyhttp.FromString(fmt.Sprintf("bad body: %d bytes, %v", len(body), err)).WithStatusCode(400))
			return
		}
		f, err := os.Open(path)
		if err != nil {
			r.Respond(tinyhttp.Empty(500))
			return
		}
		r.Respond(tinyhttp.FromFile(f))
	})
	c := dialTLS(t, s.Addr().String(), cert)
	c.Send(fmt.Sprintf("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(data), data))
	resp := c.ReadResponse(false)
	if resp.Status != 200 || !bytes.Equal(resp.Body, data) {
		t.Errorf("got %d with %d bytes, want 200 with the %d bytes sent\n%s", resp.Status, len(resp.Body), len(data), resp)
	}
}

// handshakeBound is how soon a TLS client must be served while silent
// connections hold handshakes open: "at once", generously measured.
const handshakeBound = 3 * time.Second

// TestHTTPS_SilentClientDoesNotBlockOthers opens TCP connections that send
// nothing, then a TLS client: its handshake and request are served at once
// while the silent ones are still open (handshakes run in the connection's
// task, not in the accept loop).
func TestHTTPS_SilentClientDoesNotBlockOthers(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	s.serve(1, func(r *tinyhttp.Request) { r.Respond(tinyhttp.FromString("served")) })
	var silent []*wiretest.Client
	for range 3 {
		silent = append(silent, s.dial())
	}
	start := time.Now()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: handshakeBound}, Config: cert.clientConfig()}
	ctx, cancel := context.WithTimeout(context.Background(), handshakeBound)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", s.Addr().String())
	if err != nil {
		t.Fatalf("TLS handshake with silent connections open: %v (after %v)", err, time.Since(start))
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(handshakeBound))
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	b, err := io.ReadAll(conn)
	if err != nil || !strings.HasSuffix(string(b), "served") {
		t.Errorf("response %q, %v (after %v)", wiretest.Truncate(string(b)), err, time.Since(start))
	}
	// The silent connections are still open: nothing was read from them.
	for i, c := range silent {
		c.Conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.R.ReadByte(); !isDeadlineErr(err) {
			t.Errorf("silent connection %d: %v, want it still open", i, err)
		}
	}
}

// TestHTTPS_HandshakeTimeout checks that a client that never finishes its
// handshake is dropped after HandshakeTimeout.
func TestHTTPS_HandshakeTimeout(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{HandshakeTimeout: 200 * time.Millisecond})
	c := s.dial()
	c.Send("\x16\x03\x01") // the start of a record header, then nothing
	start := time.Now()
	c.ExpectClosed()
	if d := time.Since(start); d > handshakeBound {
		t.Errorf("silent handshake dropped after %v, want about 200ms", d)
	}
	waitForNoConnections(t, s)
}

// TestHTTPS_CloseDuringHandshakes closes the server while connections sit
// in their handshake: Close returns at once (it does not wait for the
// handshake timeout) and no goroutine is left behind.
func TestHTTPS_CloseDuringHandshakes(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{HandshakeTimeout: time.Minute})
	var silent []*wiretest.Client
	for range 4 {
		silent = append(silent, s.dial())
	}
	half := s.dial()
	half.Send("\x16\x03\x01\x00") // part of a ClientHello record header
	wiretest.PollUntil(func() bool { return s.NumConnections() >= 5 })
	start := time.Now()
	if !wiretest.Within(t, handshakeBound, "Close with handshakes in progress", func() { s.Close() }) {
		return
	}
	t.Logf("Close took %v", time.Since(start))
	for _, c := range append(silent, half) {
		c.ExpectClosed()
	}
}

// TestHTTPS_PlainHTTPOnTLSPort sends a plain HTTP request to the TLS port:
// it is answered with 400 or the connection is closed; never a hang, and the
// application never sees a request.
func TestHTTPS_PlainHTTPOnTLSPort(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	c := s.dial()
	c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	b, err := c.TryReadToEOF()
	if err != nil && !wiretest.IsReset(err) {
		t.Fatalf("plain HTTP on the TLS port: %v after %q (want 400 or a close)", err, wiretest.Truncate(b))
	}
	if strings.HasPrefix(b, "HTTP/") && !strings.HasPrefix(b, "HTTP/1.1 400 ") && !strings.HasPrefix(b, "HTTP/1.0 400 ") {
		t.Errorf("plain HTTP on the TLS port answered %q, want 400 or a close", wiretest.Truncate(b))
	}
	if r, _ := s.TryRecv(); r != nil {
		t.Errorf("the application received %s %s from a plain HTTP client on the TLS port", r.Method(), r.URL())
	}
}

// TestHTTPS_OldTLSRefused checks that TLS 1.0 and 1.1 clients are refused
// (the server requires TLS 1.2 or later).
func TestHTTPS_OldTLSRefused(t *testing.T) {
	cert := newTestCert(t, keyRSAPKCS1)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := cert.clientConfig()
		cfg.MinVersion, cfg.MaxVersion = v, v
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: wiretest.Timeout}, Config: cfg}
		conn, err := d.Dial("tcp", s.Addr().String())
		if err == nil {
			conn.Close()
			t.Errorf("a %s client completed a handshake", tls.VersionName(v))
		}
	}
	cfg := cert.clientConfig()
	cfg.MaxVersion = tls.VersionTLS12
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: wiretest.Timeout}, Config: cfg}
	conn, err := d.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatalf("TLS 1.2 client: %v", err)
	}
	conn.Close()
}

// TestHTTPS_InvalidCertificate gives SSLConfig broken certificates and keys:
// every way of starting a server fails with ErrInvalidCertificate, and none
// panics.
func TestHTTPS_InvalidCertificate(t *testing.T) {
	good := newTestCert(t, keyECDSAPKCS8)
	other := newTestCert(t, keyECDSAPKCS8)
	rsaCert := newTestCert(t, keyRSAPKCS1)
	corrupt := func(p []byte) []byte {
		block, _ := pem.Decode(p)
		der := append([]byte(nil), block.Bytes...)
		der = der[:len(der)/2]
		return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
	}
	retype := func(p []byte, typ string) []byte {
		block, _ := pem.Decode(p)
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: block.Bytes})
	}
	pub, err := x509.MarshalPKIXPublicKey(good.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	tests := []struct {
		name      string
		cert, key []byte
	}{
		{"both empty", nil, nil},
		{"empty key", good.CertPEM, nil},
		{"empty certificate", nil, good.KeyPEM},
		{"not PEM", []byte("hello"), []byte("world")},
		{"swapped", good.KeyPEM, good.CertPEM},
		{"key of another certificate", good.CertPEM, other.KeyPEM},
		{"RSA key for an ECDSA certificate", good.CertPEM, rsaCert.KeyPEM},
		{"truncated certificate DER", corrupt(good.CertPEM), good.KeyPEM},
		{"truncated key DER", good.CertPEM, corrupt(good.KeyPEM)},
		{"certificate labelled as a key", good.CertPEM, retype(good.CertPEM, "PRIVATE KEY")},
		{"key labelled as a certificate", retype(good.KeyPEM, "CERTIFICATE"), good.KeyPEM},
		{"public key instead of the private one", good.CertPEM, publicPEM},
		{"garbage labelled as a key", good.CertPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("garbage")})},
		{"PEM without its end line", good.CertPEM[:len(good.CertPEM)-30], good.KeyPEM},
		{"only whitespace", []byte("  \n\n"), []byte("\t\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ssl := tinyhttp.SSLConfig{Certificate: tt.cert, PrivateKey: tt.key}
			check := func(what string, f func() error) {
				t.Helper()
				defer func() {
					if v := recover(); v != nil {
						t.Errorf("%s panicked: %v", what, v)
					}
				}()
				err := f()
				if !errors.Is(err, tinyhttp.ErrInvalidCertificate) {
					t.Errorf("%s: %v, want ErrInvalidCertificate", what, err)
				}
			}
			check("SSLConfig.TLSConfig", func() error {
				cfg, err := ssl.TLSConfig()
				if err == nil && cfg == nil {
					return errors.New("nil config and nil error")
				}
				return err
			})
			check("HTTPS", func() error {
				s, err := tinyhttp.HTTPS("127.0.0.1:0", ssl)
				if s != nil {
					s.Close()
				}
				return err
			})
			check("NewServer", func() error {
				s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: "127.0.0.1:0", SSL: &ssl})
				if s != nil {
					s.Close()
				}
				return err
			})
			check("FromListener", func() error {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer ln.Close()
				s, err := tinyhttp.FromListener(ln, &ssl)
				if s != nil {
					s.Close()
				}
				return err
			})
		})
	}
}

// TestHTTPS_CertificateChain serves a leaf signed by a CA with the chain in
// SSLConfig.Certificate (leaf first); a client trusting only the CA verifies it.
func TestHTTPS_CertificateChain(t *testing.T) {
	ca := newTestCert(t, keyECDSAPKCS8)
	// Re-issue the CA as a CA: newTestCert makes leaves.
	caTmpl := *ca.Leaf
	caTmpl.IsCA = true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, &caTmpl, &caTmpl, ca.Signer.Public(), ca.Signer)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := newTestCert(t, keyECDSASEC1)
	leafTmpl := *leaf.Leaf
	leafDER, err := x509.CreateCertificate(rand.Reader, &leafTmpl, caCert, leaf.Signer.Public(), ca.Signer)
	if err != nil {
		t.Fatal(err)
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	ssl := tinyhttp.SSLConfig{Certificate: chain, PrivateKey: leaf.KeyPEM}
	s := newServerConfig(t, tinyhttp.ServerConfig{SSL: &ssl})
	s.serve(1, func(r *tinyhttp.Request) { r.Respond(tinyhttp.FromString("chained")) })
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	conn, err := (&tls.Dialer{NetDialer: &net.Dialer{Timeout: wiretest.Timeout},
		Config: &tls.Config{RootCAs: roots, ServerName: "localhost"}}).Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatalf("TLS dial verifying the chain: %v", err)
	}
	defer conn.Close()
	if n := len(conn.(*tls.Conn).ConnectionState().PeerCertificates); n != 2 {
		t.Errorf("server sent %d certificates, want the leaf and the CA", n)
	}
}

// TestHTTPS_GetCertificate serves with ServerConfig.TLSConfig and a
// GetCertificate callback, and checks that the application's configuration
// is not modified.
func TestHTTPS_GetCertificate(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	pair, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	var sawName atomic.Value
	appCfg := &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		calls.Add(1)
		sawName.Store(hello.ServerName)
		return &pair, nil
	}}
	s := newServerConfig(t, tinyhttp.ServerConfig{TLSConfig: appCfg})
	s.serve(1, func(r *tinyhttp.Request) { r.Respond(tinyhttp.FromString(fmt.Sprint("secure=", r.Secure()))) })
	cfg := cert.clientConfig()
	cfg.ServerName = "localhost"
	conn, err := (&tls.Dialer{NetDialer: &net.Dialer{Timeout: wiretest.Timeout}, Config: cfg}).Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wiretest.Timeout))
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	b, err := io.ReadAll(conn)
	if err != nil || !strings.HasSuffix(string(b), "secure=true") {
		t.Errorf("response %q, %v", wiretest.Truncate(string(b)), err)
	}
	if calls.Load() == 0 {
		t.Error("GetCertificate was not called")
	}
	if name, _ := sawName.Load().(string); name != "localhost" {
		t.Errorf("GetCertificate saw ServerName %q, want localhost", name)
	}
	if appCfg.NextProtos != nil || appCfg.MinVersion != 0 {
		t.Errorf("the application's tls.Config was modified: NextProtos %v, MinVersion %#x", appCfg.NextProtos, appCfg.MinVersion)
	}
}

// TestHTTPS_SelfSignedExampleCert serves with the certificate the https
// example generates (package selfsigned) and verifies it by IP and by name.
func TestHTTPS_SelfSignedExampleCert(t *testing.T) {
	certPEM, keyPEM, err := selfsigned.Generate(selfsigned.DefaultHosts, time.Hour)
	if err != nil {
		t.Fatalf("selfsigned.Generate: %v", err)
	}
	ssl := tinyhttp.SSLConfig{Certificate: certPEM, PrivateKey: keyPEM}
	s := newServerConfig(t, tinyhttp.ServerConfig{SSL: &ssl})
	s.serve(1, func(r *tinyhttp.Request) { r.Respond(tinyhttp.FromString("self-signed")) })
	block, _ := pem.Decode(certPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	for _, name := range []string{"127.0.0.1", "localhost"} {
		conn, err := (&tls.Dialer{NetDialer: &net.Dialer{Timeout: wiretest.Timeout},
			Config: &tls.Config{RootCAs: roots, ServerName: name}}).Dial("tcp", s.Addr().String())
		if err != nil {
			t.Errorf("verifying the example's certificate as %s: %v", name, err)
			continue
		}
		conn.SetDeadline(time.Now().Add(wiretest.Timeout))
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+name+"\r\nConnection: close\r\n\r\n")
		b, err := io.ReadAll(conn)
		conn.Close()
		if err != nil || !strings.HasSuffix(string(b), "self-signed") {
			t.Errorf("as %s: response %q, %v", name, wiretest.Truncate(string(b)), err)
		}
	}
}

// TestHTTPS_WebSocketOverTLS runs the websocket example over TLS (wss://).
func TestHTTPS_WebSocketOverTLS(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	ssl := cert.ssl()
	s := startEchoServer(t, tinyhttp.ServerConfig{SSL: &ssl}, nil)
	addr := s.Addr().String()
	cfg, err := websocket.NewConfig("wss://"+addr+"/ws", "https://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TlsConfig = cert.clientConfig()
	ctx, cancel := context.WithTimeout(context.Background(), wiretest.Timeout)
	defer cancel()
	ws, err := cfg.DialContext(ctx)
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	defer ws.Close()
	ws.SetDeadline(time.Now().Add(wiretest.Timeout))
	if err := websocket.Message.Send(ws, "secure echo"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := websocket.Message.Receive(ws, &got); err != nil || got != "secure echo" {
		t.Errorf("echo %q, %v", got, err)
	}
}

// TestHTTPS_IntoWriter runs the CGI example over TLS: the raw writer goes
// through the TLS connection, and the script sees HTTPS=on.
func TestHTTPS_IntoWriter(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	h := rawcgi.Shell(`printf 'Content-Type: text/plain\n\n'; printf 'https=%s\n' "$HTTPS"`)
	s.serve(1, h.ServeRequest)
	c := dialTLS(t, s.Addr().String(), cert)
	c.Send("GET /cgi HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp := readCGIResponse(t, c)
	if resp.Status != 200 || string(resp.Body) != "https=on\n" {
		t.Errorf("got %d %q, want 200 https=on", resp.Status, resp.Body)
	}
}

// curlTimeout bounds one curl run.
const curlTimeout = 10 * time.Second

// TestHTTPS_Curl fetches over TLS with curl -k, when curl is installed.
func TestHTTPS_Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	s.serve(1, func(r *tinyhttp.Request) {
		r.Respond(tinyhttp.FromString(fmt.Sprintf("%s %s secure=%v", r.Method(), r.URL(), r.Secure())))
	})
	ctx, cancel := context.WithTimeout(context.Background(), curlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sS", "-k", "--max-time", "5", "--http1.1",
		"-w", "\n%{http_code} %{http_version}", "https://"+s.Addr().String()+"/curl?x=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if want := "GET /curl?x=1 secure=true\n200 1.1"; string(out) != want {
		t.Errorf("curl printed %q, want %q", out, want)
	}
}

// TestHTTPS_HandleSeesTLS: Request.TLS and the *http.Request that Handle
// builds carry the connection's TLS state; plain requests have none.
func TestHTTPS_HandleSeesTLS(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	c := dialTLS(t, s.Addr().String(), cert)
	c.Send("GET /tls HTTP/1.1\r\nHost: localhost\r\n\r\n")
	r := s.recv()
	if st := r.TLS(); st == nil || !st.HandshakeComplete || st.NegotiatedProtocol != "http/1.1" {
		t.Fatalf("Request.TLS() = %+v, want a complete handshake with http/1.1", st)
	}
	err := r.Handle(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		if hr.TLS == nil || hr.TLS.Version < tls.VersionTLS12 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "tls "+tls.VersionName(hr.TLS.Version))
	}))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp := c.ReadResponse(false); resp.Status != 200 || !strings.HasPrefix(string(resp.Body), "tls TLS 1.") {
		t.Fatalf("got %d %q", resp.Status, resp.Body)
	}

	plain := newServer(t)
	pc := plain.dial()
	pc.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	pr := plain.recv()
	if pr.TLS() != nil {
		t.Errorf("TLS() on a plain connection: %+v", pr.TLS())
	}
	pr.Respond(tinyhttp.Empty(204))
	pc.ReadResponse(false)
}
