package httpfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
)

// boundaryBytes is the number of random bytes in a NewBoundary boundary. A boundary must not occur
// in the content, and a file may be written by an attacker who has seen earlier boundaries: 128
// random bits make a match impossible in practice, in 32 characters, well under RFC 2046's 70.
const boundaryBytes = 16

// maxBoundaryLen is the longest boundary RFC 2046 §5.1.1 allows.
const maxBoundaryLen = 70

// copyBufSize is the buffer WriteTo uses when the destination cannot read from a reader itself;
// io.Copy's size.
const copyBufSize = 32 * 1024

// NewBoundary returns a fresh random multipart boundary of 32 hexadecimal digits.
func NewBoundary() string {
	var b [boundaryBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// ErrShortFile is returned while streaming a multipart body when the file ends before a range
// does (it was truncated after the response was decided); the response must then be aborted, since
// its Content-Length can no longer be honoured.
var ErrShortFile = errors.New("httpfile: file shorter than its ranges")

// A MultipartBody is a multipart/byteranges body (RFC 9110 §14.6) that streams its parts from an
// io.ReaderAt. Its length is known in advance (Len), so it can be sent with a Content-Length.
//
// Each part carries the Content-Type given to NewMultipartBody (if not empty) and its own
// Content-Range; parts appear in the order of the ranges. The layout is that of mime/multipart:
//
//	--B CRLF Content-Type: T CRLF Content-Range: bytes a-b/N CRLF CRLF <data>
//	CRLF --B CRLF ... CRLF CRLF <data> CRLF --B-- CRLF
//
// A MultipartBody reads the file with ReadAt only, so several bodies may share one *os.File. It
// is not safe for concurrent use by several goroutines.
type MultipartBody struct {
	r           io.ReaderAt
	size        int64
	contentType string
	boundary    string
	ranges      []Range
	length      int64

	// Streaming state. hdr[hdrOff:] is framing still to be produced, then remaining bytes of the
	// file from offset off; next is the index of the part to set up after that (len(ranges) for
	// the closing delimiter, len(ranges)+1 when everything has been set up).
	hdr       []byte
	hdrOff    int
	off       int64
	remaining int64
	next      int
}

// NewMultipartBody returns a multipart/byteranges body of the given ranges of r, a representation
// of size bytes whose Content-Type is contentType (empty: the parts carry none). The boundary must
// be 1 to 70 characters from [0-9A-Za-z'+_.-] (so that it needs no quoting in the Content-Type);
// NewBoundary makes a good one. Every range must satisfy 0 <= First <= Last < size, and there must
// be at least one (though a single range should be sent without multipart, RFC 9110 §14.6).
// The body keeps ranges; the caller must not change them while it is in use.
func NewMultipartBody(r io.ReaderAt, size int64, contentType string, ranges []Range, boundary string) (*MultipartBody, error) {
	if len(boundary) == 0 || len(boundary) > maxBoundaryLen {
		return nil, fmt.Errorf("httpfile: multipart boundary length %d outside 1..%d", len(boundary), maxBoundaryLen)
	}
	for i := 0; i < len(boundary); i++ {
		if !isBoundaryChar(boundary[i]) {
			return nil, fmt.Errorf("httpfile: invalid character %q in multipart boundary", boundary[i])
		}
	}
	for i := 0; i < len(contentType); i++ {
		if c := contentType[i]; c < ' ' && c != '\t' || c == 0x7f {
			return nil, fmt.Errorf("httpfile: control character %q in content type", c)
		}
	}
	if len(ranges) == 0 {
		return nil, errors.New("httpfile: multipart body without ranges")
	}
	b := &MultipartBody{r: r, size: size, contentType: contentType, boundary: boundary, ranges: ranges}
	total := int64(b.closingLen())
	hdrCap := b.closingLen()
	for i, rg := range ranges {
		if rg.First < 0 || rg.First > rg.Last || rg.Last >= size {
			return nil, fmt.Errorf("httpfile: range %d-%d outside a representation of %d bytes", rg.First, rg.Last, size)
		}
		hdrLen := b.partHeaderLen(i)
		hdrCap = max(hdrCap, hdrLen)
		for _, n := range [2]int64{int64(hdrLen), rg.Length()} {
			if n > math.MaxInt64-total {
				return nil, errors.New("httpfile: multipart body longer than an int64")
			}
			total += n
		}
	}
	b.length = total
	b.hdr = make([]byte, 0, hdrCap)
	return b, nil
}

// isBoundaryChar reports whether c may appear in a boundary: bcharsnospace of RFC 2046 §5.1.1 that
// are also tchar (RFC 9110 §5.6.2), so the boundary parameter is a token.
func isBoundaryChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '\'' || c == '+' || c == '_' || c == '-' || c == '.'
}

// Len returns the exact length of the body in bytes, for Content-Length.
func (b *MultipartBody) Len() int64 { return b.length }

// ContentType returns the Content-Type of the response: "multipart/byteranges; boundary=B".
func (b *MultipartBody) ContentType() string {
	return "multipart/byteranges; boundary=" + b.boundary
}

// appendPartHeader appends the framing that precedes the data of part i.
func (b *MultipartBody) appendPartHeader(dst []byte, i int) []byte {
	if i > 0 {
		dst = append(dst, "\r\n"...) // the CRLF before a delimiter belongs to it (RFC 2046 §5.1.1)
	}
	dst = append(dst, "--"...)
	dst = append(dst, b.boundary...)
	dst = append(dst, "\r\n"...)
	if b.contentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, b.contentType...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Range: "...)
	dst = b.ranges[i].AppendContentRange(dst, b.size)
	return append(dst, "\r\n\r\n"...)
}

// partHeaderLen returns len(b.appendPartHeader(nil, i)) without building it.
func (b *MultipartBody) partHeaderLen(i int) int {
	n := len("--") + len(b.boundary) + len("\r\n")
	if i > 0 {
		n += len("\r\n")
	}
	if b.contentType != "" {
		n += len("Content-Type: ") + len(b.contentType) + len("\r\n")
	}
	rg := b.ranges[i]
	n += len("Content-Range: bytes ") + decLen(rg.First) + len("-") + decLen(rg.Last) + len("/") + decLen(b.size)
	return n + len("\r\n\r\n")
}

// closingLen returns the length of the close-delimiter "CRLF --B-- CRLF".
func (b *MultipartBody) closingLen() int { return len("\r\n--") + len(b.boundary) + len("--\r\n") }

// decLen returns the number of decimal digits of n >= 0.
func decLen(n int64) int {
	l := 1
	for n >= 10 {
		n /= 10
		l++
	}
	return l
}

// advance sets up the framing and data of the next part, or the closing delimiter. It returns
// false when everything has been produced.
func (b *MultipartBody) advance() bool {
	i := b.next
	switch {
	case i > len(b.ranges):
		return false
	case i == len(b.ranges):
		b.hdr = append(b.hdr[:0], "\r\n--"...)
		b.hdr = append(b.hdr, b.boundary...)
		b.hdr = append(b.hdr, "--\r\n"...)
		b.remaining = 0
	default:
		b.hdr = b.appendPartHeader(b.hdr[:0], i)
		b.off, b.remaining = b.ranges[i].First, b.ranges[i].Length()
	}
	b.hdrOff = 0
	b.next++
	return true
}

// Read reads the next bytes of the body. It returns ErrShortFile if the file ends before a range.
func (b *MultipartBody) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case b.hdrOff < len(b.hdr):
			c := copy(p[n:], b.hdr[b.hdrOff:])
			b.hdrOff += c
			n += c
		case b.remaining > 0:
			c, err := (*partReader)(b).Read(p[n:])
			n += c
			if err != nil {
				return n, err
			}
		case !b.advance():
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
	return n, nil
}

// WriteTo writes the rest of the body to w. The data of each part goes through w's ReadFrom when
// w has one (a bufio.Writer reads straight into its buffer), and otherwise through one buffer of
// at most 32 KiB allocated for the call. It returns ErrShortFile if the file ends before a range.
func (b *MultipartBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	var buf []byte
	_, isReaderFrom := w.(io.ReaderFrom)
	for {
		if b.hdrOff < len(b.hdr) {
			n, err := w.Write(b.hdr[b.hdrOff:])
			b.hdrOff += n
			total += int64(n)
			if err != nil {
				return total, err
			}
		}
		if b.remaining > 0 {
			if buf == nil && !isReaderFrom {
				buf = make([]byte, min(copyBufSize, b.maxRemainingPart()))
			}
			// io.CopyBuffer prefers w.ReadFrom when there is one, and partReader has no WriteTo.
			n, err := io.CopyBuffer(w, (*partReader)(b), buf)
			total += n
			if err != nil {
				return total, err
			}
		}
		if !b.advance() {
			return total, nil
		}
	}
}

// maxRemainingPart returns the length of the longest part not yet fully written.
func (b *MultipartBody) maxRemainingPart() int64 {
	m := b.remaining
	for _, rg := range b.ranges[min(b.next, len(b.ranges)):] {
		m = max(m, rg.Length())
	}
	return m
}

// partReader reads the data of the current part of a MultipartBody, then reports io.EOF.
type partReader MultipartBody

func (pr *partReader) Read(p []byte) (int, error) {
	if pr.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > pr.remaining {
		p = p[:pr.remaining]
	}
	n, err := pr.r.ReadAt(p, pr.off)
	pr.off += int64(n)
	pr.remaining -= int64(n)
	switch {
	case n == len(p):
		return n, nil // a ReaderAt may return io.EOF with a full read at the end of the file
	case err == io.EOF:
		return n, ErrShortFile
	case err == nil && n == 0:
		return 0, io.ErrNoProgress // a ReaderAt that breaks its contract
	}
	return n, err
}
