package tinyhttp

// Regression tests for the connection's lifecycle under Shutdown, Close and
// the timeouts: what Shutdown waits for on a connection that is opening
// (PROXY header, TLS handshake) or reading a head, how long a buffered wait
// lasts under a short idle timeout, the answer to a connection over
// MaxConnections, and empty lines after a request.

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// lcLongTimeout is a read or handshake timeout far longer than testTimeout:
// a test that sees its connection closed within testTimeout knows that
// something other than that timeout closed it.
const lcLongTimeout = 30 * time.Second

// awaitRegistered waits until the accept loop has registered n
// connections.
func awaitRegistered(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for s.NumConnections() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections registered after %v, want %d", s.NumConnections(), testTimeout, n)
		}
		time.Sleep(time.Millisecond) // polling a counter, not synchronising
	}
}

// startShutdown runs Shutdown, bounded by testTimeout, on a goroutine of
// its own and returns once it has begun draining every connection; its
// result arrives on the channel.
func startShutdown(t *testing.T, s *Server) <-chan error {
	t.Helper()
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	deadline := time.Now().Add(testTimeout)
	for !allDraining(s) {
		if time.Now().After(deadline) {
			t.Fatal("Shutdown did not begin")
		}
		time.Sleep(time.Millisecond) // polling flags, not synchronising
	}
	return shut
}

// allDraining reports whether Shutdown has begun and drained every
// connection (conn.drain).
func allDraining(s *Server) bool {
	if !s.closed.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.mu.Lock()
		d := c.draining
		c.mu.Unlock()
		if !d {
			return false
		}
	}
	return true
}

// expectShutdownNil waits for Shutdown's result: nil, within testTimeout
// (its own context's bound), means it did not wait for a timeout longer
// than that.
func expectShutdownNil(t *testing.T, shut <-chan error) {
	t.Helper()
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown = %v, want nil: it waited for a connection that should have closed within %v", err, drainFirstWait)
		}
	case <-time.After(2 * testTimeout):
		t.Fatal("Shutdown did not return")
	}
}

// expectNoBytes checks that the server closed c without sending anything
// (a reset counts as a close: an unfinished TLS handshake may end so).
func expectNoBytes(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	b, err := io.ReadAll(c)
	if len(b) > 0 || err != nil && !isReset(err) {
		t.Errorf("read %q, %v; want a close without bytes", b, err)
	}
}

// TestShutdownBoundsOpening: a fresh connection that goes silent in its
// opening, the TLS handshake or the PROXY header, holds Shutdown for about
// drainFirstWait, as a silent plain connection does, not for
// HandshakeTimeout or ReadHeaderTimeout; so does one whose next step
// starts once Shutdown has begun.
func TestShutdownBoundsOpening(t *testing.T) {
	ssl, _ := testSSL(t)
	proxy := &ProxyProtocolConfig{TrustedSources: loopback}
	for _, tc := range []struct {
		name  string
		cfg   ServerConfig
		send  []byte // sent before Shutdown begins
		after []byte // sent once it has begun
	}{
		{name: "TLS, silent", cfg: ServerConfig{SSL: &ssl}},
		{name: "TLS, part of a record", cfg: ServerConfig{SSL: &ssl}, send: []byte{0x16, 0x03, 0x01, 0x00, 0x50}},
		{name: "PROXY, silent", cfg: ServerConfig{ProxyProtocol: proxy}},
		{name: "PROXY, part of a header", cfg: ServerConfig{ProxyProtocol: proxy}, send: []byte("PROXY TCP4 1.2")},
		{name: "TLS after a PROXY header sent during Shutdown", cfg: ServerConfig{SSL: &ssl, ProxyProtocol: proxy},
			after: ppTCP(t, 1, "203.0.113.9:1", "198.51.100.1:443")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.HandshakeTimeout, tc.cfg.ReadHeaderTimeout = lcLongTimeout, lcLongTimeout
			s := startServer(t, tc.cfg)
			c := dial(t, s)
			c.Write(tc.send)
			awaitRegistered(t, s, 1)
			shut := startShutdown(t, s)
			c.Write(tc.after)
			expectShutdownNil(t, shut)
			expectNoBytes(t, c)
		})
	}
}

// TestShutdownAnswersFreshTLSConnection: a TLS connection accepted before
// Shutdown whose handshake and request come once Shutdown has begun is
// served (with Connection: close), like a plain one: the deadline Shutdown
// puts on the handshake does not fail a client that is on time.
func TestShutdownAnswersFreshTLSConnection(t *testing.T) {
	ssl, pool := testSSL(t)
	s := startServer(t, ServerConfig{SSL: &ssl})
	raw := dial(t, s)
	awaitRegistered(t, s, 1)
	shut := startShutdown(t, s)
	tc := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	io.WriteString(tc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	go func() {
		if r, err := s.RecvTimeout(testTimeout); err == nil && r != nil {
			r.Respond(FromString("late"))
		}
	}()
	res, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatalf("no answer to the first request of a TLS connection accepted before Shutdown: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	if string(b) != "late" || !res.Close {
		t.Errorf("got %q, close %v; want \"late\" with Connection: close", b, res.Close)
	}
	expectShutdownNil(t, shut)
}

// awaitBlockedIn waits until a goroutine with frame on its stack is blocked
// on the network (the read loop reading what the client has not sent yet).
func awaitBlockedIn(t *testing.T, frame string) {
	t.Helper()
	blocked := func() bool {
		for _, g := range strings.Split(wiretest.Stacks(), "\n\n") {
			header, body, _ := strings.Cut(g, "\n")
			if strings.Contains(header, "[IO wait") && strings.Contains(body, frame) {
				return true
			}
		}
		return false
	}
	if !wiretest.PollUntil(blocked) {
		t.Fatalf("no goroutine blocked on the network in %s; goroutines:\n%s", frame, wiretest.Stacks())
	}
}

// answerAll answers every request with its target until the server closes.
func answerAll(s *Server) {
	for {
		r, err := s.Recv()
		if err != nil {
			return
		}
		r.Respond(FromString(r.URL()))
	}
}

// TestShutdownBoundsArrivingHead: a head that is arriving as Shutdown
// begins (on a keep-alive connection, or as a fresh connection's first
// request) has drainFirstWait more to complete, not ReadHeaderTimeout:
// completed, it is answered with Connection: close; cut short, it gets 408
// and the connection closes (CONFORMANCE's ReadHeaderTimeout row: part of a
// head arrived).
func TestShutdownBoundsArrivingHead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  bool   // request 1 is answered before the head starts
		rest   string // the rest of the head, sent once Shutdown has begun ("": never)
		status int
	}{
		{name: "keep-alive, cut short", first: true, status: 408},
		{name: "keep-alive, completed", first: true, rest: "\r\n", status: 200},
		{name: "first request, cut short", status: 408},
		{name: "first request, completed", rest: "\r\n", status: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, ServerConfig{ReadHeaderTimeout: lcLongTimeout})
			go answerAll(s)
			c := dial(t, s)
			br := bufio.NewReader(c)
			if tc.first {
				io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
				if got := readResponses(t, br, 1); got[0] != "200 OK /1" {
					t.Fatalf("request 1: %q", got)
				}
			}
			io.WriteString(c, "GET /2 HTTP/1.1\r\nHost: x\r\n") // the head of request 2, unfinished
			awaitBlockedIn(t, "tinyhttp.readHead(")
			shut := startShutdown(t, s)
			io.WriteString(c, tc.rest)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no response to the arriving head: %v", err)
			}
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || !res.Close {
				t.Errorf("got %d %q, close %v; want %d with Connection: close", res.StatusCode, b, res.Close, tc.status)
			}
			if tc.status == 200 && string(b) != "/2" {
				t.Errorf("body %q, want /2", b)
			}
			expectShutdownNil(t, shut)
			expectNoBytes(t, c)
		})
	}
}

// TestIdleTimeoutUnderGraceAfterOutstandingResponse: with an idle timeout
// shorter than the buffer grace, a connection whose response is written
// while the read loop already waits (buffered, the usual order) closes at
// the idle timeout counted from that write, not at the end of the grace.
func TestIdleTimeoutUnderGraceAfterOutstandingResponse(t *testing.T) {
	s := startServer(t, ServerConfig{IdleTimeout: 300 * time.Millisecond, BufferGrace: lcLongTimeout})
	c := dial(t, s)
	io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
	r := recvOne(t, s)
	awaitBlockedIn(t, "tinyhttp.(*conn).waitBuffered(") // the wait began with the response outstanding
	r.Respond(FromString("one"))
	wc := wiretest.NewClient(t, c)
	if got := readResponses(t, wc.R, 1); got[0] != "200 OK one" {
		t.Fatalf("got %q", got)
	}
	wc.ExpectFIN() // at the idle timeout (300ms), long before the grace (lcLongTimeout)
}

// TestRejectedConnectionEndsWithServer: the goroutine and the socket that
// answer a connection over MaxConnections (503, then a lingering close) do
// not outlive Close, nor Shutdown, which lets the answer finish.
func TestRejectedConnectionEndsWithServer(t *testing.T) {
	for _, stop := range []string{"Close", "Shutdown"} {
		t.Run(stop, func(t *testing.T) {
			s := startServer(t, ServerConfig{MaxConnections: 1})
			first := dial(t, s)
			awaitRegistered(t, s, 1)
			over := dial(t, s) // over the limit; it never closes its side
			br := bufio.NewReader(over)
			res, err := http.ReadResponse(br, nil)
			if err != nil || res.StatusCode != 503 {
				t.Fatalf("over the limit: %v, %v; want 503", res, err)
			}
			if _, err := br.ReadByte(); err != io.EOF { // the server half-closed: it lingers now
				t.Fatalf("after the 503: %v, want EOF", err)
			}
			first.Close() // Shutdown has nothing else to wait for
			if stop == "Close" {
				s.Close()
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				if err := s.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			}
			if st := wiretest.Stacks(); strings.Contains(st, "tinyhttp.rejectOverload(") {
				t.Errorf("the answer to the rejected connection outlived %s:\n%s", stop, st)
			}
		})
	}
}

// lcPostCRLF is a request whose body a legacy client follows with a CRLF
// (RFC 9112 §2.2: the server ignores it).
const lcPostCRLF = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\r\n"

// TestCRLFAfterBodyKeepsConnectionIdle: an empty line after a request
// (a legacy CRLF after its body) does not start a head: the connection
// goes on waiting under the idle timeout, which closes it without a word
// (C20), long before the header timeout's 408; a request that follows is
// served. Empty lines that keep coming count as a head's start, once the
// connection has gone back to waiting once, so its header timeout ends
// them.
func TestCRLFAfterBodyKeepsConnectionIdle(t *testing.T) {
	idle := ServerConfig{IdleTimeout: 300 * time.Millisecond, ReadHeaderTimeout: lcLongTimeout}
	t.Run("then silence: closed at the idle timeout", func(t *testing.T) {
		s := startServer(t, idle)
		go answerAll(s)
		c := dial(t, s)
		io.WriteString(c, lcPostCRLF)
		wc := wiretest.NewClient(t, c)
		if got := readResponses(t, wc.R, 1); got[0] != "200 OK /" {
			t.Fatalf("got %q", got)
		}
		wc.ExpectFIN() // at the idle timeout (300ms), long before ReadHeaderTimeout (lcLongTimeout)
	})
	t.Run("then a request: served", func(t *testing.T) {
		s := startServer(t, ServerConfig{ReadHeaderTimeout: lcLongTimeout})
		go answerAll(s)
		c := dial(t, s)
		io.WriteString(c, lcPostCRLF)
		br := bufio.NewReader(c)
		readResponses(t, br, 1)
		io.WriteString(c, "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
		if got := readResponses(t, br, 1); got[0] != "200 OK /2" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("then a trickle of CRLFs: bounded", func(t *testing.T) {
		s := startServer(t, ServerConfig{IdleTimeout: 300 * time.Millisecond, ReadHeaderTimeout: time.Second})
		go answerAll(s)
		c := dial(t, s)
		io.WriteString(c, lcPostCRLF)
		br := bufio.NewReader(c)
		readResponses(t, br, 1)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			// Not synchronisation: the client's pace is the scenario, a
			// CRLF well within every idle timeout.
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := io.WriteString(c, "\r\n"); err != nil {
						return
					}
				}
			}
		}()
		c.SetReadDeadline(time.Now().Add(testTimeout))
		b, err := io.ReadAll(br)
		if err != nil && !isReset(err) {
			t.Fatalf("read %q, %v; want the connection closed (by the header timeout, 1s)", b, err)
		}
		if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 408 ") {
			t.Errorf("got %q, want 408 or nothing", b)
		}
	})
}
