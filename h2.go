package tinyhttp

// HTTP/2's connection side: a connection that negotiates h2 by ALPN, or
// that opens with the h2c preface when ServerConfig.H2C is set, is handed to
// net/http's own HTTP/2 server (the standard library's copy of
// golang.org/x/net/http2: framing, HPACK, flow control, and the rapid-reset
// and CONTINUATION-flood mitigations) through a listener of tinyhttp's own.
// Its streams are h2stream.go's.

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// DefaultMaxConcurrentStreams bounds the streams of one HTTP/2 connection
// in flight at once: 250, x/net's and net/http's default.
const DefaultMaxConcurrentStreams = 250

// defaultMaxReadFrameSize is x/net's default largest frame: 1 MiB.
const defaultMaxReadFrameSize = 1 << 20

// h2Preface is the client connection preface of HTTP/2 (RFC 9113 §3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// ErrNotSupportedOnHTTP2 is returned for what HTTP/2 has no place for:
// hijacking a stream's connection.
var ErrNotSupportedOnHTTP2 = errors.New("tinyhttp: not supported on HTTP/2")

// h2Server is a server's HTTP/2 side: net/http's own HTTP/2 server (the
// standard library's copy of x/net/http2, faster than x/net's today),
// configured from the ServerConfig and fed the connections tinyhttp has
// accepted, TLS-handshaken and recognised as HTTP/2 through a listener of
// its own. Its Shutdown sends GOAWAY on every HTTP/2 connection.
type h2Server struct {
	std  *http.Server
	ln   *connListener
	once sync.Once     // starts std's Serve on the first HTTP/2 connection
	done chan struct{} // closed when Serve has returned
}

// h2ConnKey is the context key under which std's handler finds the
// tinyhttp connection a stream belongs to.
type h2ConnKey struct{}

// newH2Server configures HTTP/2 from c.
func newH2Server(c *config) *h2Server {
	h := &h2Server{ln: newConnListener(), done: make(chan struct{})}
	var protocols http.Protocols
	// Every connection handed over speaks HTTP/2 from its first byte: the
	// preface (ALPN settled it on TLS, sawH2Preface on h2c), so std serves
	// each as HTTP/2 with prior knowledge.
	protocols.SetUnencryptedHTTP2(true)
	h.std = &http.Server{
		Protocols:         &protocols,
		ReadHeaderTimeout: c.readHeaderTimeout,
		IdleTimeout:       c.idleTimeout,
		MaxHeaderBytes:    c.headLimits.maxHeader,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: c.maxConcurrentStreams,
			MaxReadFrameSize:     c.maxReadFrameSize,
			// No WriteByteTimeout: std would move the deadline on every
			// write; the connection's deadlineWriter bounds writes instead
			// (serveH2), as on HTTP/1.1.
			// A silent connection is pinged after SendPingTimeout and
			// closed if the ping is not answered in time.
			SendPingTimeout: h2ReadIdleTimeout,
			PingTimeout:     h2PingTimeout,
		},
		ErrorLog: slog.NewLogLogger(c.logger.Handler(), slog.LevelDebug),
		ConnContext: func(_ context.Context, nc net.Conn) context.Context {
			hc := nc.(*h2Conn)
			return context.WithValue(hc.owner.baseContext(), h2ConnKey{}, hc.owner)
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Context().Value(h2ConnKey{}).(*conn).serveH2Stream(w, r)
		}),
	}
	return h
}

// serve hands nc to std's server, starting it on first use; false if the
// server is closing.
func (h *h2Server) serve(nc *h2Conn) bool {
	h.once.Do(func() {
		go func() {
			defer close(h.done)
			h.std.Serve(h.ln)
		}()
	})
	return h.ln.push(nc)
}

// close stops std's server (its connections are closed with tinyhttp's)
// and waits for its Serve to return.
func (h *h2Server) close() {
	h.ln.Close()
	h.once.Do(func() { close(h.done) }) // never started: nothing to wait for
	<-h.done
}

// HTTP/2 liveness: a connection silent for h2ReadIdleTimeout is pinged, and
// closed if the ping is not answered within h2PingTimeout (a dead peer
// behind a NAT otherwise holds its streams until the idle timeout).
const (
	h2ReadIdleTimeout = 30 * time.Second
	h2PingTimeout     = 15 * time.Second
)

// startShutdown sends GOAWAY on every HTTP/2 connection: in-flight streams
// finish, no new ones start. tinyhttp's Shutdown does the waiting.
func (h *h2Server) startShutdown() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // std's Shutdown starts the GOAWAYs, then would wait: not here
	h.std.Shutdown(ctx)
}

// speaksH2 reports whether the connection is HTTP/2: negotiated by ALPN,
// or opening with the preface on a cleartext server with H2C.
func (c *conn) speaksH2() bool {
	if c.srv.h2 == nil {
		return false
	}
	if c.secure {
		return c.negotiatedH2()
	}
	if !c.srv.cfg.h2c {
		return false
	}
	c.setReadTimeout(c.srv.cfg.readHeaderTimeout) // a silent client holds nothing long
	if c.sawH2Preface() {
		return true
	}
	c.clearDeadline() // HTTP/1.1: the read loop sets its own
	return false
}

// negotiatedH2 reports whether the TLS handshake chose h2.
func (c *conn) negotiatedH2() bool {
	tc, ok := c.rwc.(*tls.Conn)
	return ok && tc.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS
}

// sawH2Preface reports whether a fresh cleartext connection opens with the
// h2c preface, reading no more of it than the client sent (a short HTTP/1.1
// request never waits for 24 bytes).
func (c *conn) sawH2Preface() bool {
	for n := 1; ; {
		b, err := c.br.Peek(n)
		if h2Preface[:len(b)] != string(b) {
			return false
		}
		if len(b) == len(h2Preface) {
			return true
		}
		if err != nil {
			return false
		}
		n = min(c.br.Buffered()+1, len(h2Preface))
	}
}

// serveH2 serves the connection as HTTP/2 until it ends. The bytes already
// read into br (the preface, on h2c) are read again by x/net.
func (c *conn) serveH2() {
	c.clearDeadline()
	c.srv.stats.h2Conns.Add(1)
	if c.srv.cfg.connState != nil {
		c.reportState(StateActive)
	}
	// Writes go through the connection's deadlineWriter, which renews the
	// write timeout without a timer update per frame (the HTTP/2 server
	// serialises its writes, so one writer at a time uses it).
	nc := &h2Conn{
		upgradedConn: upgradedConn{Conn: c.rwc, br: c.br, remote: c.remote, out: &c.out},
		owner:        c,
		closed:       make(chan struct{}),
	}
	if !c.srv.h2.serve(nc) {
		return
	}
	<-nc.closed // the HTTP/2 server is done with the connection
}

// h2Conn is a connection handed to the HTTP/2 server: Close tells the
// connection's task that HTTP/2 is done with it.
type h2Conn struct {
	upgradedConn
	owner  *conn
	closed chan struct{}
	once   sync.Once
}

// Close closes the socket and lets serveH2 return.
func (h *h2Conn) Close() error {
	err := h.Conn.Close()
	h.once.Do(func() { close(h.closed) })
	return err
}

// connListener is a net.Listener whose connections are pushed to it.
type connListener struct {
	ch     chan net.Conn
	done   chan struct{}
	closer sync.Once
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to Accept; false once the listener is closed.
func (l *connListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

// Accept returns the next pushed connection.
func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and push fail.
func (l *connListener) Close() error {
	l.closer.Do(func() { close(l.done) })
	return nil
}

// Addr is a placeholder: the connections come from tinyhttp's listener.
func (l *connListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
