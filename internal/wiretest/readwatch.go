package wiretest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// ReadWatcher is a net.Listener whose connections note how much the server
// has read from them, so that a test can wait for the server to have taken
// in everything a client sent. Serve from it (tinyhttp.NewServerFromListener)
// instead of from the listener it wraps. TCP only: a connection is matched
// to its Client by address.
type ReadWatcher struct {
	net.Listener
	mu    sync.Mutex
	conns []*watchedConn
}

// WatchReads wraps ln so that the reads of the connections it accepts are watched.
func WatchReads(ln net.Listener) *ReadWatcher { return &ReadWatcher{Listener: ln} }

// Accept accepts a connection and watches its reads.
func (w *ReadWatcher) Accept() (net.Conn, error) {
	conn, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &watchedConn{Conn: conn, askedAt: -1}
	w.mu.Lock()
	w.conns = append(w.conns, wc)
	w.mu.Unlock()
	return wc, nil
}

// WaitConsumed waits until the server has read everything c sent (c.Sent
// bytes) from c's connection and then asked the connection for more: it
// has done all it can with those bytes. For a request sent whole, that
// means the server parsed it and queued it for the application (or
// answered it itself); for part of a request or of a body, that whoever
// reads it is blocked waiting for the rest. It fails the test (without
// FailNow) and reports false if Timeout passes first.
func (w *ReadWatcher) WaitConsumed(tb testing.TB, c *Client) bool {
	tb.Helper()
	addr, sent := c.Conn.LocalAddr().String(), c.Sent()
	if PollUntil(func() bool { return w.askedAfter(addr) >= sent }) {
		return true
	}
	tb.Errorf("the server did not ask for more than the %d bytes sent within %v (it asked after %d); goroutines:\n%s",
		sent, Timeout, w.askedAfter(addr), Stacks())
	return false
}

// askedAfter returns how many bytes the server had read from the connection
// whose remote address is addr when it last called Read on it; -1 before
// the connection is accepted or read.
func (w *ReadWatcher) askedAfter(addr string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.conns {
		if c.RemoteAddr().String() == addr {
			return c.readBeforeLastCall()
		}
	}
	return -1
}

// watchedConn is a server-side connection of a ReadWatcher.
type watchedConn struct {
	net.Conn
	mu      sync.Mutex
	read    int64 // bytes returned by Read so far
	askedAt int64 // read, as it was when Read was last called; -1 before
}

// Read notes that the server asks for bytes, and how many it had read
// before, then reads.
func (c *watchedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.askedAt = max(c.askedAt, c.read)
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read += int64(n)
	c.mu.Unlock()
	return n, err
}

// readBeforeLastCall returns askedAt.
func (c *watchedConn) readBeforeLastCall() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.askedAt
}

// CloseWrite half-closes the connection, as the wrapped one does.
func (c *watchedConn) CloseWrite() error {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		return errors.New("wiretest: the connection cannot be half-closed")
	}
	return cw.CloseWrite()
}

// ReadFrom keeps the wrapped connection's ReadFrom (sendfile on TCP) for
// the server's file responses.
func (c *watchedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// writerOnly hides a writer's other methods, so that io.Copy does not call
// ReadFrom back.
type writerOnly struct{ io.Writer }
