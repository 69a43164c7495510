package tinyhttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// maxChunkSizeHexDigits is the longest chunk-size accepted: 15 hex digits
// keep every size below 2^60, so the sum of sizes cannot overflow int64 (F14).
const maxChunkSizeHexDigits = 15

// chunkedReader decodes a chunked body (RFC 9112 §7.1) from br. Extensions are
// checked and ignored; trailer fields are collected into trailers. Lines are
// bounded by maxLine, the trailer section by maxTrailerBytes and maxFields.
type chunkedReader struct {
	br        *bufio.Reader
	remaining int64 // bytes left in the current chunk; 0 between chunks
	started   bool  // a chunk is in progress (its CRLF is still due)
	done      bool
	err       error
	trailers  []Header
	lim       chunkLimits
}

// chunkLimits bounds a chunked body's framing lines.
type chunkLimits struct {
	maxLine     int // chunk-size line with its extensions
	maxTrailers int // bytes of the trailer section
	maxFields   int // trailer fields
}

func newChunkedReader(br *bufio.Reader, lim chunkLimits) *chunkedReader {
	return &chunkedReader{br: br, lim: lim}
}

// Read implements io.Reader over the decoded content.
func (cr *chunkedReader) Read(p []byte) (int, error) {
	if cr.err != nil {
		return 0, cr.err
	}
	if cr.done {
		return 0, io.EOF
	}
	if cr.remaining == 0 {
		if err := cr.nextChunk(); err != nil {
			cr.err = err
			return 0, err
		}
		if cr.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > cr.remaining {
		p = p[:cr.remaining]
	}
	n, err := cr.br.Read(p)
	cr.remaining -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		cr.err = err
	}
	return n, err
}

// nextChunk finishes the previous chunk's CRLF and reads the next size line;
// on the last chunk it reads the trailers.
func (cr *chunkedReader) nextChunk() error {
	if cr.started {
		if err := cr.readCRLF(); err != nil {
			return err
		}
	}
	line, _, err := readLine(cr.br, nil, cr.lim.maxLine, noBlocker{})
	if err != nil {
		return chunkReadError(err, "chunk-size line")
	}
	size, err := parseChunkSizeLine(line)
	if err != nil {
		return err
	}
	cr.started = true
	if size > 0 {
		cr.remaining = size
		return nil
	}
	cr.done = true
	return cr.readTrailers()
}

// readCRLF consumes the CRLF (or bare LF) that ends chunk data.
func (cr *chunkedReader) readCRLF() error {
	c, err := cr.br.ReadByte()
	if err == nil && c == '\r' {
		c, err = cr.br.ReadByte()
	}
	if err != nil {
		return chunkReadError(err, "chunk data end")
	}
	if c != '\n' {
		return fmt.Errorf("%w: chunk data not followed by CRLF", ErrMalformedChunk)
	}
	return nil
}

// readTrailers reads the trailer section after the last chunk (F16).
// Trailers are kept apart from the header fields and never affect framing.
func (cr *chunkedReader) readTrailers() error {
	total := 0
	for {
		line, n, err := readLine(cr.br, nil, cr.lim.maxTrailers-total, noBlocker{})
		total += n
		if err != nil {
			return chunkReadError(err, "trailer section")
		}
		if len(line) == 0 {
			return nil
		}
		if hasBareCR(line) {
			return fmt.Errorf("%w: bare CR in trailer", ErrMalformedChunk)
		}
		h, err := parseFieldLine(string(line))
		if err != nil {
			return fmt.Errorf("%w: trailer: %w", ErrMalformedChunk, err)
		}
		if len(cr.trailers) >= cr.lim.maxFields {
			return fmt.Errorf("%w: more than %d trailer fields", ErrMalformedChunk, cr.lim.maxFields)
		}
		cr.trailers = append(cr.trailers, h)
	}
}

// chunkReadError turns a line-reading error into the body's error.
func chunkReadError(err error, where string) error {
	switch err {
	case errLineTooLong:
		return fmt.Errorf("%w: %s too long", ErrMalformedChunk, where)
	case errBareCR:
		return fmt.Errorf("%w: bare CR in %s", ErrMalformedChunk, where)
	case io.EOF:
		return fmt.Errorf("%w: %s: %w", ErrMalformedChunk, where, io.ErrUnexpectedEOF)
	}
	return err
}

// parseChunkSizeLine parses chunk-size [ chunk-ext ] (RFC 9112 §7.1, §7.1.1):
// 1 to 15 hex digits, then extensions that are well-formed but ignored (F12,
// F13, F14).
func parseChunkSizeLine(line []byte) (int64, error) {
	i, significant := 0, 0
	var size int64
	for ; i < len(line) && isHex(line[i]); i++ {
		if size > 0 || line[i] != '0' {
			significant++ // leading zeros cannot overflow
		}
		if significant > maxChunkSizeHexDigits {
			return 0, fmt.Errorf("%w: chunk size has more than %d hex digits", ErrMalformedChunk, maxChunkSizeHexDigits)
		}
		size = size<<4 | int64(unhex(line[i]))
	}
	if i == 0 {
		return 0, fmt.Errorf("%w: invalid chunk size %q", ErrMalformedChunk, line)
	}
	if err := checkChunkExtensions(string(line[i:])); err != nil {
		return 0, err
	}
	return size, nil
}

// checkChunkExtensions validates *( BWS ";" BWS name [ BWS "=" BWS value ] ):
// whitespace is allowed only before and after ";" and "=", so that a size
// followed by whitespace alone ("a \r\n"), or whitespace at the end of an
// extension, is malformed (RFC 9112 §7.1, §7.1.1).
func checkChunkExtensions(ext string) error {
	for ext != "" {
		if ext = trimLeadingOWS(ext); ext == "" || ext[0] != ';' {
			return fmt.Errorf("%w: bad chunk extension %q", ErrMalformedChunk, ext)
		}
		var name string
		name, ext = cutToken(trimLeadingOWS(ext[1:]))
		if name == "" {
			return fmt.Errorf("%w: empty chunk extension name", ErrMalformedChunk)
		}
		rest := trimLeadingOWS(ext)
		if rest == "" || rest[0] != '=' {
			continue // the next extension's ";", or whitespace left dangling (rejected above)
		}
		var ok bool
		if ext, ok = cutExtensionValue(trimLeadingOWS(rest[1:])); !ok {
			return fmt.Errorf("%w: bad chunk extension value", ErrMalformedChunk)
		}
	}
	return nil
}

// trimLeadingOWS removes the spaces and tabs at the start of s.
func trimLeadingOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// cutToken splits s after its leading token characters.
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && isToken(s[i:i+1]) {
		i++
	}
	return s[:i], s[i:]
}

// cutExtensionValue consumes a token or a quoted-string from the front of s.
// A quoted-pair's escaped byte is held to the same bytes as qdtext (RFC 9110
// §5.6.4), so that a backslash cannot smuggle a control byte or a bare CR.
func cutExtensionValue(s string) (rest string, ok bool) {
	if s == "" {
		return "", false
	}
	if s[0] != '"' {
		tok, rest := cutToken(s)
		return rest, tok != ""
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[i+1:], true
		case !isQuotedTextByte(c):
			return "", false
		case c == '\\' && i+1 < len(s):
			if i++; !isQuotedTextByte(s[i]) {
				return "", false
			}
		}
	}
	return "", false
}

// isQuotedTextByte reports whether c may stand in a quoted-string, as qdtext
// or after a quoted-pair's backslash: HTAB, SP, VCHAR or obs-text (RFC 9110
// §5.6.4).
func isQuotedTextByte(c byte) bool { return c == '\t' || (c >= ' ' && c != 0x7f) }

func isHex(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// responseChunkSize is the size of the chunks a streamed response is cut
// into: 8 KiB, like tiny-http, big enough that the per-chunk framing is noise.
const responseChunkSize = 8 << 10

// chunkedWriter encodes a response body in chunks on w. Close writes the last
// chunk; it does not close w.
type chunkedWriter struct {
	w *bufio.Writer
}

// Write sends p as one or more chunks of at most responseChunkSize bytes.
func (cw chunkedWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), responseChunkSize)
		if err := cw.writeChunk(p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

func (cw chunkedWriter) writeChunk(p []byte) error {
	cw.w.Write(appendChunkSize(cw.w.AvailableBuffer(), len(p)))
	cw.w.Write(p)
	_, err := cw.w.WriteString("\r\n")
	return err
}

// Close writes the last chunk and the empty trailer section.
func (cw chunkedWriter) Close() error {
	_, err := cw.w.WriteString("0\r\n\r\n")
	return err
}

// copyChunked streams r to w as chunks of up to responseChunkSize bytes,
// using buf (at least responseChunkSize long) to read into.
func copyChunked(cw chunkedWriter, r io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := io.ReadFull(r, buf[:responseChunkSize])
		if n > 0 {
			if werr := cw.writeChunk(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return total, nil
		case err != nil:
			return total, err
		}
	}
}

// appendChunkSize appends a chunk-size line for n bytes of data.
func appendChunkSize(b []byte, n int) []byte {
	return append(appendHex(b, uint64(n)), '\r', '\n')
}

func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	if v == 0 {
		return append(b, '0')
	}
	var tmp [16]byte
	i := len(tmp)
	for v > 0 {
		i--
		tmp[i] = digits[v&0xf]
		v >>= 4
	}
	return append(b, tmp[i:]...)
}

// errNoTEPreference means the request's TE field names neither chunked nor
// identity, so the server chooses.
var errNoTEPreference = errors.New("no TE preference")

// transferPreference reads the request's TE field like tiny-http: the coding
// with the highest q-value among "chunked" and "identity" wins; q=0 refuses.
func transferPreference(headers []Header) (chunked bool, err error) {
	bestQ := 0.0
	found := false
	for _, h := range headers {
		if !h.Field.Equal("TE") {
			continue
		}
		for _, elem := range strings.Split(h.Value, ",") {
			name, q := parseQValue(elem)
			isChunked := asciiEqualFold(name, "chunked")
			if (!isChunked && !asciiEqualFold(name, "identity")) || q <= 0 || q <= bestQ {
				continue
			}
			bestQ, found, chunked = q, true, isChunked
		}
	}
	if !found {
		return false, errNoTEPreference
	}
	return chunked, nil
}

// parseQValue splits "name;q=0.5" into the name and its q-value (1 when absent,
// 0 when malformed, so that a malformed weight never selects a coding).
func parseQValue(elem string) (string, float64) {
	name, params, _ := strings.Cut(elem, ";")
	q := 1.0
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(trimOWS(p), "=")
		if ok && asciiEqualFold(trimOWS(k), "q") {
			q = parseQ(trimOWS(v))
		}
	}
	return trimOWS(name), q
}

// parseQ parses a qvalue (RFC 9110 §12.4.2): "0" to "1" with up to three
// decimals; anything else is 0.
func parseQ(s string) float64 {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0
	}
	q := float64(s[0] - '0')
	if len(s) == 1 {
		return q
	}
	if s[1] != '.' {
		return 0
	}
	scale := 0.1
	for i := 2; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0
		}
		q += float64(s[i]-'0') * scale
		scale /= 10
	}
	return math.Min(q, 1)
}
