package tinyhttp

// The http.ResponseWriter that Request.Handle gives a handler (nethttp.go),
// point by point like net/http's: a small body that the handler completes
// is sent with Content-Length in one Respond (which batches with the
// responses pipelined around it); a larger or flushed one opens a stream
// (stream.go) that holds the connection's write turn, chunked unless the
// handler declared a Content-Length.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// bufferBeforeChunking is how much body a handler may write before its
// response starts streaming: net/http's 2048 bytes, so that the same
// handler gets the same framing on both servers (a body it completes within
// it is sent with Content-Length).
const bufferBeforeChunking = 2048

// sniffLen is how many leading body bytes http.DetectContentType looks at.
const sniffLen = 512

// responseWriter is Handle's http.ResponseWriter. It is used by the
// handler's goroutine only, like net/http's.
type responseWriter struct {
	r      *Request
	hr     *http.Request
	body   *handlerBody // hr's Body as Handle made it (the handler may replace hr.Body); nil: none
	header http.Header  // the handler's map
	stream responseStream

	status      int
	buf         []byte // body bytes before the stream opens
	written     int64  // body bytes the handler wrote
	declaredLen int64  // the handler's Content-Length; -1 none
	writeDL     *time.Time
	trailerDecl []string // the Trailer field's values at WriteHeader

	calledHeader bool
	wroteHeader  bool
	typed        bool // the handler set Content-Type (perhaps to nothing) or Content-Encoding: no sniffing
	hasTE        bool // the handler set Transfer-Encoding: no sniffing either
	unsized      bool // that Transfer-Encoding is not identity: no automatic Content-Length (chunked)
	hijacked     bool
	fullDuplex   bool
	streamErr    error // the stream failed to open: writes fail with it

	resp  Response // the final response, its head made from header at WriteHeader (freeze)
	small [smallBody]byte
}

// smallBody is how much body the writer holds without an allocation of its
// own: an API's or a benchmark's typical answer.
const smallBody = 128

// serve runs h and answers with what it wrote.
func (w *responseWriter) serve(h http.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			w.closeBody()
			err = w.recovered(v)
		}
	}()
	h.ServeHTTP(w, w.hr)
	w.closeBody()
	return w.finishRequest()
}

// closeBody ends the handler's reads of the request body, as net/http's
// server closes it once the handler returns: later reads fail with
// http.ErrBodyReadAfterClose.
func (w *responseWriter) closeBody() {
	if w.body != nil {
		w.body.closed.Store(true)
	}
}

// Header returns the header map; changes after WriteHeader (or the first
// Write) have no effect, except on 1xx responses and declared trailers.
func (w *responseWriter) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	w.calledHeader = true
	return w.header
}

// WriteHeader sends a 1xx informational response at once, or sets the
// final status and freezes the header. A code outside 100–999 panics, as
// in net/http.
func (w *responseWriter) WriteHeader(code int) {
	if w.hijacked {
		w.r.answer.logf("tinyhttp: WriteHeader on a hijacked connection")
		return
	}
	if w.wroteHeader {
		w.r.answer.logf("tinyhttp: superfluous WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.sendInformational(code)
		return
	}
	w.wroteHeader, w.status = true, code
	w.freeze()
}

// freeze makes the final response's head from the header map as it is
// now: later changes to the map have no effect but on trailers.
func (w *responseWriter) freeze() {
	h := w.header
	resp := &w.resp
	*resp = Response{status: StatusCode(w.status), threshold: math.MaxInt64, flags: fromHandler}
	resp.headers = resp.inline[:0]
	var small [16]string
	keys := sortedKeys(h, small[:0])
	for _, k := range keys { // the fields the server reads, by their canonical keys as net/http does
		switch k {
		case "Content-Length":
			w.declareLength(h.Get(k))
		case "Date":
			if len(h[k]) == 0 {
				resp.flags |= noDate
			}
		case "Content-Type":
			w.typed = true
		case "Content-Encoding":
			// net/http does not sniff a coded body (Go issue 31753).
			w.typed = w.typed || h.Get(k) != ""
		case "Transfer-Encoding":
			w.takeTransferEncoding(h.Get(k))
		case "Trailer":
			if tr := h[k]; len(tr) > 0 {
				w.trailerDecl = append([]string(nil), tr...)
			}
		}
	}
	resp.headers = appendFields(resp.headers, h, keys, resp)
}

// takeTransferEncoding takes the handler's Transfer-Encoding, te, as
// net/http does: any value stops sniffing and the automatic Content-Length;
// the body is then chunked, except for identity, which net/http sends
// close-delimited and which is sent here as if the field were not set
// (the framing is the server's).
func (w *responseWriter) takeTransferEncoding(te string) {
	w.hasTE = te != ""
	w.unsized = w.hasTE && te != "identity"
}

// declareLength takes the handler's Content-Length, cl: the body must
// have that many bytes.
func (w *responseWriter) declareLength(cl string) {
	if cl == "" {
		return
	}
	if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
		w.declaredLen = v
	} else {
		w.r.answer.logf(fmt.Sprintf("tinyhttp: invalid Content-Length of %q", cl))
	}
}

// sendInformational writes a 1xx response with the current header, less
// the framing fields (fieldsFromHeader without a final response).
func (w *responseWriter) sendInformational(code int) {
	resp := newResponse(StatusCode(code))
	resp.headers = fieldsFromHeader(resp.headers, w.header, nil)
	resp.trusted = int32(len(resp.headers))
	w.r.answer.informational(w.r, resp)
}

// Write writes body bytes, sending the head first if needed.
func (w *responseWriter) Write(p []byte) (int, error) { return w.write(len(p), p, "") }

// WriteString is Write for a string.
func (w *responseWriter) WriteString(s string) (int, error) { return w.write(len(s), nil, s) }

// write is Write of p or s (n bytes), with net/http's errors: ErrHijacked,
// ErrBodyNotAllowed (a status without a body), ErrContentLength (past the
// declared length; nothing of the write is sent).
func (w *responseWriter) write(n int, p []byte, s string) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if n == 0 {
		return 0, nil
	}
	if !StatusCode(w.status).bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(n)
	if w.declaredLen >= 0 && w.written > w.declaredLen {
		return 0, http.ErrContentLength
	}
	if w.stream == nil && len(w.buf)+n <= bufferBeforeChunking {
		if w.buf == nil {
			w.buf = w.small[:0]
		}
		w.buf = append(append(w.buf, p...), s...)
		return n, nil
	}
	if w.stream == nil {
		first := p
		if p == nil {
			first = []byte(s[:min(len(s), sniffLen)])
		}
		if err := w.openStream(first); err != nil {
			return 0, err
		}
	}
	if p == nil {
		return io.WriteString(w.stream, s)
	}
	return w.stream.Write(p)
}

// ReadFrom copies src into the body: the first bytes through the buffer
// (for Content-Type sniffing), then, with a declared Content-Length,
// through the connection's ReadFrom (sendfile for a file on plain TCP), as
// http.ServeContent and http.FileServer expect.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	var n int64
	if w.stream == nil {
		n0, err := io.CopyBuffer(writerOnly{w}, io.LimitReader(src, sniffLen), make([]byte, sniffLen))
		n += n0
		if err != nil || n0 < sniffLen {
			return n, err
		}
	}
	// The sniffed bytes may have overflowed the buffer, which opened the
	// stream already.
	if w.stream == nil {
		if err := w.openStream(nil); err != nil {
			return n, err
		}
	}
	if !StatusCode(w.status).bodyAllowed() {
		return n, http.ErrBodyNotAllowed
	}
	m, err := w.stream.ReadFrom(src) // cut at the declared length, if any
	w.written += m
	return n + m, err
}

// Flush sends the head and the body written so far.
func (w *responseWriter) Flush() { w.FlushError() }

// FlushError is Flush with its error, for http.ResponseController.
func (w *responseWriter) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.stream == nil {
		if err := w.openStream(nil); err != nil {
			return err
		}
	}
	return w.stream.Flush()
}

// Hijack hands the connection over to the handler, like net/http's: what
// was written is sent first, bytes the client already sent are in the
// returned reader, and the server forgets the connection.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.wroteHeader && w.stream == nil && w.status == http.StatusSwitchingProtocols {
		return w.hijackSwitching()
	}
	if w.wroteHeader && w.stream == nil {
		if err := w.openStream(nil); err != nil {
			return nil, nil, err
		}
	}
	if w.stream == nil && !w.r.claimAnswer() {
		return nil, nil, ErrAlreadyAnswered
	}
	nc, err := w.r.answer.hijack(w.r, w.stream)
	if err != nil {
		return nil, nil, err
	}
	w.closeBody() // what the handler did not read of it is in the returned reader
	w.hijacked = true
	return nc, bufio.NewReadWriter(bufio.NewReader(nc), bufio.NewWriter(nc)), nil
}

// hijackSwitching is Hijack after WriteHeader(101), as coder/websocket's
// Accept does it: like net/http, the 101 head (with the handler's Upgrade
// field) goes out first, then the connection is the handler's.
func (w *responseWriter) hijackSwitching() (net.Conn, *bufio.ReadWriter, error) {
	nc, err := w.switchProtocols()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	return nc, bufio.NewReadWriter(bufio.NewReader(nc), bufio.NewWriter(nc)), nil
}

// switchWithoutHijack answers a handler that sent 101 and returned
// without taking the connection: the 101 head goes out as net/http sends
// it, and the connection closes after it (net/http would read the next
// bytes as HTTP/1.1, but after a 101 they are the other protocol's, which
// nothing here speaks). Without an Upgrade field there is no protocol to
// switch to: that is a 500, as for any invalid response.
func (w *responseWriter) switchWithoutHijack() error {
	if w.header.Get("Upgrade") == "" {
		w.r.answer.logf("tinyhttp: WriteHeader(101) without an Upgrade field")
		return w.r.Respond(Empty(StatusInternalServerError).WithHeader(Header{Field: "Connection", Value: "close"}))
	}
	nc, err := w.switchProtocols()
	if err != nil {
		return err
	}
	return nc.Close()
}

// switchProtocols sends the frozen 101 head with the handler's Upgrade
// field and takes the connection over, as Request.Upgrade does.
func (w *responseWriter) switchProtocols() (net.Conn, error) {
	if !w.r.claimAnswer() {
		return nil, ErrAlreadyAnswered
	}
	return w.r.answer.upgrade(w.r, w.header.Get("Upgrade"), &w.resp)
}

// SetReadDeadline sets the deadline of the request body's reads.
func (w *responseWriter) SetReadDeadline(t time.Time) error {
	return w.r.answer.setBodyReadDeadline(w.r, t)
}

// SetWriteDeadline sets the deadline of the response's writes, in place of
// the server's write timeout.
func (w *responseWriter) SetWriteDeadline(t time.Time) error {
	if w.stream != nil {
		return w.stream.SetWriteDeadline(t)
	}
	w.writeDL = &t
	return nil
}

// EnableFullDuplex lets the handler read the request body after the
// response has started.
func (w *responseWriter) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}

// CloseNotify is the deprecated http.CloseNotifier, from the request's
// context.
func (w *responseWriter) CloseNotify() <-chan bool {
	ch := make(chan bool, 1)
	context.AfterFunc(w.r.Context(), func() { ch <- true })
	return ch
}

// openStream sends the head (and the buffered body): the response streams
// from now on. first is the write that overflowed the buffer, for
// Content-Type sniffing when nothing was buffered.
func (w *responseWriter) openStream(first []byte) error {
	if w.streamErr != nil {
		return w.streamErr
	}
	if !w.r.claimAnswer() {
		w.streamErr = ErrAlreadyAnswered
		return w.streamErr
	}
	s, err := w.r.answer.openStream(w.r, w.response(false, first), w.fullDuplex)
	if err != nil {
		w.streamErr = err
		return err
	}
	w.stream = s
	if w.body != nil && !w.fullDuplex {
		// net/http discards the body when the response starts: the rest
		// is the server's, and a later Hijack finds none of it.
		w.body.discarded.Store(true)
		w.r.eager = nil
	}
	if w.writeDL != nil {
		s.SetWriteDeadline(*w.writeDL)
	}
	if len(w.buf) > 0 {
		if _, err := s.Write(w.buf); err != nil {
			return err
		}
	}
	w.buf = nil
	return nil
}

// finishRequest answers with what the handler left: the whole response in
// one Respond, or the end of the stream.
func (w *responseWriter) finishRequest() error {
	defer w.r.finish()
	if w.hijacked {
		return nil
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.status == http.StatusSwitchingProtocols && w.stream == nil {
		return w.switchWithoutHijack()
	}
	if w.stream == nil && (w.hasTrailers() || w.shortOfLength()) {
		if err := w.openStream(nil); err != nil {
			return err
		}
	}
	// A write past the declared length was refused: the connection closes
	// after the response, as net/http's does (written != declared).
	overflow := w.declaredLen >= 0 && w.written > w.declaredLen
	if w.stream == nil {
		if w.streamErr != nil {
			return w.streamErr
		}
		resp := w.response(true, nil)
		resp.close = resp.close || overflow
		return w.r.Respond(resp)
	}
	return w.stream.End(w.trailers(), overflow)
}

// shortOfLength reports whether the body the handler wrote is shorter than
// the Content-Length it declared. net/http sends the head and what was
// written, then closes the connection; a stream does so (End), where
// Respond would refuse the body (ErrBodyLength) and send nothing of it.
func (w *responseWriter) shortOfLength() bool {
	return w.declaredLen > w.written && StatusCode(w.status).bodyAllowed() && w.hr.Method != http.MethodHead
}

// recovered answers for a handler that panicked with v: 500 if nothing was
// sent, otherwise the connection is cut.
func (w *responseWriter) recovered(v any) error {
	if v != http.ErrAbortHandler {
		w.r.answer.logPanic(w.r, v)
	}
	defer w.r.finish()
	switch {
	case w.hijacked:
	case w.stream != nil:
		w.stream.Abort()
	default:
		w.r.Respond(Empty(StatusInternalServerError).WithHeader(Header{Field: "Connection", Value: "close"}))
	}
	if err, ok := v.(error); ok {
		return fmt.Errorf("%w: %w", ErrHandlerPanic, err)
	}
	return fmt.Errorf("%w: %v", ErrHandlerPanic, v)
}

// response completes the final response made at WriteHeader (freeze):
// the sniffed Content-Type, the framing, and, when done, the body, as
// net/http's chunkWriter.writeHeader does. first is the write that opens a
// stream with nothing buffered.
func (w *responseWriter) response(done bool, first []byte) *Response {
	resp := &w.resp
	code := resp.status
	if len(w.buf) > 0 {
		first = w.buf
	}
	if !w.typed && !w.hasTE && code.bodyAllowed() && len(first) > 0 {
		resp.headers = append(resp.headers, Header{Field: "Content-Type", Value: http.DetectContentType(first)})
	}
	resp.trusted = int32(len(resp.headers))
	resp.length = -1
	switch {
	case !code.bodyAllowed():
		resp.length = 0
	case w.declaredLen >= 0:
		resp.length = w.declaredLen
	case done && !w.unsized && (w.hr.Method != http.MethodHead || len(w.buf) > 0):
		resp.length = int64(len(w.buf))
	}
	if done && len(w.buf) > 0 {
		resp.kind, resp.data = bodyBytes, w.buf
	}
	return resp
}

// hasTrailers reports whether the handler declared trailers, which need
// chunked framing.
func (w *responseWriter) hasTrailers() bool {
	if len(w.trailerDecl) > 0 {
		return true
	}
	for k := range w.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// trailers collects the trailer fields at the end of the body: the values
// now in the header map of the keys declared in Trailer, and the keys
// with http.TrailerPrefix.
func (w *responseWriter) trailers() []Header {
	var out []Header
	for _, v := range w.trailerDecl {
		for key := range strings.SplitSeq(v, ",") {
			key = http.CanonicalHeaderKey(textproto.TrimString(key))
			out = appendTrailer(out, key, w.header[key])
		}
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			out = appendTrailer(out, name, vv)
		}
	}
	return out
}
