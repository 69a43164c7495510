package tinyhttp

// HTTP/2 streams on the pull model: every stream becomes a *Request on the
// server's queue like an HTTP/1.1 one, answered by Respond (prepared by the
// same prepare step: file conditions, ranges, compression), IntoWriter
// (h2raw.go) or Handle; streams answer in any order. The stream's handler
// goroutine waits for the answer, holding the stream but not the Request,
// so that a dropped request is still seen and answered 500.

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// serveH2Stream queues one stream as a Request and waits for its answer,
// or for the stream to end (RST_STREAM, the connection closing).
func (c *conn) serveH2Stream(w http.ResponseWriter, hr *http.Request) {
	if c.secure {
		hr.TLS = c.tlsState() // the HTTP/2 server sees the decrypted stream only
	}
	st := &h2Stream{c: c, w: w, hr: hr}
	if max := c.srv.cfg.maxBodyBytes; max > 0 {
		if hr.ContentLength > max {
			st.rejectBody()
			return
		}
		hr.Body = &h2LimitedBody{ReadCloser: hr.Body, left: max}
	}
	c.srv.stats.requests.Add(1)
	c.srv.stats.h2Streams.Add(1)
	if h := c.srv.h2Handler.Load(); h != nil {
		c.serveH2Handler(*h, w, hr)
		return
	}
	st.done = make(chan struct{})
	r := newH2Request(st, hr, c.secure)
	watchDrop(r) // nothing but the queue and the application holds r
	if c.srv.enqueue(r) == pushRefused {
		return // enqueue answered 503
	}
	select {
	case <-st.done:
	case <-hr.Context().Done():
		st.mu.Lock()
		writing := st.answered
		st.gone = !writing
		st.mu.Unlock()
		if writing {
			<-st.done // the writer sees the stream's errors and ends soon
		}
	}
	if st.aborted.Load() {
		panic(http.ErrAbortHandler) // x/net resets the stream, silently
	}
}

// serveH2Handler runs ServeHandler's handler on the stream's goroutine
// with x/net's own request and writer, as net/http's HTTP/2 server does: no
// Request, no queue. A panic is logged (unless it is http.ErrAbortHandler)
// and resets the stream.
func (c *conn) serveH2Handler(h http.Handler, w http.ResponseWriter, hr *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.srv.logPanic(Method(hr.Method), hr.RequestURI, c.remote, v)
			}
			panic(http.ErrAbortHandler) // x/net resets the stream, silently
		}
	}()
	h.ServeHTTP(w, hr)
}

// newH2Request makes the Request of a stream: the fields as x/net decoded
// them (Host first, from :authority), :path as the target.
func newH2Request(st *h2Stream, hr *http.Request, secure bool) *Request {
	r := &Request{answer: st, secure: secure, body: hr.Body, bodyLen: hr.ContentLength}
	n := len(hr.Header) + 1
	headers := r.hdrs[:0] // most requests' fields fit in the Request (see unlinkInlineHeaders)
	if n > inlineHeaders {
		headers = make([]Header, 0, n)
	}
	if hr.Host != "" {
		headers = append(headers, Header{Field: "Host", Value: hr.Host})
	}
	for k, vv := range hr.Header {
		for _, v := range vv {
			headers = append(headers, Header{Field: HeaderField(k), Value: v})
		}
	}
	r.head = requestHead{
		method:        Method(hr.Method),
		target:        hr.RequestURI,
		headers:       headers,
		version:       HTTPVersion{2, 0},
		keepAlive:     true,
		contentLength: hr.ContentLength,
	}
	for _, f := range headers {
		if f.Field.Equal("Accept-Encoding") {
			r.head.acceptEncLines++
		}
	}
	r.unlinkInlineHeaders()
	if r.bodyLen == 0 {
		r.body = noBody{}
	}
	return r
}

// h2Stream is the answerer of a request read from an HTTP/2 stream. It
// holds no pointer to its Request (see dropwatch.go).
type h2Stream struct {
	c    *conn
	w    http.ResponseWriter
	hr   *http.Request
	done chan struct{} // closed once answered: the stream's handler returns

	mu       sync.Mutex
	answered bool        // the response is written (or being written)
	gone     bool        // the stream ended before an answer: the writer is gone
	aborted  atomic.Bool // the response was cut: the stream is reset
}

// begin claims the stream for writing; false once it is gone or answered.
func (st *h2Stream) begin() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gone || st.answered {
		return false
	}
	st.answered = true
	return true
}

// end lets the stream's handler return.
func (st *h2Stream) end() { close(st.done) }

// respond is Request.Respond on HTTP/2: the response prepared like an
// HTTP/1.1 one, its header section without the connection-specific fields
// (RFC 9113 §8.2.2), the body in DATA frames.
func (st *h2Stream) respond(r *Request, resp *Response) error {
	var out outgoing
	verr := prepare(&out, r, resp, &st.c.srv.cfg.server)
	if !st.begin() {
		out.resp.closeBody()
		return ErrConnectionClosed
	}
	defer st.end()
	err := st.write(&out)
	if verr != nil {
		return verr
	}
	return err
}

// write sends a prepared response on the stream: an in-memory body
// straight to x/net's writer, which buffers its DATA frames itself.
func (st *h2Stream) write(out *outgoing) error {
	resp := out.resp
	defer resp.closeBody()
	if !st.writeHead(out) {
		return nil
	}
	switch resp.kind {
	case bodyString, bodyBytes:
		return writeInMemoryBody(st.w, resp)
	}
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(st.w)
	defer func() { bw.Reset(nil); writerPool.Put(bw) }()
	if err := writeBody(bw, resp, frameUntilEOF); err != nil {
		return err
	}
	return bw.Flush()
}

// writeInMemoryBody writes a string or byte body to w, cut to the declared
// length; a body shorter than that is an error, as in writeBody.
func writeInMemoryBody(w io.Writer, resp *Response) error {
	size := int64(len(resp.str))
	if resp.kind == bodyBytes {
		size = int64(len(resp.data))
	}
	n, err := exactLength(size, resp.length)
	if err != nil {
		return err
	}
	if resp.kind == bodyBytes {
		_, err = w.Write(resp.data[:n])
	} else {
		_, err = io.WriteString(w, resp.str[:n])
	}
	return err
}

// writeHead sends out's status and header section (HEADERS), and reports
// whether a body follows.
func (st *h2Stream) writeHead(out *outgoing) bool {
	resp := out.resp
	h := st.w.Header()
	copyH2Fields(h, resp.headers)
	if resp.flags&fromHandler == 0 && st.c.srv.cfg.server.server != "" && h.Get("Server") == "" {
		h.Set("Server", st.c.srv.cfg.server.server)
	}
	if resp.length >= 0 && out.f != frameNone {
		h.Set("Content-Length", strconv.FormatInt(resp.length, 10))
	}
	st.w.WriteHeader(int(resp.status))
	st.c.srv.stats.countResponse(resp.status)
	return out.f != frameNone && !out.x.head
}

// copyH2Fields sets fields on h, leaving out the connection-specific ones
// that HTTP/2 forbids (RFC 9113 §8.2.2) and Content-Length (set from the
// framing).
func copyH2Fields(h http.Header, fields []Header) {
	for _, f := range fields {
		switch k := textproto.CanonicalMIMEHeaderKey(string(f.Field)); k {
		case "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Content-Length":
		default:
			h[k] = append(h[k], f.Value)
		}
	}
}

// respondEmpty answers with an empty response of status, unless the stream
// is gone or answered; it reports whether it did.
func (st *h2Stream) respondEmpty(status StatusCode) bool {
	if !st.begin() {
		return false
	}
	st.w.Header().Set("Content-Length", "0")
	st.w.WriteHeader(int(status))
	st.c.srv.stats.countResponse(status)
	return true
}

// rejectBody answers 413 for a declared body above MaxBodyBytes; x/net then
// resets the stream, whose body was not read.
func (st *h2Stream) rejectBody() { st.respondEmpty(StatusRequestEntityTooLarge) }

// upgrade: HTTP/2 has no protocol switch (an h2 request never asks for one).
func (st *h2Stream) upgrade(*Request, string, *Response) (net.Conn, error) {
	return nil, ErrNotUpgradable
}

// trailers are the request's trailer fields, once its body is read.
func (st *h2Stream) trailers(*Request) []Header {
	var out []Header
	for k, vv := range st.hr.Trailer {
		for _, v := range vv {
			out = append(out, Header{Field: HeaderField(k), Value: v})
		}
	}
	return out
}

func (st *h2Stream) decodedBodyLimit() int64 { return st.c.srv.cfg.maxDecodedBodyBytes }

// dropped answers 500 for a request dropped unanswered; on the finalizer
// goroutine, so the write goes on a goroutine of its own.
func (st *h2Stream) dropped(uint64) {
	go func() {
		if st.respondEmpty(StatusInternalServerError) {
			st.end()
		}
	}()
}

// rewatch watches r again (after an Upgrade that failed: on HTTP/2, always).
func (st *h2Stream) rewatch(r *Request) { watchDrop(r) }

func (st *h2Stream) remoteAddr() net.Addr { return st.c.remote }

func (st *h2Stream) remoteString() string { return st.hr.RemoteAddr }

// requestContext derives r's context from the stream's, which ends on
// RST_STREAM and when the connection closes.
func (st *h2Stream) requestContext(*Request) (context.Context, context.CancelCauseFunc) {
	return context.WithCancelCause(st.hr.Context())
}

func (st *h2Stream) tlsState() *tls.ConnectionState { return st.c.tlsState() }

func (st *h2Stream) logf(msg string) { st.c.logf(msg) }

func (st *h2Stream) logPanic(r *Request, v any) { st.c.logPanic(r, v) }

// serveNative runs h on the stream's own ResponseWriter and *http.Request:
// x/net's are net/http's on HTTP/2. A handler that panics has its stream
// reset, as on net/http's HTTP/2 server; the panic is logged unless it is
// http.ErrAbortHandler, and Handle returns ErrHandlerPanic.
func (st *h2Stream) serveNative(r *Request, h http.Handler) (_ bool, err error) {
	if !r.claimAnswer() {
		return true, ErrAlreadyAnswered
	}
	if !st.begin() {
		return true, ErrConnectionClosed
	}
	defer st.end()
	defer func() {
		if v := recover(); v != nil {
			st.aborted.Store(true) // the stream's handler resets the stream
			if v != http.ErrAbortHandler {
				st.logPanic(r, v)
			}
			err = fmt.Errorf("%w: %v", ErrHandlerPanic, v)
		}
	}()
	// The stream's own context ends as r's would (RST_STREAM, the
	// connection closing, Close, Shutdown's deadline); r's is used only if
	// the application made it already, which spares a context and a copy
	// of the request per stream.
	hr := st.hr
	if r.hasContext() {
		hr = hr.WithContext(r.Context())
	}
	h.ServeHTTP(st.w, hr)
	return true, nil
}

// openStream, informational, hijack and setBodyReadDeadline serve Handle's
// ResponseWriter, which HTTP/2 streams do not use (serveNative hands the
// handler x/net's own); they map onto the stream all the same.
func (st *h2Stream) openStream(r *Request, resp *Response, _ bool) (responseStream, error) {
	var out outgoing
	verr := prepare(&out, r, resp, &st.c.srv.cfg.server)
	if !st.begin() {
		return nil, ErrConnectionClosed
	}
	if verr != nil {
		defer st.end()
		st.write(&out)
		return nil, verr
	}
	st.writeHead(&out)
	return &h2ResponseStream{st: st}, nil
}

func (st *h2Stream) informational(_ *Request, resp *Response) error {
	st.mu.Lock()
	gone := st.gone
	st.mu.Unlock()
	if gone {
		return ErrConnectionClosed
	}
	copyH2Fields(st.w.Header(), resp.headers)
	st.w.WriteHeader(int(resp.status))
	return nil
}

func (st *h2Stream) hijack(*Request, responseStream) (net.Conn, error) {
	return nil, fmt.Errorf("%w: hijacking", ErrNotSupportedOnHTTP2)
}

func (st *h2Stream) setBodyReadDeadline(_ *Request, t time.Time) error {
	return http.NewResponseController(st.w).SetReadDeadline(t)
}

// h2ResponseStream is a responseStream on an HTTP/2 stream.
type h2ResponseStream struct {
	st    *h2Stream
	ended bool
}

func (s *h2ResponseStream) Write(p []byte) (int, error) { return s.st.w.Write(p) }

func (s *h2ResponseStream) ReadFrom(src io.Reader) (int64, error) {
	return io.Copy(writerOnly{s.st.w}, src)
}

func (s *h2ResponseStream) Flush() error { return http.NewResponseController(s.st.w).Flush() }

func (s *h2ResponseStream) End(trailers []Header, _ bool) error {
	if s.ended {
		return nil
	}
	s.ended = true
	h := s.st.w.Header()
	for _, t := range trailers {
		h.Add(http.TrailerPrefix+string(t.Field), t.Value)
	}
	s.st.end()
	return nil
}

func (s *h2ResponseStream) Abort() {
	if !s.ended {
		s.ended = true
		s.st.aborted.Store(true) // the stream's handler resets it
		s.st.end()
	}
}

func (s *h2ResponseStream) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(s.st.w).SetWriteDeadline(t)
}

// h2LimitedBody enforces MaxBodyBytes on a body of unknown length: the read
// past it fails with ErrBodyTooLarge.
type h2LimitedBody struct {
	io.ReadCloser
	left int64
}

func (b *h2LimitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrBodyTooLarge
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, ErrBodyTooLarge
	}
	return n, err
}
