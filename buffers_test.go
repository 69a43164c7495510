package tinyhttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// onlyConn returns the server's one connection.
func onlyConn(t *testing.T, s *Server) *conn {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for c := range s.conns {
			s.mu.Unlock()
			return c
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no connection")
	return nil
}

// waitBuffersReleased waits until c holds neither its read nor its write
// buffer: an idle connection gives both back to their pools.
func waitBuffersReleased(t *testing.T, c *conn) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		idle := c.awaiting == awaitUnbuffered && c.bw == nil
		c.mu.Unlock()
		if idle {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("an idle connection still holds a buffer")
}

// TestIdleConnectionReleasesBuffers: a keep-alive connection that goes
// quiet gives back its buffers after the grace (BufferGrace), also when its last response
// was written after it went quiet.
func TestIdleConnectionReleasesBuffers(t *testing.T) {
	s := startServer(t, ServerConfig{})
	c := dial(t, s)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
	recvOne(t, s).Respond(FromString("a"))
	readResponses(t, br, 1)
	sc := onlyConn(t, s)
	waitBuffersReleased(t, sc)

	io.WriteString(c, "GET /late HTTP/1.1\r\nHost: a\r\n\r\n")
	r := recvOne(t, s)
	waitBuffersReleased(t, sc) // the read loop idles while the answer is pending
	r.Respond(FromString("late"))
	if got := readResponses(t, br, 1); got[0] != "200 OK late" {
		t.Fatalf("got %q", got[0])
	}
	waitBuffersReleased(t, sc)
}

// withBufferlessWaits makes every wait of a plain connection bufferless
// (waitBufferless) until the test ends, as it is from bufferlessWaitConns
// open connections on. The wire harness (startWireServer) wraps its
// connections, which keeps them on the buffered wait: tests for this path
// use startServer.
func withBufferlessWaits(t *testing.T) {
	saved := bufferlessWaitConns
	bufferlessWaitConns = 0
	t.Cleanup(func() { bufferlessWaitConns = saved })
}

// TestBufferlessWait runs the tests of waits on a plain connection with
// every wait bufferless: the chunk the wait read must reach the parser
// whole, and an idle timeout, a hang-up and Shutdown must end the wait.
func TestBufferlessWait(t *testing.T) {
	withBufferlessWaits(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"IdleConnectionReleasesBuffers", TestIdleConnectionReleasesBuffers},
		{"ShutdownGraceful", TestShutdownGraceful},
		{"ShutdownAnswersFreshConnection", TestShutdownAnswersFreshConnection},
		{"ShutdownClosesSilentFreshConnection", TestShutdownClosesSilentFreshConnection},
		{"FaultHalfClose", TestFaultHalfClose},
		{"FaultManyVanishingClients", TestFaultManyVanishingClients},
	} {
		t.Run(tc.name, tc.run)
	}
}

// dialEchoServer starts a server that answers every request with its
// target, and those for /h by running h, and dials it.
func dialEchoServer(t *testing.T, h http.Handler) (net.Conn, *bufio.Reader) {
	s := startServer(t, ServerConfig{})
	go func() {
		for r := range s.Incoming() {
			if r.URL() == "/h" {
				r.Handle(h)
				continue
			}
			r.Respond(FromString(r.URL()))
		}
	}()
	c := dial(t, s)
	return c, bufio.NewReader(c)
}

// TestBufferlessWaitWire: requests that come after a bufferless wait, over
// raw wire bytes: one at a time, pipelined in one write, split across
// writes, and a hijacked connection whose bytes came with its request.
func TestBufferlessWaitWire(t *testing.T) {
	withBufferlessWaits(t)
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n" }
	for _, tc := range []struct {
		name   string
		writes []string // each after the answers to the heads complete before it
		want   []string // readResponses of every answer, in order
	}{
		{"one at a time", []string{get("/1"), get("/2"), get("/3")}, []string{"200 OK /1", "200 OK /2", "200 OK /3"}},
		{"pipelined", []string{get("/1"), get("/2") + get("/3")}, []string{"200 OK /1", "200 OK /2", "200 OK /3"}},
		{"large head", []string{get("/1"), "GET /2 HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 6000) + "\r\n\r\n"}, []string{"200 OK /1", "200 OK /2"}},
		{"split", []string{get("/1"), "G", "ET /2 HTTP/1.1\r\nHo", "st: a\r\n", "\r\n"}, []string{"200 OK /1", "200 OK /2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := dialEchoServer(t, nil)
			var sent string
			var got []string
			for _, w := range tc.writes {
				io.WriteString(c, w)
				sent += w
				heads := strings.Count(sent, "\r\n\r\n")
				if heads == len(got) { // a part of a head: the next part comes apart on the wire
					time.Sleep(2 * time.Millisecond) // the scenario, not a synchronisation
				}
				got = append(got, readResponses(t, br, heads-len(got))...)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("hijack", func(t *testing.T) {
		c, br := dialEchoServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			conn, rw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			ping := make([]byte, 4)
			if _, err := io.ReadFull(rw, ping); err != nil {
				t.Errorf("reading the hijacked connection: %v", err)
				return
			}
			io.WriteString(conn, "PONG"+string(ping))
		}))
		io.WriteString(c, get("/1"))
		readResponses(t, br, 1)
		io.WriteString(c, get("/h")+"PING") // read by the wait with the request
		b := make([]byte, 8)
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if _, err := io.ReadFull(br, b); err != nil || string(b) != "PONGPING" {
			t.Errorf("after Hijack: %q, %v; want PONGPING", b, err)
		}
	})
}

// awaitPhase waits until c's read loop waits for a request in phase
// (conn.awaiting), and returns the buffered wait's deadline (graceUntil).
func awaitPhase(t *testing.T, c *conn, phase uint8) time.Time {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		got := c.awaiting
		c.mu.Unlock()
		if got == phase {
			return time.Unix(0, c.graceUntil.Load())
		}
		time.Sleep(time.Millisecond) // polling the read loop's phase, not synchronising
	}
	t.Fatalf("the connection never waited in phase %d", phase)
	return time.Time{}
}

// TestBufferGrace: ServerConfig.BufferGrace sets how long a waiting
// connection keeps its read buffer. A long one (30 s) arms the buffered wait's
// deadline that far ahead (the default would give the buffer back 20 ms
// on); a negative one starts every wait without the buffer and never arms
// that deadline. Either way the connection goes on serving requests, one
// at a time and pipelined.
func TestBufferGrace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grace time.Duration
		phase uint8
	}{
		{"long", 30 * time.Second, awaitBuffered}, // below the idle timeout (60 s), which would bound the wait instead
		{"none", -1, awaitUnbuffered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, ServerConfig{BufferGrace: tc.grace})
			go func() {
				for r := range s.Incoming() {
					r.Respond(FromString(r.URL()))
				}
			}()
			c := dial(t, s)
			br := bufio.NewReader(c)
			sc := onlyConn(t, s)
			for _, round := range []struct {
				send string
				want []string
			}{
				{"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", []string{"200 OK /1"}},
				{"GET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n", []string{"200 OK /2", "200 OK /3"}},
			} {
				io.WriteString(c, round.send)
				want := round.want
				got := readResponses(t, br, len(want))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("responses (-want +got):\n%s", diff)
				}
				until := awaitPhase(t, sc, tc.phase)
				switch {
				case tc.grace > 0 && time.Until(until) < tc.grace/2:
					t.Fatalf("buffered wait ends in %v, want about %v", time.Until(until), tc.grace)
				case tc.grace < 0 && sc.graceUntil.Load() != 0:
					t.Fatal("a wait without a grace armed the grace's deadline")
				}
			}
			if tc.grace < 0 {
				awaitIdleConns(t, s, 1)
			}
		})
	}
}
