package tinyhttp

// Request content codings: Request.DecodedBody undoes a gzip or deflate
// request body as the application reads it, bounded against decompression
// bombs.

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// DefaultMaxDecodedBodyBytes bounds what Request.DecodedBody decodes (the
// default of ServerConfig.MaxDecodedBodyBytes): 16 MiB, far above a form or
// a JSON document, far below what a decompression bomb (1000:1 and more)
// would inflate to.
const DefaultMaxDecodedBodyBytes = 16 << 20

// decodedLimit resolves ServerConfig.MaxDecodedBodyBytes: 0 means the
// default, a negative value no limit (returned as 0).
func decodedLimit(n int64) int64 {
	switch {
	case n == 0:
		return DefaultMaxDecodedBodyBytes
	case n < 0:
		return 0
	}
	return n
}

// DecodedBody returns the request body with its content coding undone
// (RFC 9110 §8.4): gzip (also "x-gzip") and deflate (the zlib format, or a
// raw deflate stream as some clients send) are decoded as the application
// reads; a body without Content-Encoding, or with "identity", is Body()
// itself. Call it once, instead of Body.
//
// The decoded body is bounded by ServerConfig.MaxDecodedBodyBytes (16 MiB
// by default): past it Read fails with an error wrapping ErrBodyTooLarge, so
// that a small compressed body inflating to gigabytes (a decompression
// bomb) costs no more than the bound. A body that is not valid in its
// coding fails with an error wrapping ErrMalformedRequest. An unknown
// coding, or more than one, gives an error wrapping
// ErrUnsupportedContentEncoding and no reader. An empty body is empty
// whatever its coding, as net/http's client has it. Answer with
// Empty(StatusForError(err)): 413, 400 and 415 respectively.
func (r *Request) DecodedBody() (io.Reader, error) {
	c, err := requestCoding(r.Headers())
	if err != nil || c == codingIdentity {
		if err != nil {
			return nil, err
		}
		return r.Body(), nil
	}
	return &decoder{src: sourceReader{r: r.Body()}, coding: c, limit: r.answer.decodedBodyLimit()}, nil
}

// requestCoding reads the request's Content-Encoding fields: identity, or
// exactly one coding the server can decode.
func requestCoding(headers []Header) (coding, error) {
	c := codingIdentity
	for _, h := range headers {
		if !h.Field.Equal("Content-Encoding") {
			continue
		}
		for v := h.Value; v != ""; {
			var name string
			name, v, _ = strings.Cut(v, ",")
			next := codingIdentity
			switch name = trimOWS(name); {
			case name == "", asciiEqualFold(name, "identity"):
				continue
			case asciiEqualFold(name, "gzip"), asciiEqualFold(name, "x-gzip"):
				next = codingGzip
			case asciiEqualFold(name, "deflate"):
				next = codingDeflate
			default:
				return codingIdentity, fmt.Errorf("%w: %q", ErrUnsupportedContentEncoding, name)
			}
			if c != codingIdentity {
				return codingIdentity, fmt.Errorf("%w: more than one coding (%s)", ErrUnsupportedContentEncoding, h.Value)
			}
			c = next
		}
	}
	return c, nil
}

// sourceReader is the encoded body; it remembers its error so that a
// failure of the body (a timeout, MaxBodyBytes) is told from one of the
// coding.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// decoder undoes a request body's content coding, up to limit bytes.
type decoder struct {
	src    sourceReader
	coding coding
	limit  int64 // 0: none
	zr     io.Reader
	n      int64 // decoded bytes so far
	err    error // sticky
}

// Gzip decoders are pooled: each holds a 32 KiB window and tables.
var gunzipPool sync.Pool

// Read returns decoded bytes.
func (d *decoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.zr == nil {
		if err := d.start(); err != nil {
			d.fail(err)
			return 0, d.err
		}
	}
	if d.limit > 0 && int64(len(p)) > d.limit-d.n+1 {
		p = p[:d.limit-d.n+1] // one byte past the limit tells "at" from "above"
	}
	n, err := d.zr.Read(p)
	d.n += int64(n)
	if d.limit > 0 && d.n > d.limit {
		n -= int(d.n - d.limit)
		d.n = d.limit
		err = fmt.Errorf("%w: decoded body above %d bytes", ErrBodyTooLarge, d.limit)
	}
	if err != nil {
		d.fail(err)
		return n, d.err
	}
	return n, nil
}

// start reads the coding's header and sets up its decompressor.
func (d *decoder) start() error {
	if d.coding == codingGzip {
		if zr, ok := gunzipPool.Get().(*gzip.Reader); ok {
			if err := zr.Reset(&d.src); err != nil {
				gunzipPool.Put(zr)
				return err
			}
			d.zr = zr
			return nil
		}
		zr, err := gzip.NewReader(&d.src)
		if err != nil {
			return err
		}
		d.zr = zr
		return nil
	}
	// deflate: the zlib format by RFC 9110 §8.4.1.2, but some clients send
	// a raw deflate stream; a zlib header (CM 8, a check that divides by 31)
	// tells them apart.
	var hdr [2]byte
	n, err := io.ReadFull(&d.src, hdr[:])
	if err != nil && err != io.ErrUnexpectedEOF {
		return err
	}
	body := io.MultiReader(strings.NewReader(string(hdr[:n])), &d.src)
	if n == 2 && hdr[0]&0x0f == 8 && hdr[0]>>4 <= 7 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
		zr, err := zlib.NewReader(body)
		if err != nil {
			return err
		}
		d.zr = zr
		return nil
	}
	d.zr = flate.NewReader(body)
	return nil
}

// fail records err, telling io.EOF, a failure of the body itself and a
// coding error (400) apart, and releases the decompressor.
func (d *decoder) fail(err error) {
	switch {
	case err == io.EOF, errors.Is(err, ErrBodyTooLarge):
		d.err = err
	case d.src.err != nil && d.src.err != io.EOF:
		d.err = d.src.err // the body failed; the coding is not to blame
	default:
		d.err = fmt.Errorf("%w: %s body: %w", ErrMalformedRequest, d.coding, err)
	}
	if zr, ok := d.zr.(*gzip.Reader); ok {
		gunzipPool.Put(zr)
	}
	d.zr = nil
}
