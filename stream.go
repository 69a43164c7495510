package tinyhttp

// Responses written as they are made: the head goes out in the request's
// turn, then the body as the application writes it, the stream holding the
// write turn until it ends. net/http's ResponseWriter (Request.Handle,
// responsewriter.go) streams this way once its body outgrows its buffer or
// is flushed; informational 1xx responses (103 Early Hints) go out in the
// request's turn ahead of the final response.

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// responseStream is a response whose head is written and whose body is
// written as it comes. Only the goroutine that opened it may use it.
type responseStream interface {
	io.Writer
	io.ReaderFrom // a file body keeps the connection's sendfile
	// Flush sends what is buffered to the client.
	Flush() error
	// End writes the end of the body, with trailers when it is chunked,
	// and releases the turn: the responses behind it may go. closeAfter
	// closes the connection after the response (an HTTP/1.1 one).
	End(trailers []Header, closeAfter bool) error
	// Abort cuts the connection: the client sees a truncated response.
	Abort()
	// SetWriteDeadline replaces the write timeout by t (zero: none) until
	// the stream ends.
	SetWriteDeadline(t time.Time) error
}

// openStream prepares resp (status and headers; its body is written
// through the stream), waits for the turn of r's response and writes the
// head. Unless fullDuplex, r's body can no longer be read: an unread rest
// is drained or the connection closes, as for Respond. An invalid resp is
// answered 500 and its error returned.
func (c *conn) openStream(r *Request, resp *Response, fullDuplex bool) (responseStream, error) {
	var out outgoing
	if verr := prepare(&out, r, resp, &c.srv.cfg.server); verr != nil {
		c.respondPrepared(r, &out)
		return nil, verr
	}
	if !fullDuplex {
		c.settleBody(r)
		c.awaitDrain(r)
	}
	if r.holdsReadLoop() {
		c.resolve(r.id, keepReading)
	}
	if err := c.awaitTurn(r.id, true); err != nil {
		out.resp.closeBody()
		return nil, err
	}
	now := time.Now()
	c.mu.Lock()
	out.x.mustClose = out.x.mustClose || c.mustCloseHead(r.id)
	c.lastWrite = now
	c.mu.Unlock()
	x, rs := &out.x, out.resp
	closeAfter := x.mustClose || !x.keepAlive || rs.close || out.f == frameUntilEOF
	c.bw.Write(appendHead(c.bw.AvailableBuffer(), rs, out.f, x, now, closeAfter, &c.srv.cfg.server))
	c.srv.stats.countResponse(rs.status)
	rs.closeBody()
	s := &connStream{c: c, r: r, f: out.f, discard: x.head || out.f == frameNone, length: rs.length, closeAfter: closeAfter, fullDuplex: fullDuplex}
	if out.f != frameLength {
		s.length = -1
	}
	return s, nil
}

// mustCloseHead reports whether the connection closes after the head
// response, request id's: its body was abandoned, or Shutdown makes it the
// last. Called with mu held.
func (c *conn) mustCloseHead(id uint64) bool {
	s := c.seq.head()
	return (s != nil && s.mustClose) || (c.draining && id == c.seq.issued-1)
}

// respondPrepared files out, an automatic answer to r, like Respond.
func (c *conn) respondPrepared(r *Request, out *outgoing) {
	c.settleBody(r)
	c.awaitDrain(r)
	if r.holdsReadLoop() {
		c.resolve(r.id, keepReading)
	}
	c.submit(r.id, out)
}

// serveNative: HTTP/1.1 has no net/http objects of its own; Handle builds them.
func (c *conn) serveNative(*Request, http.Handler) (bool, error) { return false, nil }

// connStream is a responseStream on an HTTP/1.1 connection.
type connStream struct {
	c          *conn
	r          *Request
	f          framing
	discard    bool  // HEAD, or a status without a body: writes are counted, not sent
	length     int64 // the declared length with Content-Length framing; -1 otherwise
	n          int64 // body bytes written
	closeAfter bool
	fullDuplex bool // r's body stays readable until End
	pinned     bool // SetWriteDeadline replaced the write timeout
	ended      bool
}

// Write writes p in the stream's framing; bytes past a declared length are
// refused with ErrBodyLength.
func (s *connStream) Write(p []byte) (int, error) {
	if s.ended {
		return 0, ErrConnectionClosed
	}
	if s.discard {
		s.n += int64(len(p))
		return len(p), nil
	}
	if s.length >= 0 && s.n+int64(len(p)) > s.length {
		n, _ := s.Write(p[:s.length-s.n])
		return n, fmt.Errorf("%w: more than the declared %d bytes", ErrBodyLength, s.length)
	}
	var n int
	var err error
	if s.f == frameChunked {
		n, err = chunkedWriter{s.c.bw}.Write(p)
	} else {
		n, err = s.c.bw.Write(p)
	}
	s.n += int64(n)
	return n, err
}

// ReadFrom copies src into the body. With Content-Length framing the copy
// goes through the connection's ReadFrom (sendfile for a file on plain TCP).
func (s *connStream) ReadFrom(src io.Reader) (int64, error) {
	if s.discard || s.f == frameChunked || s.ended {
		bp := copyBufPool.Get().(*[]byte)
		defer copyBufPool.Put(bp)
		return io.CopyBuffer(writerOnly{s}, src, *bp)
	}
	if s.length >= 0 {
		if lr, ok := src.(*io.LimitedReader); !ok || lr.N > s.length-s.n {
			src = io.LimitReader(src, s.length-s.n) // a file range stays visible to sendfile
		}
	}
	if err := s.c.bw.Flush(); err != nil {
		return 0, err
	}
	n, err := s.c.bw.ReadFrom(src)
	s.n += n
	return n, err
}

// Flush sends the buffered bytes.
func (s *connStream) Flush() error {
	if s.ended {
		return ErrConnectionClosed
	}
	return s.c.bw.Flush()
}

// End finishes the body and hands the turn on. A body shorter than its
// declared length leaves the client waiting for the rest: the connection
// closes after it.
func (s *connStream) End(trailers []Header, mustClose bool) error {
	if s.ended {
		return nil
	}
	s.ended = true
	if s.f == frameChunked && !s.discard {
		b := append(s.c.bw.AvailableBuffer(), "0\r\n"...)
		for _, h := range trailers {
			b = appendField(b, h)
		}
		s.c.bw.Write(append(b, "\r\n"...))
	}
	closeAfter := mustClose || s.closeAfter || (s.length >= 0 && s.n < s.length && !s.discard)
	if s.fullDuplex {
		s.c.settleBody(s.r)
		s.c.awaitDrain(s.r)
	}
	s.unpin()
	s.c.mu.Lock()
	closeAfter = closeAfter || s.c.mustCloseHead(s.r.id)
	s.c.mu.Unlock()
	return s.c.releaseTurn(true, closeAfter)
}

// Abort breaks the connection with the response unfinished.
func (s *connStream) Abort() {
	if s.ended {
		return
	}
	s.ended = true
	s.unpin()
	c := s.c
	c.bw.Flush() // what the handler wrote goes out: the client sees it cut short, as on net/http
	c.settleBody(s.r)
	c.mu.Lock()
	c.breakLocked()
	c.complete(true, nil)
	c.continueTurn()
	c.unlock()
}

// SetWriteDeadline pins the connection's write deadline to t until End.
func (s *connStream) SetWriteDeadline(t time.Time) error {
	if s.ended {
		return ErrConnectionClosed
	}
	s.pinned = true
	s.c.out.pin(t)
	return nil
}

// unpin gives the write deadline back to the write timeout.
func (s *connStream) unpin() {
	if s.pinned {
		s.pinned = false
		s.c.out.unpin()
	}
}

// informational writes the 1xx response resp (no body, no framing) ahead
// of r's final response, in r's turn. HTTP/1.0 clients get none (RFC 9110
// §15.2: a server must not send a 1xx response to an HTTP/1.0 client).
func (c *conn) informational(r *Request, resp *Response) error {
	if err := resp.validateHeaders(); err != nil {
		return err
	}
	if !r.head.version.atLeast(1, 1) {
		return nil
	}
	if err := c.awaitTurn(r.id, false); err != nil {
		return err
	}
	b := appendStatusLine(c.bw.AvailableBuffer(), resp.status)
	for _, h := range resp.headers {
		b = appendField(b, h)
	}
	c.bw.Write(append(b, "\r\n"...))
	c.srv.stats.countResponse(resp.status)
	return c.releaseTurn(false, false)
}
