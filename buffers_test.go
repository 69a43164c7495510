package tinyhttp

import (
	"bufio"
	"io"
	"testing"
	"time"
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
// quiet gives back its buffers after idleGrace, also when its last response
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

// TestBufferlessWait runs the wire tests with every wait of a plain
// connection bufferless (waitBufferless), as it is from bufferlessWaitConns
// open connections on: the chunk the wait read must reach the parser, a
// pipelining client, a hang-up, an idle timeout, Shutdown and a hand-over
// (Hijack, Upgrade) whole and in order.
func TestBufferlessWait(t *testing.T) {
	saved := bufferlessWaitConns
	bufferlessWaitConns = 0
	t.Cleanup(func() { bufferlessWaitConns = saved })
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"Conformance", TestConformance},
		{"IdleConnectionReleasesBuffers", TestIdleConnectionReleasesBuffers},
		{"ConcurrentAnswersLeaveInOrder", TestConcurrentAnswersLeaveInOrder},
		{"RequestStringsStayPut", TestRequestStringsStayPut},
		{"ShutdownGraceful", TestShutdownGraceful},
		{"ShutdownAnswersFreshConnection", TestShutdownAnswersFreshConnection},
		{"HandlePipelinedInParallel", TestHandlePipelinedInParallel},
		{"HandleHijack", TestHandleHijack},
		{"RequestContextPipelinedHangUp", TestRequestContextPipelinedHangUp},
		{"FaultHalfClose", TestFaultHalfClose},
		{"FaultManyVanishingClients", TestFaultManyVanishingClients},
		{"ReadyResponsesShareOneWrite", TestReadyResponsesShareOneWrite},
	} {
		t.Run(tc.name, tc.run)
	}
}
