package tinyhttp

// IntoWriter on HTTP/2: the application's HTTP/1.1-style response, its head
// parsed into the HEADERS frame and the rest streamed as DATA frames.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// intoWriter is Request.IntoWriter on HTTP/2: the application writes an
// HTTP/1.1-style response (status line, fields, blank line, body), as for a
// CGI program; its head becomes the HEADERS frame and the rest streams as
// DATA frames, each Write flushed.
func (st *h2Stream) intoWriter(*Request) (io.WriteCloser, error) {
	if !st.begin() {
		return nil, ErrConnectionClosed
	}
	return &h2RawWriter{st: st}, nil
}

// h2RawWriter is the writer IntoWriter returns on HTTP/2.
type h2RawWriter struct {
	st     *h2Stream
	head   []byte // the head so far, until its blank line
	inBody bool
	closed bool
}

// Write parses the head as it comes, then writes the body.
func (w *h2RawWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrConnectionClosed
	}
	if w.inBody {
		return w.writeBody(p)
	}
	w.head = append(w.head, p...)
	end := bytes.Index(w.head, []byte("\r\n\r\n"))
	if end < 0 {
		if len(w.head) > DefaultMaxHeaderBytes {
			return 0, fmt.Errorf("%w: raw response head above %d bytes", ErrInvalidResponse, DefaultMaxHeaderBytes)
		}
		return len(p), nil
	}
	if err := w.writeHead(w.head[:end+4]); err != nil {
		return 0, err
	}
	rest := w.head[end+4:]
	w.inBody, w.head = true, nil
	if _, err := w.writeBody(rest); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeHead turns the raw head into the stream's status and fields.
func (w *h2RawWriter) writeHead(head []byte) error {
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(head)))
	line, err := tr.ReadLine()
	if err != nil {
		return fmt.Errorf("%w: raw response: %w", ErrInvalidResponse, err)
	}
	_, rest, _ := strings.Cut(line, " ")
	codeText, _, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil || code < 200 || code > 999 {
		return fmt.Errorf("%w: raw status line %q", ErrInvalidResponse, line)
	}
	fields, err := tr.ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: raw response fields: %w", ErrInvalidResponse, err)
	}
	h := w.st.w.Header()
	for k, vv := range fields {
		for _, v := range vv {
			copyH2Fields(h, []Header{{Field: HeaderField(k), Value: v}})
		}
	}
	w.st.w.WriteHeader(code)
	return nil
}

// writeBody writes body bytes and flushes them.
func (w *h2RawWriter) writeBody(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := w.st.w.Write(p)
	if err == nil {
		err = http.NewResponseController(w.st.w).Flush()
	}
	return n, err
}

// Close ends the stream.
func (w *h2RawWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.st.end()
	if !w.inBody {
		return fmt.Errorf("%w: raw response ended inside its head", ErrInvalidResponse)
	}
	return nil
}
