package tinyhttp

// Serialising a prepared response (prepare.go): the status line, the
// header section with the fields the server adds (Date, Server, framing,
// Connection), and the body in its framing (chunks from encoding.go). What
// reaches the socket goes through the connection's writer (sendfile.go).

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// writeResponse prepares r for exchange x and serialises it into w without
// flushing; it reports whether the connection must close after it. For
// tests and tinyhttptest's renderer: connections prepare and write apart.
func writeResponse(w *bufio.Writer, r *Response, x *exchange, srv *responsePolicy) (closeAfter bool, err error) {
	out := prepareFor(r, *x, srv)
	return writeOutgoing(w, &out, time.Time{}, srv)
}

// writeOutgoing serialises o into w without flushing, and reports whether
// the connection must close after it. now is the batch's clock reading for
// the Date field (zero: the clock is read).
func writeOutgoing(w *bufio.Writer, o *outgoing, now time.Time, srv *responsePolicy) (closeAfter bool, err error) {
	r, x, f := o.resp, &o.x, o.f
	defer r.closeBody()
	closeAfter = x.mustClose || !x.keepAlive || r.close || f == frameUntilEOF
	w.Write(appendHead(w.AvailableBuffer(), r, f, x, now, closeAfter, srv))
	if f == frameNone || x.head {
		return closeAfter, nil
	}
	if err := writeBody(w, r, f); err != nil {
		return true, err
	}
	return closeAfter, nil
}

// appendHead appends the status line and header section to b.
func appendHead(b []byte, r *Response, f framing, x *exchange, now time.Time, closeAfter bool, srv *responsePolicy) []byte {
	b = appendStatusLine(b, r.status)
	hasDate, hasServer := dateAndServer(r.headers)
	if !hasDate && r.flags&noDate == 0 {
		b = appendDate(b, now)
	}
	if !hasServer && srv.server != "" && r.flags&fromHandler == 0 {
		b = append(b, "Server: "...)
		b = append(b, srv.server...)
		b = append(b, "\r\n"...)
	}
	for _, h := range r.headers {
		if len(h.Field) == len("Upgrade") && r.status >= 200 && r.status != StatusUpgradeRequired && h.Field.Equal("Upgrade") {
			continue // switching protocols is Request.Upgrade's; 426 must name the protocols
		}
		b = appendField(b, h)
	}
	switch f {
	case frameLength:
		b = append(b, "Content-Length: "...)
		b = appendDecimal(b, r.length)
		b = append(b, "\r\n"...)
	case frameChunked:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case closeAfter:
		b = append(b, "Connection: close\r\n"...)
	case !x.version.atLeast(1, 1):
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return append(b, "\r\n"...)
}

// appendField appends the field line "name: value\r\n".
func appendField(b []byte, h Header) []byte {
	b = append(b, h.Field...)
	b = append(b, ": "...)
	b = append(b, h.Value...)
	return append(b, "\r\n"...)
}

// appendStatusLine appends "HTTP/1.1 code reason\r\n".
func appendStatusLine(b []byte, code StatusCode) []byte {
	if code >= 0 && int(code) < len(statusLines) && statusLines[code] != "" {
		return append(b, statusLines[code]...)
	}
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	b = append(b, code.DefaultReasonPhrase()...)
	return append(b, "\r\n"...)
}

// statusLines holds the status line of every code with a reason phrase:
// one copy per response instead of formatting the code.
var statusLines = func() (t [len(reasonTable)]string) {
	for c, p := range reasonTable {
		if p != "" {
			t[c] = "HTTP/1.1 " + strconv.Itoa(c) + " " + p + "\r\n"
		}
	}
	return t
}()

// dateAndServer reports whether the application set Date or Server, in
// one pass over the fields.
func dateAndServer(hs []Header) (date, server bool) {
	for i := range hs {
		switch f := hs[i].Field; len(f) {
		case len("Date"):
			date = date || f.Equal("Date")
		case len("Server"):
			server = server || f.Equal("Server")
		}
	}
	return date, server
}

// appendDecimal appends n (≥ 0) in decimal; lengths below 10,000, the
// usual ones, without strconv's general path.
func appendDecimal(b []byte, n int64) []byte {
	switch {
	case n < 0 || n >= 10000:
		return strconv.AppendInt(b, n, 10)
	case n < 10:
		return append(b, byte('0'+n))
	case n < 100:
		return append(b, byte('0'+n/10), byte('0'+n%10))
	case n < 1000:
		return append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
	}
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// writeBody writes r's body in framing f, checking it has exactly the
// declared length when one is known.
func writeBody(w *bufio.Writer, r *Response, f framing) error {
	switch r.kind {
	case bodyString:
		return writeExact(w, f, r.length, func(from, to int64) { w.WriteString(r.str[from:to]) }, int64(len(r.str)))
	case bodyBytes:
		return writeExact(w, f, r.length, func(from, to int64) { w.Write(r.data[from:to]) }, int64(len(r.data)))
	case bodyNone:
		if r.length > 0 {
			return fmt.Errorf("%w: no body for a declared %d bytes", ErrBodyLength, r.length)
		}
		if f == frameChunked {
			return chunkedWriter{w}.Close()
		}
		return nil
	}
	return copyBody(w, r, f)
}

// exactLength is how much of an in-memory body of size bytes goes out: all
// of it, or the declared length (-1: none); more declared than there is
// is an error.
func exactLength(size, length int64) (int64, error) {
	if length > size {
		return 0, fmt.Errorf("%w: %d bytes for a declared %d", ErrBodyLength, size, length)
	}
	if length >= 0 {
		return length, nil
	}
	return size, nil
}

// writeExact writes an in-memory body of size bytes, cut to the declared
// length, in chunks of at most responseChunkSize bytes when f is chunked; a
// body shorter than that length is an error. write writes the body's bytes
// [from, to).
func writeExact(w *bufio.Writer, f framing, length int64, write func(from, to int64), size int64) error {
	n, err := exactLength(size, length)
	if err != nil {
		return err
	}
	if f != frameChunked {
		write(0, n)
		return nil
	}
	for from := int64(0); from < n; {
		to := min(n, from+responseChunkSize)
		w.Write(appendChunkSize(w.AvailableBuffer(), int(to-from)))
		write(from, to)
		w.WriteString("\r\n")
		from = to
	}
	return chunkedWriter{w}.Close()
}

// copyBufPool holds the buffers streamed bodies are copied through.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, responseChunkSize); return &b }}

// copyBody streams a reader body in framing f.
func copyBody(w *bufio.Writer, r *Response, f framing) error {
	src := r.reader
	if lr, ok := src.(*io.LimitedReader); r.length >= 0 && !(ok && lr.N <= r.length) {
		// An *io.LimitedReader over a file (a range) is kept as it is, so
		// that the connection's ReadFrom still sees the file (sendfile).
		src = io.LimitReader(src, r.length)
	}
	var n int64
	var err error
	if f == frameChunked {
		bp := copyBufPool.Get().(*[]byte)
		n, err = copyChunked(chunkedWriter{w}, src, *bp)
		copyBufPool.Put(bp)
		if err == nil && (r.length < 0 || n == r.length) {
			err = chunkedWriter{w}.Close()
		}
	} else {
		if r.file != nil && w.Buffered() > 0 {
			err = w.Flush() // lets bufio hand the copy to the connection's ReadFrom (sendfile)
		}
		if err == nil {
			n, err = io.Copy(w, src)
		}
	}
	if err != nil {
		return err
	}
	return checkLength(r, n)
}

// checkLength reports a body that ended before, or went on past, its
// declared length.
func checkLength(r *Response, n int64) error {
	if r.length < 0 {
		return nil
	}
	if n < r.length {
		return fmt.Errorf("%w: %d bytes for a declared %d", ErrBodyLength, n, r.length)
	}
	if r.file != nil {
		return nil // a file is cut at its declared length; one that grew is no error
	}
	var probe [1]byte
	if m, _ := io.ReadFull(r.reader, probe[:]); m > 0 {
		return fmt.Errorf("%w: more than the declared %d bytes", ErrBodyLength, r.length)
	}
	return nil
}

// responsePolicy is what the server adds to every response it writes.
type responsePolicy struct {
	server   string          // the Server field value ("" for none)
	compress *compressPolicy // server-wide content coding; nil: only responses that opt in
}

// dateLine is a cached "Date: …\r\n" line and the second it was made for.
type dateLine struct {
	unix int64
	line []byte
}

// cachedDate holds the current Date line, remade at most once a second.
var cachedDate atomic.Pointer[dateLine]

// appendDate appends a "Date:" line in IMF-fixdate (RFC 9110 §5.6.7) for
// now (the zero time: the clock is read).
func appendDate(b []byte, now time.Time) []byte {
	if now.IsZero() {
		now = time.Now()
	}
	d := cachedDate.Load()
	if d == nil || d.unix != now.Unix() {
		line := now.UTC().AppendFormat([]byte("Date: "), "Mon, 02 Jan 2006 15:04:05 GMT")
		d = &dateLine{unix: now.Unix(), line: append(line, '\r', '\n')}
		cachedDate.Store(d)
	}
	return append(b, d.line...)
}
