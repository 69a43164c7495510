package tinyhttp

// Request bodies: none, small ones read before the request is queued, and
// streamed ones (Content-Length or chunked) that the application reads from
// the connection; "Expect: 100-continue"; and what happens to a body left
// unread when its request is answered (drained within a bound, or the
// connection closes). A streamed body is read by the answering goroutine
// while the read loop waits for it to be settled (see conn.go).

import (
	"io"
	"time"
)

// eagerBodyLimit is the largest body read before its request is queued, like
// tiny-http: small bodies then cost the application no read from the socket,
// and pipelined requests behind them are read at once.
const eagerBodyLimit = 1024

// prepareBody sets up r's body: none, read now (small), or streamed.
func (c *conn) prepareBody(r *Request) error {
	h := &r.head
	r.bodyLen = h.contentLength
	if h.chunked {
		r.bodyLen = -1
	}
	if max := c.srv.cfg.maxBodyBytes; max > 0 && h.contentLength > max {
		return &parseError{status: StatusRequestEntityTooLarge, err: ErrBodyTooLarge, detail: "Content-Length above MaxBodyBytes"}
	}
	switch {
	case !h.chunked && h.contentLength <= 0:
		r.body = noBody{}
		r.bodyLen = max(h.contentLength, 0)
	case !h.chunked && h.contentLength <= eagerBodyLimit && !h.expectContinue:
		b := make([]byte, h.contentLength)
		if int64(c.br.Buffered()) < h.contentLength {
			c.beforeBlock()
		}
		if _, err := io.ReadFull(c.br, b); err != nil {
			return err
		}
		r.eager, r.hasEager = b, true // Body returns &r.eager: r.body stays nil
	default:
		// A separate object, never pointing back at r: the read loop keeps
		// it to drain the body while r itself may become unreachable.
		b := &streamBody{c: c, expect: h.expectContinue, max: c.srv.cfg.maxBodyBytes}
		if h.chunked {
			b.chunks = newChunkedReader(c.br, c.srv.cfg.chunkLimits)
			b.src = b.chunks
		} else {
			b.limited = io.LimitedReader{R: c.br, N: h.contentLength}
			b.src = &b.limited
		}
		r.stream, r.body = b, b
	}
	return nil
}

// drainBody reads and discards what is left of a body the application did
// not read, within maxDrainBytes and the body timeout; false means the
// connection closes instead.
func (c *conn) drainBody(b *streamBody) bool {
	c.setReadTimeout(c.srv.cfg.bodyReadTimeout)
	n, err := io.Copy(io.Discard, io.LimitReader(b.src, maxDrainBytes+1))
	c.clearDeadline()
	return err == nil && n <= maxDrainBytes && b.consumed()
}

// noBody is the body of a request without content.
type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }

// eagerBody is a small body read before the request was queued; reading
// consumes it.
type eagerBody []byte

func (e *eagerBody) Read(p []byte) (int, error) {
	if len(*e) == 0 {
		return 0, io.EOF
	}
	n := copy(p, *e)
	*e = (*e)[n:]
	return n, nil
}

// streamBody is a body read from the connection as the application reads.
type streamBody struct {
	c       *conn
	id      uint64
	src     io.Reader // &limited or chunks
	limited io.LimitedReader
	chunks  *chunkedReader
	expect  bool  // the client waits for 100 Continue
	sent100 bool  // 100 Continue was sent, or is not needed any more
	max     int64 // MaxBodyBytes (0: no limit)
	n       int64 // bytes read so far
	err     error // sticky: io.EOF once complete, or the failure
	closed  bool  // the request was answered: reads fail
	pinned  bool  // the application set the read deadline (setBodyReadDeadline)

	// The drain of a chunked body that its response waits for
	// (settleBody, awaitDrain, drainEnd). Guarded by the connection's mu;
	// drained is set only by the answering goroutine, which reads it.
	drained    chan struct{} // non-nil: the response waits; closed at drainEnd
	drainEnded bool          // the read loop is done with the body
	drainOK    bool          // the body was drained: the connection may stay
	// closePromised: the response said the connection closes (awaitDrain
	// gave up waiting): the read loop stops after the drain.
	closePromised bool
}

// setBodyReadDeadline sets the deadline of r's body reads to t (zero: none)
// in place of the body timeout (http.ResponseController.SetReadDeadline).
// A request without a streamed body reads nothing more from the
// connection: nothing to do.
func (c *conn) setBodyReadDeadline(r *Request, t time.Time) error {
	b := r.stream
	if b == nil || b.closed || b.err != nil {
		return nil
	}
	b.pinned = true
	c.setReadDeadline(t)
	return nil
}

// consumed reports whether the whole body has been read.
func (b *streamBody) consumed() bool {
	if b.chunks != nil {
		return b.chunks.done && b.chunks.err == nil
	}
	return b.limited.N == 0
}

// Read reads the body; the first Read sends 100 Continue if it is expected.
func (b *streamBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, ErrBodyClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := b.continueIfExpected(); err != nil {
		b.fail(err)
		return 0, err
	}
	if !b.pinned {
		b.c.setReadTimeout(b.c.srv.cfg.bodyReadTimeout)
	}
	n, err := b.src.Read(p)
	b.n += int64(n)
	if err == nil && b.limited.R != nil && b.limited.N == 0 {
		err = io.EOF // a Content-Length body is complete: say so now
	}
	if err == nil && b.max > 0 && b.n > b.max {
		err = ErrBodyTooLarge
	}
	switch {
	case err == io.EOF && b.limited.R != nil && b.limited.N > 0:
		b.fail(io.ErrUnexpectedEOF)
		return n, io.ErrUnexpectedEOF
	case err == io.EOF:
		b.err = io.EOF
		b.c.clearDeadline()
		b.c.resolve(b.id, keepReading)
	case err != nil:
		b.fail(err)
	}
	return n, err
}

// continueIfExpected sends 100 Continue before the first read of a body whose
// client waits for it, unless the body has started arriving anyway.
func (b *streamBody) continueIfExpected() error {
	if !b.expect || b.sent100 {
		return nil
	}
	b.sent100 = true
	if b.c.br.Buffered() > 0 {
		return nil // RFC 9110 §10.1.1: the client did not wait; no 100 needed
	}
	return b.c.sendContinue(b.id)
}

// fail records a body error: the connection closes after the responses.
func (b *streamBody) fail(err error) {
	b.err = err
	b.c.resolve(b.id, stopReading)
}

// maxDrainBytes is how much of an unread body the server reads and discards
// to keep the connection alive (net/http uses the same 256 KiB); beyond it
// closing is cheaper than reading.
const maxDrainBytes = 256 << 10

// settleBody runs when r is answered: reads of its body fail from now on,
// and a streamed body that was not read to its end is left to the read
// loop, which drains it while the response goes out (the response never
// waits for the body), or the connection closes after the response when the
// client still waits for 100 Continue (C11).
func (c *conn) settleBody(r *Request) {
	b := r.stream
	if b == nil || b.closed {
		return
	}
	b.closed = true
	switch {
	case b.err != nil:
		// complete or failed: the body already settled the read loop
	case b.expect && !b.sent100 && c.br.Buffered() == 0:
		c.resolve(b.id, stopReading)
	case b.chunks == nil && b.limited.N > maxDrainBytes:
		// More is declared than the server would drain: the connection
		// closes after the response, and the response says so (C05), as
		// net/http's does (stopReading marks it).
		c.resolve(b.id, stopReading)
	case b.chunks != nil:
		// How much is left is not known: the response waits a moment for
		// the drain (awaitDrain), so that it can say whether the
		// connection stays, as net/http's does (which waits as long as it
		// takes). Had it promised keep-alive before a drain that failed,
		// the client would send its next request on a connection that is
		// going away.
		c.mu.Lock()
		b.drained = make(chan struct{})
		if b.drainEnded {
			close(b.drained) // the read loop is already done with it
		}
		c.mu.Unlock()
		c.resolve(b.id, drainBody)
	default:
		c.resolve(b.id, drainBody)
	}
}

// drainWait is how long a response waits for the drain of an unread
// chunked body before it says the connection closes: a body that has
// arrived drains in far less, and a response to a slow upload is not held
// back for it (tiny-http's prompt_responses).
const drainWait = 100 * time.Millisecond

// awaitDrain waits, when settleBody asked for it, up to drainWait for the
// read loop to drain r's chunked body, and has the connection close after
// r's response unless the drain is done and succeeded.
func (c *conn) awaitDrain(r *Request) {
	b := r.stream
	if b == nil || b.drained == nil {
		return
	}
	t := time.NewTimer(drainWait)
	select {
	case <-b.drained:
	case <-t.C:
	}
	t.Stop()
	c.mu.Lock()
	if !(b.drainEnded && b.drainOK) {
		b.closePromised = true // the read loop stops after the drain
		if s := c.seq.lookup(r.id); s != nil {
			s.mustClose = true
		}
	}
	c.mu.Unlock()
}

// drainEnd records that the read loop is done with b: drained (ok) or not.
// It reports whether the connection may go on: not if the response already
// said it closes. Called by the read loop, once per request it waited on
// (b nil: one without a streamed body).
func (c *conn) drainEnd(b *streamBody, ok bool) bool {
	if b == nil {
		return ok
	}
	c.mu.Lock()
	b.drainEnded, b.drainOK = true, ok
	ok = ok && !b.closePromised
	d := b.drained
	c.mu.Unlock()
	if d != nil {
		close(d)
	}
	return ok
}

// decodedBodyLimit is the bound of Request.DecodedBody on this server.
func (c *conn) decodedBodyLimit() int64 { return c.srv.cfg.maxDecodedBodyBytes }

// trailers returns the chunked trailers once the body is complete.
func (c *conn) trailers(r *Request) []Header {
	if b := r.stream; b != nil && b.chunks != nil && b.err == io.EOF {
		return b.chunks.trailers
	}
	return nil
}

// sendContinue writes "100 Continue" in its turn (RFC 9110 §10.1.1): after
// every earlier response, without answering the request.
func (c *conn) sendContinue(id uint64) error {
	if err := c.awaitTurn(id, false); err != nil {
		return err
	}
	c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return c.releaseTurn(false, false)
}
