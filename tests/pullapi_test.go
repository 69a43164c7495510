package tests

// Tests of the pull API that tiny-http users rely on (API.md, "Server"):
// Recv, TryRecv, RecvTimeout, RecvContext, Incoming, Unblock,
// NumConnections, Addr and Close.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// shortWait is how long a test waits to see that something does NOT happen
// (a receiver stays blocked). A correct server passes however short it is;
// it only needs to be long enough for a wrong one to be caught. It is never
// used to let something happen: the tests wait for a signal instead (a
// receiver parked in the queue, the server having read what was sent).
const shortWait = 100 * time.Millisecond

// TestAPI_AddrPortZero: asking for port 0 binds a free port, which Addr
// reports and which accepts connections.
func TestAPI_AddrPortZero(t *testing.T) {
	s := newServer(t)
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("Addr() is %T, want *net.TCPAddr", s.Addr())
	}
	if addr.Port == 0 || !addr.IP.IsLoopback() {
		t.Errorf("Addr() = %v, want 127.0.0.1 with a real port", addr)
	}
	s.serve(1, helloWorld)
	c := s.dial()
	c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp := c.ReadResponse(false); resp.Status != 200 || string(resp.Body) != "hello world" {
		t.Errorf("response:\n%v\nwant 200 hello world", resp)
	}
}

// TestAPI_Recv: Recv blocks until a request arrives and returns it with its
// method, target, version, headers and body.
func TestAPI_Recv(t *testing.T) {
	s := newServer(t)
	got := make(chan *tinyhttp.Request, 1)
	s.goroutine(func() {
		r, err := s.Recv()
		if err != nil {
			t.Errorf("Recv: %v", err)
		}
		got <- r
	})
	select {
	case r := <-got:
		t.Fatalf("Recv returned %v before any request was sent", r)
	case <-time.After(shortWait):
	}

	c := s.dial()
	c.Send("POST /path?q=1 HTTP/1.1\r\nHost: example.com\r\nX-One: a\r\nx-one: b\r\nContent-Length: 3\r\n\r\nabc")
	var r *tinyhttp.Request
	select {
	case r = <-got:
	case <-time.After(wiretest.Timeout):
		t.Fatalf("Recv did not return within %v of a request", wiretest.Timeout)
	}
	if r == nil {
		t.FailNow()
	}
	if r.Method() != tinyhttp.MethodPost || r.URL() != "/path?q=1" {
		t.Errorf("request %s %s, want POST /path?q=1", r.Method(), r.URL())
	}
	if v := r.HTTPVersion(); v != (tinyhttp.HTTPVersion{Major: 1, Minor: 1}) || v.String() != "1.1" {
		t.Errorf("HTTPVersion() = %v, want 1.1", v)
	}
	if v, ok := r.Header("X-ONE"); !ok || v != "a" {
		t.Errorf("Header(X-ONE) = %q, %v; want a, true", v, ok)
	}
	wantHeaders := []tinyhttp.Header{{Field: "Host", Value: "example.com"}, {Field: "X-One", Value: "a"},
		{Field: "x-one", Value: "b"}, {Field: "Content-Length", Value: "3"}}
	if diff := cmp.Diff(wantHeaders, r.Headers()); diff != "" {
		t.Errorf("Headers() (-want +got):\n%s", diff)
	}
	if ra, ok := r.RemoteAddr().(*net.TCPAddr); !ok || !ra.IP.IsLoopback() {
		t.Errorf("RemoteAddr() = %v, want a loopback TCP address", r.RemoteAddr())
	}
	if r.Secure() {
		t.Errorf("Secure() = true on plain TCP")
	}
	body, err := io.ReadAll(r.Body())
	if err != nil || string(body) != "abc" {
		t.Errorf("body %q, %v; want abc", body, err)
	}
	if err := r.Respond(tinyhttp.FromString("ok")); err != nil {
		t.Errorf("Respond: %v", err)
	}
	if err := r.Respond(tinyhttp.FromString("again")); err == nil {
		t.Errorf("a second Respond returned nil, want an error")
	}
	if resp := c.ReadResponse(false); resp.Status != 200 || string(resp.Body) != "ok" {
		t.Errorf("response:\n%v\nwant 200 ok", resp)
	}
}

// TestAPI_TryRecv: TryRecv never blocks; it returns (nil, nil) when nothing
// is queued and the request once one is.
func TestAPI_TryRecv(t *testing.T) {
	s := newServer(t)
	wiretest.Within(t, wiretest.Timeout, "TryRecv on an empty queue", func() {
		if r, err := s.TryRecv(); r != nil || err != nil {
			t.Errorf("TryRecv() = %v, %v on an empty queue; want nil, nil", r, err)
		}
	})

	c := s.dial()
	c.Send("GET /try HTTP/1.1\r\nHost: localhost\r\n\r\n")
	var r *tinyhttp.Request
	var err error
	wiretest.PollUntil(func() bool {
		r, err = s.TryRecv()
		return r != nil || err != nil
	})
	if err != nil {
		t.Fatalf("TryRecv: %v", err)
	}
	if r == nil {
		t.Fatalf("TryRecv never returned the request within %v", wiretest.Timeout)
	}
	if r.URL() != "/try" {
		t.Errorf("URL() = %q, want /try", r.URL())
	}
	r.Respond(tinyhttp.Empty(204))
	if resp := c.ReadResponse(false); resp.Status != 204 {
		t.Errorf("response:\n%v\nwant 204", resp)
	}
	if r, err := s.TryRecv(); r != nil || err != nil {
		t.Errorf("TryRecv() = %v, %v after the only request; want nil, nil", r, err)
	}
}

// TestAPI_RecvTimeout: RecvTimeout returns (nil, nil) when its time passes
// first, and the request when one arrives in time.
func TestAPI_RecvTimeout(t *testing.T) {
	s := newServer(t)
	t.Run("timeout", func(t *testing.T) {
		wiretest.Within(t, wiretest.Timeout, "RecvTimeout(50ms)", func() {
			if r, err := s.RecvTimeout(50 * time.Millisecond); r != nil || err != nil {
				t.Errorf("RecvTimeout(50ms) = %v, %v on an empty queue; want nil, nil", r, err)
			}
		})
		wiretest.Within(t, wiretest.Timeout, "RecvTimeout(0)", func() {
			if r, err := s.RecvTimeout(0); r != nil || err != nil {
				t.Errorf("RecvTimeout(0) = %v, %v on an empty queue; want nil, nil", r, err)
			}
		})
	})
	t.Run("arrives in time", func(t *testing.T) {
		got := make(chan *tinyhttp.Request, 1)
		s.goroutine(func() {
			r, err := s.RecvTimeout(wiretest.Timeout)
			if err != nil {
				t.Errorf("RecvTimeout: %v", err)
			}
			got <- r
		})
		c := s.dial()
		c.Send("GET /late HTTP/1.1\r\nHost: localhost\r\n\r\n")
		r := <-got
		if r == nil {
			t.Fatalf("RecvTimeout(%v) returned no request", wiretest.Timeout)
		}
		if r.URL() != "/late" {
			t.Errorf("URL() = %q, want /late", r.URL())
		}
		r.Respond(tinyhttp.Empty(204))
		if resp := c.ReadResponse(false); resp.Status != 204 {
			t.Errorf("response:\n%v\nwant 204", resp)
		}
	})
	t.Run("unblocked", func(t *testing.T) {
		// An Unblock is not a timeout: RecvTimeout tells them apart (DESIGN.md).
		s.Unblock()
		wiretest.Within(t, wiretest.Timeout, "RecvTimeout after Unblock", func() {
			if r, err := s.RecvTimeout(wiretest.Timeout); r != nil || !errors.Is(err, tinyhttp.ErrUnblocked) {
				t.Errorf("RecvTimeout after Unblock = %v, %v; want nil, ErrUnblocked", r, err)
			}
		})
	})
}

// TestAPI_RecvContext: RecvContext returns ctx.Err() when the context ends
// first, and the request when one arrives before.
func TestAPI_RecvContext(t *testing.T) {
	s := newServer(t)
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		wiretest.Within(t, wiretest.Timeout, "RecvContext(canceled)", func() {
			if r, err := s.RecvContext(ctx); r != nil || !errors.Is(err, context.Canceled) {
				t.Errorf("RecvContext(canceled) = %v, %v; want nil, context.Canceled", r, err)
			}
		})
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		wiretest.Within(t, wiretest.Timeout, "RecvContext(50ms deadline)", func() {
			if r, err := s.RecvContext(ctx); r != nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("RecvContext(expired) = %v, %v; want nil, context.DeadlineExceeded", r, err)
			}
		})
	})
	t.Run("canceled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		s.goroutine(func() {
			r, err := s.RecvContext(ctx)
			if r != nil {
				t.Errorf("RecvContext returned request %s", r.URL())
			}
			done <- err
		})
		wiretest.WaitParked(t, 1, "tinyhttp.(*Server).RecvContext(") // cancel a waiting receive
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("RecvContext = %v after cancel, want context.Canceled", err)
			}
		case <-time.After(wiretest.Timeout):
			t.Fatalf("RecvContext did not return within %v of its cancellation", wiretest.Timeout)
		}
	})
	t.Run("arrives", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), wiretest.Timeout)
		defer cancel()
		got := make(chan *tinyhttp.Request, 1)
		s.goroutine(func() {
			r, err := s.RecvContext(ctx)
			if err != nil {
				t.Errorf("RecvContext: %v", err)
			}
			got <- r
		})
		c := s.dial()
		c.Send("GET /ctx HTTP/1.1\r\nHost: localhost\r\n\r\n")
		r := <-got
		if r == nil {
			t.Fatalf("RecvContext returned no request")
		}
		if r.URL() != "/ctx" {
			t.Errorf("URL() = %q, want /ctx", r.URL())
		}
		r.Respond(tinyhttp.Empty(204))
		if resp := c.ReadResponse(false); resp.Status != 204 {
			t.Errorf("response:\n%v\nwant 204", resp)
		}
	})
}

// TestAPI_Incoming: ranging over Incoming yields the requests in arrival
// order; breaking out leaves the rest queued for the next receiver; the
// range ends when the server closes.
func TestAPI_Incoming(t *testing.T) {
	s := newServer(t)
	c := s.dial()
	c.Send("GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /2 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")

	var urls []string
	wiretest.Within(t, wiretest.Timeout, "range over Incoming for 2 requests", func() {
		for r := range s.Incoming() {
			urls = append(urls, r.URL())
			r.Respond(tinyhttp.FromString(r.URL()))
			if len(urls) == 2 {
				break
			}
		}
	})
	r := s.recv()
	urls = append(urls, r.URL())
	r.Respond(tinyhttp.FromString(r.URL()))
	if diff := cmp.Diff([]string{"/1", "/2", "/3"}, urls); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	rs, err := wiretest.ParseResponses(c.ReadToEOF())
	if err != nil {
		t.Fatalf("parsing the responses: %v", err)
	}
	if diff := cmp.Diff([]string{"/1", "/2", "/3"}, bodies(rs)); diff != "" {
		t.Errorf("response bodies (-want +got):\n%s", diff)
	}

	ended := make(chan struct{})
	s.goroutine(func() {
		defer close(ended)
		for r := range s.Incoming() {
			t.Errorf("unexpected request %s", r.URL())
		}
	})
	// Close must release a range waiting for a request. (Incoming's iterator
	// is inlined into the test: its frame has no package prefix.)
	wiretest.WaitParked(t, 1, "(*Server).Incoming")
	wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() })
	select {
	case <-ended:
	case <-time.After(wiretest.Timeout):
		t.Fatalf("range over Incoming did not end within %v of Close", wiretest.Timeout)
	}
}

// TestAPI_Unblock: each Unblock releases exactly one receiver with
// ErrUnblocked, in FIFO order behind requests already queued.
func TestAPI_Unblock(t *testing.T) {
	t.Run("before Recv", func(t *testing.T) {
		// An Unblock with nobody waiting releases the next receiver, and
		// only that one.
		s := newServer(t)
		s.Unblock()
		wiretest.Within(t, wiretest.Timeout, "Recv after Unblock", func() {
			if r, err := s.Recv(); r != nil || !errors.Is(err, tinyhttp.ErrUnblocked) {
				t.Errorf("Recv after Unblock = %v, %v; want nil, ErrUnblocked", r, err)
			}
		})
		if r, err := s.RecvTimeout(shortWait); r != nil || err != nil {
			t.Errorf("second RecvTimeout after one Unblock = %v, %v; want nil, nil", r, err)
		}
		s.Unblock()
		if r, err := s.TryRecv(); r != nil || !errors.Is(err, tinyhttp.ErrUnblocked) {
			t.Errorf("TryRecv after Unblock = %v, %v; want nil, ErrUnblocked", r, err)
		}
		if r, err := s.TryRecv(); r != nil || err != nil {
			t.Errorf("second TryRecv after one Unblock = %v, %v; want nil, nil", r, err)
		}
	})
	t.Run("one of two waiting", func(t *testing.T) {
		s := newServer(t)
		type result struct {
			r   *tinyhttp.Request
			err error
		}
		results := make(chan result, 2)
		for range 2 {
			s.goroutine(func() {
				r, err := s.RecvTimeout(wiretest.Timeout)
				results <- result{r, err}
			})
		}
		wiretest.WaitParked(t, 2, "tinyhttp.(*Server).RecvTimeout(") // both are waiting
		s.Unblock()
		select {
		case res := <-results:
			if res.r != nil || !errors.Is(res.err, tinyhttp.ErrUnblocked) {
				t.Errorf("first receiver to return got %v, %v; want nil, ErrUnblocked", res.r, res.err)
			}
		case <-time.After(wiretest.Timeout):
			t.Fatalf("no receiver released within %v of Unblock", wiretest.Timeout)
		}
		select {
		case res := <-results:
			t.Fatalf("one Unblock released two receivers (second got %v, %v)", res.r, res.err)
		case <-time.After(shortWait):
		}
		// The other receiver is still waiting: a request goes to it.
		c := s.dial()
		c.Send("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n")
		select {
		case res := <-results:
			if res.r == nil || res.err != nil || res.r.URL() != "/other" {
				t.Fatalf("second receiver got %v, %v; want the request /other", res.r, res.err)
			}
			res.r.Respond(tinyhttp.Empty(204))
		case <-time.After(wiretest.Timeout):
			t.Fatalf("the second receiver did not get the request within %v", wiretest.Timeout)
		}
		if resp := c.ReadResponse(false); resp.Status != 204 {
			t.Errorf("response:\n%v\nwant 204", resp)
		}
	})
	t.Run("FIFO behind queued requests", func(t *testing.T) {
		s := newWatchedServer(t)
		c := s.dial()
		c.Send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\n\r\n")
		a := s.recv()
		// The server read /b and asks for more: /b is queued.
		if !s.waitConsumed(c) {
			t.FailNow()
		}
		s.Unblock()
		s.Unblock()
		c.Send("GET /c HTTP/1.1\r\nHost: localhost\r\n\r\n") // queued behind both tokens

		b, err := s.RecvTimeout(wiretest.Timeout)
		if err != nil || b == nil || b.URL() != "/b" {
			t.Fatalf("first Recv after Unblock = %v, %v; want the request /b queued before it", b, err)
		}
		for i := range 2 {
			if r, err := s.RecvTimeout(wiretest.Timeout); r != nil || !errors.Is(err, tinyhttp.ErrUnblocked) {
				t.Fatalf("Recv %d after /b = %v, %v; want nil, ErrUnblocked", i+1, r, err)
			}
		}
		cr := s.recv()
		if cr.URL() != "/c" {
			t.Errorf("Recv after the tokens = %s, want /c", cr.URL())
		}
		for _, r := range []*tinyhttp.Request{a, b, cr} {
			r.Respond(tinyhttp.FromString(r.URL()))
		}
		rs := []*wiretest.Response{c.ReadResponse(false), c.ReadResponse(false), c.ReadResponse(false)}
		if diff := cmp.Diff([]string{"/a", "/b", "/c"}, bodies(rs)); diff != "" {
			t.Errorf("response bodies (-want +got):\n%s", diff)
		}
	})
}

// TestAPI_NumConnections: NumConnections counts open client connections as
// they open and close.
func TestAPI_NumConnections(t *testing.T) {
	s := newServer(t)
	s.serve(1, helloWorld)
	if n := s.NumConnections(); n != 0 {
		t.Errorf("NumConnections() = %d before any client, want 0", n)
	}
	var cs []*wiretest.Client
	for i := range 3 {
		c := s.dial()
		c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		c.ReadResponse(false) // the connection is accepted and served
		cs = append(cs, c)
		if !wiretest.PollUntil(func() bool { return s.NumConnections() == i+1 }) {
			t.Fatalf("NumConnections() = %d with %d clients connected", s.NumConnections(), i+1)
		}
	}
	cs[0].Close()
	if !wiretest.PollUntil(func() bool { return s.NumConnections() == 2 }) {
		t.Errorf("NumConnections() = %d after one of 3 clients closed, want 2", s.NumConnections())
	}
	cs[1].Send("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	cs[1].ReadToEOF()
	if !wiretest.PollUntil(func() bool { return s.NumConnections() == 1 }) {
		t.Errorf("NumConnections() = %d after the server closed one of 2, want 1", s.NumConnections())
	}
	wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() })
	if n := s.NumConnections(); n != 0 {
		t.Errorf("NumConnections() = %d after Close, want 0", n)
	}
}

// TestAPI_Close: Close releases every receiver with ErrServerClosed, makes
// every later receive fail the same way, closes live connections (idle,
// or with a request queued or taken but unanswered), and stops accepting.
func TestAPI_Close(t *testing.T) {
	s := newServer(t)
	addr := s.Addr().String()

	idle := s.dial() // connected, sends nothing
	// A keep-alive connection whose request was answered.
	taken := s.dial()
	taken.Send("GET /taken HTTP/1.1\r\nHost: localhost\r\n\r\n")
	s.recv().Respond(tinyhttp.FromString("taken"))
	if resp := taken.ReadResponse(false); string(resp.Body) != "taken" {
		t.Fatalf("response:\n%v\nwant taken", resp)
	}
	// A connection whose request is received but not answered before Close.
	held := s.dial()
	held.Send("GET /held HTTP/1.1\r\nHost: localhost\r\n\r\n")
	heldReq := s.recv()
	if !wiretest.PollUntil(func() bool { return s.NumConnections() == 3 }) {
		t.Fatalf("NumConnections() = %d, want 3", s.NumConnections())
	}

	// Receivers blocked in each kind of receive.
	const waiting = 3
	errs := make(chan error, waiting)
	receivers := []func() (*tinyhttp.Request, error){
		s.Recv,
		func() (*tinyhttp.Request, error) { return s.RecvTimeout(2 * wiretest.Timeout) },
		func() (*tinyhttp.Request, error) { return s.RecvContext(t.Context()) },
	}
	for _, recv := range receivers {
		s.goroutine(func() {
			r, err := recv()
			if r != nil {
				t.Errorf("a receiver got request %s", r.URL())
			}
			errs <- err
		})
	}
	for _, recv := range []string{"Recv(", "RecvTimeout(", "RecvContext("} {
		wiretest.WaitParked(t, 1, "tinyhttp.(*Server)."+recv) // Close must release waiting receivers
	}

	wiretest.Within(t, wiretest.Timeout, "Close", func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	for i := range waiting {
		select {
		case err := <-errs:
			if !errors.Is(err, tinyhttp.ErrServerClosed) {
				t.Errorf("blocked receiver %d got %v, want ErrServerClosed", i+1, err)
			}
		case <-time.After(wiretest.Timeout):
			t.Fatalf("blocked receiver %d not released within %v of Close", i+1, wiretest.Timeout)
		}
	}
	if r, err := s.Recv(); r != nil || !errors.Is(err, tinyhttp.ErrServerClosed) {
		t.Errorf("Recv after Close = %v, %v; want nil, ErrServerClosed", r, err)
	}
	if r, err := s.TryRecv(); r != nil || !errors.Is(err, tinyhttp.ErrServerClosed) {
		t.Errorf("TryRecv after Close = %v, %v; want nil, ErrServerClosed", r, err)
	}
	if r, err := s.RecvTimeout(wiretest.Timeout); r != nil || !errors.Is(err, tinyhttp.ErrServerClosed) {
		t.Errorf("RecvTimeout after Close = %v, %v; want nil, ErrServerClosed", r, err)
	}
	if r, err := s.RecvContext(t.Context()); r != nil || !errors.Is(err, tinyhttp.ErrServerClosed) {
		t.Errorf("RecvContext after Close = %v, %v; want nil, ErrServerClosed", r, err)
	}
	s.Unblock() // harmless after Close
	if r, err := s.TryRecv(); r != nil || !errors.Is(err, tinyhttp.ErrServerClosed) {
		t.Errorf("TryRecv after Close and Unblock = %v, %v; want nil, ErrServerClosed", r, err)
	}

	// Live connections are closed: the idle one, and the ones whose request
	// was answered or is still unanswered.
	idle.ExpectClosed()
	taken.ExpectClosed()
	held.ExpectClosed()
	if err := heldReq.Respond(tinyhttp.FromString("too late")); err == nil {
		t.Errorf("Respond after Close = nil, want an error")
	}
	if n := s.NumConnections(); n != 0 {
		t.Errorf("NumConnections() = %d after Close, want 0", n)
	}

	// The listener is closed: a new connection is refused, or closed
	// without a response.
	if conn, err := net.DialTimeout("tcp", addr, wiretest.Timeout); err == nil {
		conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		b, _ := io.ReadAll(conn)
		conn.Close()
		if len(b) > 0 {
			t.Errorf("a connection after Close got %q", wiretest.Truncate(string(b)))
		}
	}
}

// TestAPI_CloseDropsQueued: requests queued but never received when Close
// is called are dropped with their connections; Recv then reports
// ErrServerClosed rather than handing them out.
func TestAPI_CloseDropsQueued(t *testing.T) {
	s := newWatchedServer(t)
	c := s.dial()
	c.Send("GET /queued HTTP/1.1\r\nHost: localhost\r\n\r\n")
	// The server read the request and asks for more: it is queued.
	if !s.waitConsumed(c) {
		t.FailNow()
	}
	wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() })
	if r, err := s.Recv(); r != nil || !errors.Is(err, tinyhttp.ErrServerClosed) {
		t.Errorf("Recv after Close = %v, %v; want nil, ErrServerClosed", r, err)
	}
	c.ExpectClosed()
}

// TestAPI_ConcurrentReceivers: many goroutines pull and answer requests
// from many connections at once; every client gets its own answers, in
// order. This is the concurrency contract (DESIGN.md), checked under -race.
func TestAPI_ConcurrentReceivers(t *testing.T) {
	const (
		workers  = 8
		clients  = 8
		requests = 10 // per client, pipelined
	)
	s := newServer(t)
	s.serve(workers, func(r *tinyhttp.Request) {
		body, _ := io.ReadAll(r.Body())
		// Answer from yet another goroutine half of the time.
		if len(body)%2 == 0 {
			r.Respond(tinyhttp.FromString(r.URL() + " " + string(body)))
			return
		}
		s.goroutine(func() { r.Respond(tinyhttp.FromString(r.URL() + " " + string(body))) })
	})

	var wg sync.WaitGroup
	for i := range clients {
		c := s.dial()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b strings.Builder
			for j := range requests {
				body := strings.Repeat("x", j)
				conn := ""
				if j == requests-1 {
					conn = "Connection: close\r\n"
				}
				fmt.Fprintf(&b, "POST /%d/%d HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: %d\r\n\r\n%s", i, j, conn, len(body), body)
			}
			c.Conn.SetWriteDeadline(time.Now().Add(wiretest.Timeout))
			if _, err := io.WriteString(c.Conn, b.String()); err != nil {
				t.Errorf("client %d: write: %v", i, err)
				return
			}
			data, err := c.TryReadToEOF()
			if err != nil {
				t.Errorf("client %d: read: %v", i, err)
				return
			}
			rs, err := wiretest.ParseResponses(data)
			if err != nil {
				t.Errorf("client %d: parsing the responses: %v", i, err)
				return
			}
			var want []string
			for j := range requests {
				want = append(want, fmt.Sprintf("/%d/%d %s", i, j, strings.Repeat("x", j)))
			}
			if diff := cmp.Diff(want, bodies(rs)); diff != "" {
				t.Errorf("client %d: response bodies (-want +got):\n%s", i, diff)
			}
		}()
	}
	if !wiretest.Within(t, 2*wiretest.Timeout, "the clients", wg.Wait) {
		t.FailNow()
	}
}

// TestAPI_CloseInterruptsBlockedIO: Close closes connections that are in
// the middle of an exchange, so that an application goroutine blocked
// reading a request body the client never finishes, or writing a response
// to a client that reads nothing, returns with an error.
func TestAPI_CloseInterruptsBlockedIO(t *testing.T) {
	t.Run("body read", func(t *testing.T) {
		s := newWatchedServer(t)
		c := s.dial()
		c.Send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\npartial")
		r := s.recv()
		readErr := make(chan error, 1)
		s.goroutine(func() {
			_, err := io.ReadAll(r.Body())
			readErr <- err
		})
		s.waitConsumed(c) // the body read took "partial" and waits for the rest
		wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() })
		select {
		case err := <-readErr:
			if err == nil {
				t.Errorf("reading an unfinished body returned no error after Close")
			}
		case <-time.After(wiretest.Timeout):
			t.Fatalf("body read still blocked %v after Close", wiretest.Timeout)
		}
		c.ExpectClosed()
	})
	t.Run("response write", func(t *testing.T) {
		s := newServer(t)
		c := s.dial() // never reads
		c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		r := s.recv()
		reader := newBigResponseReader()
		respErr := make(chan error, 1)
		s.goroutine(func() { respErr <- r.Respond(identityServed(reader)) })
		if !wiretest.PollUntil(func() bool { return reader.position.Load() > 0 }) {
			t.Fatalf("the response body was never read")
		}
		wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() })
		select {
		case err := <-respErr:
			if err == nil {
				t.Errorf("Respond of a 400 MiB body returned nil after Close")
			}
		case <-time.After(wiretest.Timeout):
			t.Fatalf("Respond still blocked %v after Close", wiretest.Timeout)
		}
	})
}
