package wiretest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Client is a raw client connection to a server under test. It writes bytes
// as given and reads with a deadline of Timeout on every operation. Methods
// that fail the test with FailNow must be called from the test goroutine;
// the Try methods return their error instead, for other goroutines.
type Client struct {
	Conn net.Conn      // the connection, for what the methods do not cover
	R    *bufio.Reader // reads Conn; use it rather than Conn once reading started

	// Invariants makes every response read (ReadResponse, ReadAll) checked
	// against CheckInvariants.
	Invariants bool
	// HTTP10 says the requests are HTTP/1.0, for CheckInvariants.
	HTTP10 bool

	tb   testing.TB
	sent atomic.Int64 // bytes written by Send
}

// Dial connects to addr on network ("tcp" or "unix") within Timeout. The
// connection is closed when the test ends.
func Dial(tb testing.TB, network, addr string) *Client {
	tb.Helper()
	conn, err := net.DialTimeout(network, addr, Timeout)
	if err != nil {
		tb.Fatalf("dial %s %s: %v", network, addr, err)
	}
	return NewClient(tb, conn)
}

// NewClient makes a Client of a connection the test opened (a TLS one, for
// example). The connection is closed when the test ends.
func NewClient(tb testing.TB, conn net.Conn) *Client {
	tb.Cleanup(func() { conn.Close() })
	return &Client{Conn: conn, R: bufio.NewReaderSize(conn, 64<<10), tb: tb}
}

// Send writes raw to the connection as it is, all at once.
func (c *Client) Send(raw string) {
	c.tb.Helper()
	c.Conn.SetWriteDeadline(time.Now().Add(Timeout))
	n, err := io.WriteString(c.Conn, raw)
	c.sent.Add(int64(n))
	if err != nil {
		c.tb.Fatalf("writing %q: %v", Truncate(raw), err)
	}
}

// Sent returns how many bytes Send has written.
func (c *Client) Sent() int64 { return c.sent.Load() }

// CloseWrite half-closes the connection: the server reads EOF after what
// was sent.
func (c *Client) CloseWrite() {
	c.tb.Helper()
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		c.tb.Fatalf("a %T cannot be half-closed", c.Conn)
	}
	if err := cw.CloseWrite(); err != nil {
		c.tb.Fatalf("CloseWrite: %v", err)
	}
}

// Close closes the connection.
func (c *Client) Close() { c.Conn.Close() }

// ReadResponse reads and strictly parses the next response (1xx included),
// failing the test if none arrives within Timeout. head says it answers a
// HEAD request, so that no body is read.
func (c *Client) ReadResponse(head bool) *Response {
	c.tb.Helper()
	r, err := c.TryReadResponse(head)
	if err != nil {
		c.tb.Fatalf("reading a response: %v", err)
	}
	return r
}

// TryReadResponse is ReadResponse returning the error instead of failing
// the test.
func (c *Client) TryReadResponse(head bool) (*Response, error) {
	c.tb.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	defer c.Conn.SetReadDeadline(time.Time{})
	r, err := ReadResponse(c.R, head)
	if err != nil {
		return nil, err
	}
	c.check("response", r)
	return r, nil
}

// ReadAll reads and strictly parses responses until the server closes the
// connection, a response is malformed, or Timeout passes. methods, when
// given, are the request methods in order, so that responses to HEAD are
// read without a body. A 101 response ends the HTTP exchange: ReadAll
// returns after it, with the connection still open.
func (c *Client) ReadAll(methods ...string) Result {
	c.tb.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	defer c.Conn.SetReadDeadline(time.Time{})
	var res Result
	s := newResponseStream(c.R, methods)
	for !s.ended() {
		if err := s.peek(); err != nil {
			res.noteEnd(err)
			return res
		}
		r, err := s.next()
		if err != nil {
			res.Err = fmt.Errorf("response %d: %w", len(res.Resps), err)
			return res
		}
		c.check(fmt.Sprintf("response %d", len(res.Resps)), r)
		res.Resps = append(res.Resps, r)
	}
	res.Closed = s.last.UntilEOF
	return res
}

// check applies CheckInvariants to r when the client is asked to.
func (c *Client) check(where string, r *Response) {
	c.tb.Helper()
	if c.Invariants {
		CheckInvariants(c.tb, where, r, c.HTTP10)
	}
}

// ReadToEOF reads raw bytes until the server closes the connection,
// failing the test if it does not within Timeout, and returns them.
func (c *Client) ReadToEOF() string {
	c.tb.Helper()
	b, err := c.TryReadToEOF()
	if err != nil {
		c.tb.Fatalf("reading to EOF (%d bytes read: %q): %v", len(b), Truncate(b), err)
	}
	return b
}

// TryReadToEOF is ReadToEOF returning the error instead of failing the test.
func (c *Client) TryReadToEOF() (string, error) {
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	b, err := io.ReadAll(c.R)
	return string(b), err
}

// ExpectFIN checks that the server closes the connection gracefully (a
// FIN, not a reset) within Timeout, without sending a byte.
func (c *Client) ExpectFIN() {
	c.tb.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	defer c.Conn.SetReadDeadline(time.Time{})
	var buf [512]byte
	n, err := c.R.Read(buf[:])
	switch {
	case n > 0:
		c.tb.Errorf("expected a close without bytes, got %q", buf[:n])
	case err == io.EOF:
	case errors.Is(err, syscall.ECONNRESET):
		c.tb.Errorf("the server reset the connection instead of closing it gracefully")
	default:
		c.tb.Errorf("expected the server to close the connection, got %v", err)
	}
}

// ExpectClosed checks that the server closes the connection within Timeout
// without sending anything more; a reset counts as a close.
func (c *Client) ExpectClosed() {
	c.tb.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	b, err := io.ReadAll(c.R)
	if len(b) > 0 {
		c.tb.Errorf("expected the connection to close, got %d more bytes: %q", len(b), Truncate(string(b)))
	}
	if err != nil && !IsReset(err) {
		c.tb.Errorf("expected the connection to close, got %v", err)
	}
}

// ExpectOpenFor checks that the server neither sends nor closes anything
// for d: a read that long times out. It is the one wait that must last its
// whole duration, since it checks that nothing happens.
func (c *Client) ExpectOpenFor(d time.Duration) {
	c.tb.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(d))
	defer c.Conn.SetReadDeadline(time.Time{})
	var buf [512]byte
	n, err := c.R.Read(buf[:])
	if n > 0 || !isTimeout(err) {
		c.tb.Fatalf("expected nothing for %v, got %q and %v", d, buf[:n], err)
	}
}

// ReadExactly reads n raw bytes within Timeout.
func (c *Client) ReadExactly(n int) []byte {
	c.tb.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	defer c.Conn.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if _, err := io.ReadFull(c.R, b); err != nil {
		c.tb.Fatalf("reading %d raw bytes: %v (got %q)", n, err, b)
	}
	return b
}

// IsReset reports whether err is a connection reset or a write to a closed
// connection, which count as the server closing; a timeout does not.
func IsReset(err error) bool {
	if err == nil || isTimeout(err) {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
