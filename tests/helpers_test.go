// Package tests holds tinyhttp's black-box integration tests: tiny-http's own
// integration tests (tests/*.rs of the tiny_http 0.12 crate) re-expressed in
// Go, and tests of the pull API. Every test talks to a real server over a
// loopback socket with raw wire bytes, checks that the server leaves no
// goroutine behind, and is bounded in time: a hang fails, it never stalls.
package tests

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// The client side of these tests (a raw client, the strict response
// parser, the leak check, bounded waits) is package internal/wiretest,
// shared with the root package's own wire tests. What is here is the
// server side: servers started for a test and torn down when it ends.
//
// Every wait is bounded by wiretest.Timeout, a generous bound that is there
// so that a hang fails, not to measure speed.

// server is a tinyhttp server on 127.0.0.1:0 under test, with the
// goroutines the test started for it (workers, helpers), which are waited
// for when the test ends.
type server struct {
	*tinyhttp.Server
	t     testing.TB
	wg    sync.WaitGroup
	reads *wiretest.ReadWatcher // the watched listener of newWatchedServer; nil otherwise
}

// newServer starts a server with the default configuration on 127.0.0.1:0.
// See newServerConfig.
func newServer(t testing.TB) *server {
	t.Helper()
	return newServerConfig(t, tinyhttp.ServerConfig{})
}

// newServerConfig starts a server configured by cfg (its Addr defaults to
// 127.0.0.1:0). When the test ends, the server is closed, the goroutines
// started with s.goroutine or s.serve are waited for, and the number of
// goroutines must fall back to what it was before the server started (see
// wiretest.CheckLeaks). Cleanups the test registers after this call run
// before it, so clients closed in cleanups are closed before the server.
func newServerConfig(t testing.TB, cfg tinyhttp.ServerConfig) *server {
	t.Helper()
	baseline := wiretest.Goroutines()
	if cfg.Addr == "" && (cfg.Network == "" || strings.HasPrefix(cfg.Network, "tcp")) {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := tinyhttp.NewServer(cfg)
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	return adoptServer(t, srv, baseline)
}

// newWatchedServer is newServer on a listener that watches what the server
// reads (wiretest.ReadWatcher), for tests that wait with s.waitConsumed.
func newWatchedServer(t testing.TB) *server {
	t.Helper()
	baseline := wiretest.Goroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	reads := wiretest.WatchReads(ln)
	srv, err := tinyhttp.NewServerFromListener(reads, tinyhttp.ServerConfig{})
	if err != nil {
		ln.Close()
		t.Fatalf("starting server: %v", err)
	}
	s := adoptServer(t, srv, baseline)
	s.reads = reads
	return s
}

// waitConsumed waits until the server has read everything c sent and asks
// for more (wiretest.ReadWatcher.WaitConsumed); s is a newWatchedServer.
func (s *server) waitConsumed(c *wiretest.Client) bool {
	s.t.Helper()
	return s.reads.WaitConsumed(s.t, c)
}

// adoptServer takes charge of a server the test started: when the test
// ends, the server is closed (within wiretest.Timeout), the goroutines
// started with s.goroutine or s.serve are waited for, and the goroutine
// count must fall back to baseline (wiretest.Goroutines, taken before the
// server started).
func adoptServer(t testing.TB, srv *tinyhttp.Server, baseline int) *server {
	t.Helper()
	s := &server{Server: srv, t: t}
	t.Cleanup(func() {
		if !wiretest.Within(t, wiretest.Timeout, "Server.Close", func() { srv.Close() }) {
			return
		}
		if !wiretest.Within(t, wiretest.Timeout, "the test goroutines after Close", s.wg.Wait) {
			return
		}
		wiretest.CheckLeaks(t, baseline)
	})
	return s
}

// goroutine runs f on a new goroutine that the end of the test waits for
// (after the server is closed, before the leak check).
func (s *server) goroutine(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// serve starts n worker goroutines that pull requests with Recv and pass
// each to handle, until Recv returns an error (the server closed, or
// Unblock).
func (s *server) serve(n int, handle func(*tinyhttp.Request)) {
	for range n {
		s.goroutine(func() {
			for {
				r, err := s.Recv()
				if err != nil {
					return
				}
				handle(r)
			}
		})
	}
}

// helloWorld answers every request with "hello world", like the server of
// tiny-http's support::new_client_to_hello_world_server.
func helloWorld(r *tinyhttp.Request) {
	r.Respond(tinyhttp.FromString("hello world"))
}

// newHelloServer starts a server whose two workers answer every request
// with "hello world" (tiny-http's support::new_client_to_hello_world_server,
// without its 3-second lifetime: the test's end closes it).
func newHelloServer(t testing.TB) *server {
	t.Helper()
	s := newServer(t)
	s.serve(2, helloWorld)
	return s
}

// recv pulls the next request, failing the test if none arrives within
// wiretest.Timeout or Recv fails. Call it from the test goroutine only.
func (s *server) recv() *tinyhttp.Request {
	s.t.Helper()
	r, err := s.RecvTimeout(wiretest.Timeout)
	if err != nil {
		s.t.Fatalf("RecvTimeout: %v", err)
	}
	if r == nil {
		s.t.Fatalf("no request received within %v", wiretest.Timeout)
	}
	return r
}

// dial opens a raw TCP client connection to the server. It is closed when
// the test ends (before the server is).
func (s *server) dial() *wiretest.Client {
	s.t.Helper()
	return wiretest.Dial(s.t, "tcp", s.Addr().String())
}

// answerHelloAlone answers r "hello world", checks that no other request
// is queued, and reads the connection to its end: the response must close
// with the hello world body (tiny-http's simple and unix tests).
func answerHelloAlone(t *testing.T, s *server, r *tinyhttp.Request, c *wiretest.Client) {
	t.Helper()
	if err := r.Respond(tinyhttp.FromString("hello world")); err != nil {
		t.Errorf("Respond: %v", err)
	}
	if extra, err := s.TryRecv(); extra != nil || err != nil {
		t.Errorf("TryRecv() = %v, %v; want nil, nil", extra, err)
	}
	content := c.ReadToEOF()
	if !strings.HasSuffix(content, "hello world") {
		t.Errorf("response %q does not end with hello world", wiretest.Truncate(content))
	}
}

// bodies returns the bodies of rs as strings, for comparisons.
func bodies(rs []*wiretest.Response) []string {
	var bs []string
	for _, r := range rs {
		bs = append(bs, string(r.Body))
	}
	return bs
}
