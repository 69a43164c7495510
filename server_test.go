package tinyhttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// testTimeout bounds every wait in these tests: a hang fails instead of
// stalling CI.
const testTimeout = 10 * time.Second

// startServer starts a server on a loopback port and stops it when the test
// ends, checking that no goroutine outlives it.
func startServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	base := wiretest.Goroutines()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		wiretest.CheckLeaks(t, base)
	})
	return s
}

// dial connects to s with a deadline on everything.
func dial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// recvOne receives one request or fails the test.
func recvOne(t *testing.T, s *Server) *Request {
	t.Helper()
	r, err := s.RecvTimeout(testTimeout)
	if err != nil || r == nil {
		t.Fatalf("RecvTimeout = %v, %v", r, err)
	}
	return r
}

// readResponses reads n responses with net/http's client parser.
func readResponses(t *testing.T, br *bufio.Reader, n int) []string {
	t.Helper()
	var bodies []string
	for i := 0; i < n; i++ {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("response %d body: %v", i, err)
		}
		bodies = append(bodies, res.Status+" "+string(b))
	}
	return bodies
}

// TestOutOfOrderFromOneGoroutine answers request 2 and then request 1 from
// the same goroutine: no deadlock, responses in request order (C01).
func TestOutOfOrderFromOneGoroutine(t *testing.T) {
	s := startServer(t, ServerConfig{})
	c := dial(t, s)
	io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
	r1, r2 := recvOne(t, s), recvOne(t, s)
	if err := r2.Respond(FromString("two")); err != nil {
		t.Fatal(err)
	}
	if err := r1.Respond(FromString("one")); err != nil {
		t.Fatal(err)
	}
	got := readResponses(t, bufio.NewReader(c), 2)
	if diff := cmp.Diff([]string{"200 OK one", "200 OK two"}, got); diff != "" {
		t.Fatalf("responses (-want +got):\n%s", diff)
	}
}

// countingConn counts the writes made to a connection.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// countingListener wraps accepted connections in countingConn.
type countingListener struct {
	net.Listener
	conns chan *countingConn
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c}
	l.conns <- cc
	return cc, nil
}

// TestReadyResponsesShareOneWrite answers three pipelined requests, the
// first last: the three responses leave in a single write.
func TestReadyResponsesShareOneWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := countingListener{Listener: ln, conns: make(chan *countingConn, 1)}
	base := wiretest.Goroutines()
	s, err := NewServerFromListener(cl, ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close(); wiretest.CheckLeaks(t, base) }()
	c := dial(t, s)
	io.WriteString(c, strings.Repeat("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 3))
	reqs := []*Request{recvOne(t, s), recvOne(t, s), recvOne(t, s)}
	reqs[2].Respond(FromString("c"))
	reqs[1].Respond(FromString("b"))
	reqs[0].Respond(FromString("a"))
	got := readResponses(t, bufio.NewReader(c), 3)
	if diff := cmp.Diff([]string{"200 OK a", "200 OK b", "200 OK c"}, got); diff != "" {
		t.Fatalf("responses (-want +got):\n%s", diff)
	}
	sc := <-cl.conns
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.writes != 1 {
		t.Fatalf("server made %d writes, want 1", sc.writes)
	}
}

// TestDroppedRequestAnswered500 drops requests of every shape without
// answering them: once a request is unreachable, its drop finalizer answers
// 500 and the connection goes on serving. A finalizer never runs for an
// object that reaches itself, so each shape here is one way a Request could
// come to point into itself (inline and overflowing header fields, each kind
// of body) and never be answered.
func TestDroppedRequestAnswered500(t *testing.T) {
	many := strings.Repeat("X-Field: v\r\n", 2*inlineHeaders)
	for _, tc := range []struct {
		name, req string
		reuse     bool // the connection serves the next request
	}{
		{"no body, inline fields", "GET /dropped HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"no fields", "GET /dropped HTTP/1.0\r\n\r\n", false},
		{"fields beyond the inline array", "GET /dropped HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", true},
		{"small body read before queueing", "POST /dropped HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", true},
		{"streamed body", "POST /dropped HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("b", 5000), false},
		{"chunked body", "POST /dropped HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false},
		{"body behind Expect", "POST /dropped HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", false},
		{"upgrade", "GET /dropped HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) { checkDropAnswered(t, tc.req, tc.reuse) })
	}
}

// checkDropAnswered sends req, receives it and drops it, and collects
// garbage until its 500 arrives. With reuse, a next request on the same
// connection must then be served.
func checkDropAnswered(t *testing.T, req string, reuse bool) {
	s := startServer(t, ServerConfig{})
	c := dial(t, s)
	io.WriteString(c, req)
	func() { recvOne(t, s) }() // received, never answered
	br := bufio.NewReader(c)
	if g := collectUntilAnswer(t, br); g != "500 Internal Server Error" {
		t.Fatalf("dropped request got %q, want 500", g)
	}
	if !reuse {
		return
	}
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
	recvOne(t, s).Respond(FromString("next"))
	if b := readResponses(t, br, 1); b[0] != "200 OK next" {
		t.Fatalf("next request got %q", b[0])
	}
}

// collectUntilAnswer collects garbage until the next response arrives on
// br, and returns its status line (or the read error), within testTimeout.
func collectUntilAnswer(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- res.Status
	}()
	deadline := time.After(testTimeout)
	for {
		runtime.GC()
		select {
		case g := <-got:
			return g
		case <-deadline:
			t.Fatal("the dropped request was never answered")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// collectUntilWatched collects garbage until the drop sweeps, which run on
// the finalizer goroutine after collections, have handed r to its finalizer.
func collectUntilWatched(t *testing.T, r *Request) {
	t.Helper()
	for deadline := time.Now().Add(testTimeout); !r.watched.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("a request pending through collections is not watched by its finalizer")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

// TestHeldRequestSurvivesDropSweeps holds a request through several
// collections, which hand it from its slot to a drop finalizer, then answers
// it: the answer is the application's, and no 500 follows once the answered
// request is garbage.
func TestHeldRequestSurvivesDropSweeps(t *testing.T) {
	s := startServer(t, ServerConfig{})
	c := dial(t, s)
	io.WriteString(c, "GET /held HTTP/1.1\r\nHost: a\r\n\r\n")
	r := recvOne(t, s)
	collectUntilWatched(t, r)
	if err := r.Respond(FromString("held")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	if got := readResponses(t, br, 1); got[0] != "200 OK held" {
		t.Fatalf("got %q", got[0])
	}
	r = nil
	for range 4 {
		runtime.GC()
	}
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
	recvOne(t, s).Respond(FromString("next"))
	if got := readResponses(t, br, 1); got[0] != "200 OK next" {
		t.Fatalf("after the held request, got %q, want only the next answer", got[0])
	}
}

// TestDroppedAfterFailedUpgrade drops a request whose Upgrade failed before
// writing (an invalid response), after the sweeps had given it a finalizer
// that the Upgrade removed: it is still answered 500.
func TestDroppedAfterFailedUpgrade(t *testing.T) {
	req := "GET /dropped HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
	s := startServer(t, ServerConfig{})
	c := dial(t, s)
	io.WriteString(c, req)
	func() {
		r := recvOne(t, s)
		collectUntilWatched(t, r)
		if _, err := r.Upgrade("websocket", Empty(StatusSwitchingProtocols).WithHeader(Header{Field: "Bad Name", Value: "x"})); err == nil {
			t.Fatal("Upgrade with an invalid header succeeded")
		}
	}()
	if g := collectUntilAnswer(t, bufio.NewReader(c)); g != "500 Internal Server Error" {
		t.Fatalf("dropped request got %q, want 500", g)
	}
}

// TestServeAnswers500 checks Serve's safety net: a handler that returns
// without answering, or panics, yields 500; the workers live on.
func TestServeAnswers500(t *testing.T) {
	s := startServer(t, ServerConfig{ErrorLog: discardLog()})
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(2, func(r *Request) {
			switch r.URL() {
			case "/panic":
				panic("handler bug")
			case "/ok":
				r.Respond(FromString("ok"))
			}
		})
	}()
	c := dial(t, s)
	io.WriteString(c, "GET /forget HTTP/1.1\r\nHost: a\r\n\r\nGET /panic HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
	got := readResponses(t, bufio.NewReader(c), 3)
	want := []string{"500 Internal Server Error ", "500 Internal Server Error ", "200 OK ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("responses (-want +got):\n%s", diff)
	}
	s.Close()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("Serve did not return after Close")
	}
}
