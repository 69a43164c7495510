package tinyhttp

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// DefaultChunkedThreshold is the body length from which a response of known
// length is sent chunked instead of with Content-Length: 32768, like tiny-http.
const DefaultChunkedThreshold = 32768

// bodyKind says where a Response keeps its body.
type bodyKind uint8

const (
	bodyNone   bodyKind = iota // no body at all
	bodyString                 // in str
	bodyBytes                  // in data
	bodyReader                 // in reader
)

// Response is what a request is answered with: a status code, header fields
// and a body with a known or unknown length. Build one with NewResponse,
// FromString, FromData, FromFile or Empty, and adjust it with the With*
// methods, which change the response and return it for chaining.
//
// A Response is used once: Respond sends its body and closes it if it is an
// io.Closer.
type Response struct {
	status    StatusCode
	headers   []Header
	str       string
	data      []byte
	reader    io.Reader
	length    int64 // -1: unknown
	threshold int64

	file    *os.File  // set by FromFile: the body is this file
	modTime time.Time // of file

	inline [2]Header // backing array for headers, saving an allocation

	// Small fields together, so that the struct fits the 208-byte size class.
	trusted  int32 // headers[:trusted] were added by the library, valid by construction
	kind     bodyKind
	close    bool // the application asked for Connection: close
	compress bool // WithCompression: encode the body if the client accepts a coding
	flags    responseFlags
}

// responseFlags mark responses that follow net/http's conventions instead
// of tinyhttp's: those that Request.Handle builds from a ResponseWriter.
type responseFlags uint8

const (
	// fromHandler: no Server field and no server-wide compression (net/http
	// adds neither), Content-Length for any declared length, the request's
	// TE preference ignored, and no framing field on a HEAD response of
	// unknown length.
	fromHandler responseFlags = 1 << iota
	// noDate: the handler set a Date field without a value, asking for none.
	noDate
)

// NewResponse builds a response. length is the body's length in bytes, or a
// negative number when it is unknown (the body is then sent chunked, or
// close-delimited to an HTTP/1.0 client). headers follow WithHeader's rules.
func NewResponse(status StatusCode, headers []Header, body io.Reader, length int64) *Response {
	r := newResponse(status)
	r.setReader(body, length)
	for _, h := range headers {
		r.WithHeader(h)
	}
	return r
}

func newResponse(status StatusCode) *Response {
	r := &Response{status: status, length: 0, threshold: DefaultChunkedThreshold}
	r.headers = r.inline[:0]
	return r
}

// FromString builds a 200 response whose body is s, with
// "Content-Type: text/plain; charset=UTF-8", like tiny-http.
func FromString(s string) *Response {
	r := newResponse(StatusOK)
	r.kind, r.str, r.length = bodyString, s, int64(len(s))
	r.headers = append(r.headers, Header{Field: "Content-Type", Value: "text/plain; charset=UTF-8"})
	r.trusted = 1
	return r
}

// FromData builds a 200 response whose body is b, with no Content-Type.
// The response keeps b; do not change it until the response is sent.
func FromData(b []byte) *Response {
	r := newResponse(StatusOK)
	r.kind, r.data, r.length = bodyBytes, b, int64(len(b))
	return r
}

// FromFile builds a 200 response whose body is the file f, its length taken
// from f.Stat. The file is closed once the response is sent (or dropped by a
// closed connection). On plain TCP connections the file is sent with
// sendfile, without copying it through user space.
//
// Unlike tiny-http, a file of known length is sent with Content-Length
// whatever its size, not chunked from 32 KiB on: clients can show progress
// and resume, and sendfile applies. WithChunkedThreshold restores chunking.
// When it answers a request, the response applies the request's conditions
// and ranges (see API.md): Last-Modified, a strong ETag, Accept-Ranges, and
// 206, 304, 412 or 416 as RFC 9110 says.
func FromFile(f *os.File) *Response {
	length, modTime := int64(-1), time.Time{}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		length, modTime = fi.Size(), fi.ModTime()
	}
	return newFileResponse(f, length, modTime)
}

// newFileResponse is the one constructor of file responses (FromFile,
// ServeFile): f is the body, of length bytes (-1 unknown) last modified at
// modTime, sent with Content-Length whatever its size (see FromFile).
func newFileResponse(f *os.File, length int64, modTime time.Time) *Response {
	r := newResponse(StatusOK)
	r.threshold = math.MaxInt64 // Content-Length for any size: see FromFile
	r.setReader(f, length)
	r.file, r.modTime = f, modTime
	return r
}

// Empty builds a response with the given status and an empty body
// (Content-Length: 0 where a body is allowed).
func Empty(status StatusCode) *Response {
	return newResponse(status)
}

// WithStatusCode sets the status code.
func (r *Response) WithStatusCode(code StatusCode) *Response {
	r.status = code
	return r
}

// WithHeader adds a header field with tiny-http's rules: Transfer-Encoding,
// Trailer and Upgrade are dropped (the server owns framing, and
// Request.Upgrade adds its own Upgrade field to the 101), except that a
// response whose status is already 426 Upgrade Required keeps its Upgrade
// field, which must name the protocols (RFC 9110 §15.5.22); Connection is
// dropped except that a "close" token makes the server close the connection
// after this response;
// Content-Length sets the body length when it is a valid number (the body is
// cut to it, and a shorter body is an error); Content-Type replaces an earlier
// Content-Type. Other fields are appended, duplicates kept. Fields are
// validated when the response is sent: Respond fails on a name that is not a
// token or a value with CR, LF or NUL.
func (r *Response) WithHeader(h Header) *Response {
	switch {
	case h.Field.Equal("Transfer-Encoding"), h.Field.Equal("Trailer"):
	case h.Field.Equal("Upgrade"):
		if r.status == StatusUpgradeRequired {
			r.headers = append(r.headers, h)
		}
	case h.Field.Equal("Connection"):
		r.close = r.close || valueHasToken(h.Value, "close")
	case h.Field.Equal("Content-Length"):
		if n, ok := parseDecimal(trimOWS(h.Value)); ok {
			r.length = n
		}
	case h.Field.Equal("Content-Type"):
		for i := range r.headers {
			if r.headers[i].Field.Equal("Content-Type") {
				r.headers[i].Value = h.Value
				r.trusted = min(r.trusted, int32(i)) // the new value is the application's
				return r
			}
		}
		r.headers = append(r.headers, h)
	default:
		r.headers = append(r.headers, h)
	}
	return r
}

// WithData replaces the body with body, whose length is length bytes
// (negative: unknown).
func (r *Response) WithData(body io.Reader, length int64) *Response {
	r.file = nil
	r.setReader(body, length)
	return r
}

func (r *Response) setReader(body io.Reader, length int64) {
	r.str, r.data = "", nil
	if body == nil {
		r.kind, r.reader, r.length = bodyNone, nil, 0
		return
	}
	r.kind, r.reader = bodyReader, body
	r.length = max(length, -1)
}

// WithChunkedThreshold sets the body length from which a response of known
// length is sent chunked (to an HTTP/1.1 client). The default is 32768.
func (r *Response) WithChunkedThreshold(n int64) *Response {
	r.threshold = n
	return r
}

// StatusCode returns the status code.
func (r *Response) StatusCode() StatusCode { return r.status }

// Headers returns the header fields the application set, in order. The
// server adds Date, Server, Connection and the framing fields when sending.
func (r *Response) Headers() []Header { return r.headers }

// DataLength returns the body's length, when it is known.
func (r *Response) DataLength() (int64, bool) { return r.length, r.length >= 0 }

// ChunkedThreshold returns the body length from which the response is sent chunked.
func (r *Response) ChunkedThreshold() int64 { return r.threshold }

// closeBody releases the body if it holds a resource.
func (r *Response) closeBody() {
	if c, ok := r.reader.(io.Closer); ok {
		c.Close()
	}
}

// validate checks the response can answer a request: a final status
// (200–999; a 1xx is no answer, and Upgrade sends 101) and header fields
// that can be written safely.
func (r *Response) validate() error {
	if r.status < 200 || r.status > 999 {
		return fmt.Errorf("%w: status code %d is not a final status", ErrInvalidResponse, int(r.status))
	}
	return r.validateHeaders()
}

// validateHeaders checks every header field can be written safely.
func (r *Response) validateHeaders() error {
	for _, h := range r.headers[min(int(r.trusted), len(r.headers)):] {
		if err := h.validate(); err != nil {
			return err
		}
	}
	return nil
}
