package tinyhttp

// Regression tests for the defects of the connection core that the
// sequencer redesign fixed: each one failed before it.

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// blockedReader yields nothing until release is closed, then its text.
type blockedReader struct {
	started chan struct{} // closed by the first Read
	release chan struct{}
	text    string
	once    sync.Once
}

func (b *blockedReader) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	if b.text == "" {
		return 0, io.EOF
	}
	n := copy(p, b.text)
	b.text = b.text[n:]
	return n, nil
}

// TestRespondNotHeldBySlowerLaterResponse: a Respond returns once its own
// response is written, even when a later response on the connection,
// answered first, streams a body that is slow to come. Responses still leave
// in order. The answer to request 1 once waited for request 2's whole body.
func TestRespondNotHeldBySlowerLaterResponse(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, nil)
	c := ts.dial(t)
	c.Send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
	r1, r2 := ts.recv(t), ts.recv(t)
	slow := &blockedReader{started: make(chan struct{}), release: make(chan struct{}), text: "slow body"}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(slow.release) }) }
	defer release()
	if err := r2.Respond(NewResponse(200, nil, slow, -1)); err != nil {
		t.Fatalf("Respond(2): %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r1.Respond(FromString("fast")) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Respond(1): %v", err)
		}
	case <-time.After(wiretest.Timeout):
		t.Fatal("Respond(1) waits for the body of response 2")
	}
	if first := c.ReadResponse(false); first.Status != 200 || string(first.Body) != "fast" {
		t.Fatalf("first response %v, want 200 \"fast\"", first)
	}
	select {
	case <-slow.started:
	case <-time.After(wiretest.Timeout):
		t.Fatal("response 2 is never written")
	}
	release()
	if second := c.ReadResponse(false); string(second.Body) != "slow body" {
		t.Fatalf("second response %v, want \"slow body\"", second)
	}
}

// blockingCloseListener hands out connections whose Close blocks until
// release is closed, as a TLS close_notify to a client that does not read
// blocks for the write timeout.
type blockingCloseListener struct {
	net.Listener
	closing chan struct{} // closed when a Close starts
	release chan struct{}
	once    sync.Once
}

func (l *blockingCloseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &blockingCloseConn{Conn: c, l: l}, nil
}

type blockingCloseConn struct {
	net.Conn
	l *blockingCloseListener
}

func (c *blockingCloseConn) Close() error {
	c.l.once.Do(func() { close(c.l.closing) })
	<-c.l.release
	return c.Conn.Close()
}

// TestNoCloseUnderConnLock: closing a connection (which on TLS writes
// close_notify and may block) happens with no lock held, so that the
// application answering another request of that connection meanwhile gets
// its error at once instead of waiting for the close.
func TestNoCloseUnderConnLock(t *testing.T) {
	base := wiretest.Goroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bl := &blockingCloseListener{Listener: ln, closing: make(chan struct{}), release: make(chan struct{})}
	s, err := NewServerFromListener(bl, ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", s.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
	recv := func() *Request {
		r, err := s.RecvTimeout(testTimeout)
		if r == nil {
			t.Fatalf("no request: %v", err)
		}
		return r
	}
	r1, r2 := recv(), recv()
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-bl.closing:
	case <-time.After(testTimeout):
		t.Fatal("Close never closes the connection")
	}
	answered := make(chan error, 2)
	go func() { answered <- r2.Respond(FromString("2")) }()
	go func() { answered <- r1.Respond(FromString("1")) }()
	for range 2 {
		select {
		case err := <-answered:
			if !errors.Is(err, ErrConnectionClosed) {
				t.Errorf("Respond: %v, want ErrConnectionClosed", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("Respond waits for the connection's close")
		}
	}
	close(bl.release)
	<-closed
	wiretest.CheckLeaks(t, base)
}
