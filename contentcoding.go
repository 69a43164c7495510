package tinyhttp

// Content codings (RFC 9110 §8.4): gzip and deflate for responses, chosen
// from the request's Accept-Encoding (§12.5.3), and decoding of request
// bodies sent with a Content-Encoding. The compressors are those of
// github.com/klauspost/compress: on 64 KiB of HTML or JSON, its default
// level compresses seven times faster than compress/gzip's, for output 9%
// larger, and as fast as compress/gzip's level 1, for output 15% smaller
// (BenchmarkCompressor in contentcoding_bench_test.go).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// Defaults of CompressionConfig and of ServerConfig.MaxDecodedBodyBytes.
const (
	// DefaultCompressionLevel is the level responses are compressed at: 5,
	// the default of the compressor (klauspost/compress), whose output is
	// within 10% of compress/gzip's level 6 for an eighth of its CPU time.
	// Level 6 takes about 15% more time for 3–4% less output.
	DefaultCompressionLevel = 5
	// DefaultCompressionMinSize is the body length below which a response is
	// not compressed by the server-wide policy: 1 KiB. Below it the gzip
	// framing (18 bytes) and the CPU time outweigh the bytes saved, and the
	// response fits in one TCP segment anyway.
	DefaultCompressionMinSize = 1 << 10
	// DefaultMaxDecodedBodyBytes bounds what Request.DecodedBody decodes:
	// 16 MiB, far above a form or a JSON document, far below what a
	// decompression bomb (1000:1 and more) would inflate to.
	DefaultMaxDecodedBodyBytes = 16 << 20
)

// ErrUnsupportedContentEncoding is returned by Request.DecodedBody for a
// request body in a content coding other than gzip, x-gzip, deflate and
// identity, or in more than one coding. The application should answer 415
// (StatusForError does), preferably with "Accept-Encoding: gzip, deflate" to
// say what it accepts (RFC 9110 §12.5.3, §15.5.16).
var ErrUnsupportedContentEncoding = errors.New("tinyhttp: unsupported content encoding")

// CompressionConfig is the server-wide compression policy
// (ServerConfig.Compression). A response is compressed when the client
// accepts gzip or deflate (gzip preferred), its Content-Type is one of
// Types, its length is unknown or at least MinSize, and it is eligible (see
// Response.WithCompression for the rules every compressed response obeys).
// The zero value compresses DefaultCompressibleTypes from 1 KiB at
// DefaultCompressionLevel.
type CompressionConfig struct {
	// Types lists the media types to compress: "type/subtype" exactly,
	// "type/*" for every subtype, "type/*+suffix" for a structured syntax
	// suffix (RFC 6839, e.g. "application/*+json"), "*/*" for everything.
	// Case and parameters of the response's Content-Type are ignored, and
	// a response without Content-Type is not compressed. text/event-stream
	// is never compressed by the policy: its events must reach the client
	// as they are written. nil: DefaultCompressibleTypes().
	Types []string
	// MinSize is the smallest body length compressed; a body of unknown
	// length is always compressed. 0: DefaultCompressionMinSize (1 KiB);
	// negative: no minimum.
	MinSize int64
	// Level is the compression level, from 1 (fastest) to 9 (smallest
	// output). 0 or negative: DefaultCompressionLevel; above 9: 9.
	Level int
}

// DefaultCompressibleTypes returns the media types the server-wide policy
// compresses by default: text, JSON, JavaScript, XML, SVG, WebAssembly and
// the uncompressed font and image formats. Already compressed formats (PNG,
// JPEG, WOFF2, zip, video) are left out: compressing them again wastes CPU.
func DefaultCompressibleTypes() []string {
	return []string{
		"text/*",
		"application/json", "application/*+json", "application/x-ndjson",
		"application/javascript", "application/x-javascript", "application/ecmascript",
		"application/xml", "application/*+xml",
		"application/yaml", "application/toml", "application/graphql",
		"application/wasm",
		"image/svg+xml", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon",
		"font/ttf", "font/otf", "application/vnd.ms-fontobject",
	}
}

// compressPolicy is CompressionConfig with its defaults applied.
type compressPolicy struct {
	types   []mediaPattern
	minSize int64 // 0: no minimum
	level   int   // 1 to 9
}

// policy resolves cc; a nil cc gives a nil policy (only responses that opt
// in are compressed).
func (cc *CompressionConfig) policy() *compressPolicy {
	if cc == nil {
		return nil
	}
	types := cc.Types
	if types == nil {
		types = DefaultCompressibleTypes()
	}
	p := &compressPolicy{minSize: cc.MinSize, level: compressionLevel(cc.Level)}
	switch {
	case cc.MinSize == 0:
		p.minSize = DefaultCompressionMinSize
	case cc.MinSize < 0:
		p.minSize = 0
	}
	for _, t := range types {
		if m, ok := parseMediaPattern(t); ok {
			p.types = append(p.types, m)
		}
	}
	return p
}

// compressionLevel maps a configured level to 1–9.
func compressionLevel(l int) int {
	switch {
	case l <= 0:
		return DefaultCompressionLevel
	case l > flate.BestCompression:
		return flate.BestCompression
	}
	return l
}

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

// mediaPattern is one entry of CompressionConfig.Types.
type mediaPattern struct {
	typ, sub string // "*" matches anything
	suffix   string // "+json" for "*+json": any subtype with that suffix
}

func parseMediaPattern(s string) (mediaPattern, bool) {
	typ, sub, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || typ == "" || sub == "" {
		return mediaPattern{}, false
	}
	m := mediaPattern{typ: typ, sub: sub}
	if strings.HasPrefix(sub, "*+") {
		m.sub, m.suffix = "", sub[1:]
	}
	return m, true
}

// match reports whether the media type typ/sub (without parameters) fits.
func (m mediaPattern) match(typ, sub string) bool {
	if m.typ != "*" && !asciiEqualFold(m.typ, typ) {
		return false
	}
	switch {
	case m.suffix != "":
		return len(sub) > len(m.suffix) && asciiEqualFold(sub[len(sub)-len(m.suffix):], m.suffix)
	case m.sub == "*":
		return true
	}
	return asciiEqualFold(m.sub, sub)
}

// selects reports whether the policy compresses r, judging by its media
// type and length.
func (p *compressPolicy) selects(r *Response) bool {
	if r.length >= 0 && r.length < p.minSize {
		return false
	}
	ct, ok := headerValue(r.headers, "Content-Type")
	if !ok {
		return false
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	typ, sub, _ := strings.Cut(trimOWS(ct), "/")
	if asciiEqualFold(typ, "text") && asciiEqualFold(sub, "event-stream") {
		return false
	}
	for _, m := range p.types {
		if m.match(typ, sub) {
			return true
		}
	}
	return false
}

// WithCompression asks for the body to be compressed with gzip or deflate
// when the client accepts one of them (Accept-Encoding; gzip is preferred
// on a tie), whatever the server-wide policy says about its type and size.
//
// Every compressed response, opted in or chosen by ServerConfig.Compression,
// obeys the same rules. It gets "Vary: Accept-Encoding", also when the
// client accepted no coding and the body goes out as it is. Its length
// becomes unknown: it is sent chunked to HTTP/1.1 clients and
// close-delimited to HTTP/1.0 ones. A strong ETag is made weak (W/"…"), so
// that If-None-Match still matches while If-Match and If-Range, which need
// byte-for-byte identity, no longer do, and Accept-Ranges is removed. A HEAD
// response gets the headers a GET would (Content-Encoding, Vary, no
// Content-Length) and no body. These responses are never compressed: 1xx,
// 204, 206 and 304; those with an empty body; those with a Content-Encoding
// already (the application encoded the body itself, or opted out with
// "Content-Encoding: identity"), a Content-Range, a Content-Digest or
// Repr-Digest (it would no longer match), or Cache-Control: no-transform.
//
// The body is compressed as it is sent, in pieces: it is never held whole
// in memory. A streamed body reaches the client in the compressor's blocks
// (tens of KiB), not in the application's writes.
func (r *Response) WithCompression() *Response {
	r.compress = true
	return r
}

// coding is a content coding the server can apply.
type coding uint8

const (
	codingIdentity coding = iota
	codingGzip
	codingDeflate // the zlib format (RFC 1950), as RFC 9110 §8.4.1.2 defines "deflate"
)

// String returns the coding's name on the wire.
func (c coding) String() string {
	switch c {
	case codingGzip:
		return "gzip"
	case codingDeflate:
		return "deflate"
	}
	return "identity"
}

// qUnlisted marks a coding that Accept-Encoding does not name.
const qUnlisted = -1

// negotiateEncoding picks the coding for a response from the request's
// Accept-Encoding value (RFC 9110 §12.5.3). No field, or an empty one,
// means identity. Otherwise the acceptable coding with the highest q-value
// wins, gzip before deflate before identity on a tie. A coding not listed
// takes the weight of "*" if present and is refused if not; q=0 refuses
// (so "*;q=0" refuses every coding not listed); a malformed weight counts as
// q=0. identity is acceptable unless refused, but below any named coding
// when not listed itself; when even identity is refused and no coding is
// acceptable, identity is sent anyway (the RFC allows it: no 406). A coding
// listed twice keeps its highest weight. "x-gzip" is gzip (§8.4.1.3). It
// never allocates.
func negotiateEncoding(accept string) coding {
	if accept == "" {
		return codingIdentity
	}
	qGzip, qDeflate, qIdentity, qStar := float64(qUnlisted), float64(qUnlisted), float64(qUnlisted), float64(qUnlisted)
	for accept != "" {
		var elem string
		elem, accept, _ = strings.Cut(accept, ",")
		name, q := parseQValue(elem)
		switch {
		case asciiEqualFold(name, "gzip"), asciiEqualFold(name, "x-gzip"):
			qGzip = max(qGzip, q)
		case asciiEqualFold(name, "deflate"):
			qDeflate = max(qDeflate, q)
		case asciiEqualFold(name, "identity"):
			qIdentity = max(qIdentity, q)
		case name == "*":
			qStar = max(qStar, q)
		}
	}
	if qGzip == qUnlisted {
		qGzip = qStar
	}
	if qDeflate == qUnlisted {
		qDeflate = qStar
	}
	if qIdentity == qUnlisted {
		qIdentity = qStar // unlisted and no "*": acceptable, but last (below any q > 0)
	}
	best, bestQ := codingGzip, qGzip
	if qDeflate > qGzip {
		best, bestQ = codingDeflate, qDeflate
	}
	if bestQ <= 0 || bestQ < qIdentity {
		return codingIdentity
	}
	return best
}

// contentCodable reports whether r may be content-coded at all, whatever
// the client accepts, when it answers exchange x.
func contentCodable(r *Response, x *exchange) bool {
	if !r.status.bodyAllowed() || r.status == StatusPartialContent || r.length == 0 {
		return false
	}
	switch r.kind {
	case bodyNone:
		if !x.head {
			return false // a declared length without a body: the writer reports it
		}
	case bodyString:
		if r.length > int64(len(r.str)) {
			return false // shorter than declared: the writer reports it
		}
	case bodyBytes:
		if r.length > int64(len(r.data)) {
			return false
		}
	}
	for _, h := range r.headers {
		switch {
		case h.Field.Equal("Content-Encoding"), h.Field.Equal("Content-Range"),
			h.Field.Equal("Content-Digest"), h.Field.Equal("Repr-Digest"):
			return false
		case h.Field.Equal("Cache-Control") && valueHasToken(h.Value, "no-transform"):
			return false
		}
	}
	return true
}

// applyContentCoding returns the response to send for exchange x: r itself,
// or r with its body encoded as the client accepts. r is changed in place
// (a Response is used once). It runs before the framing is chosen.
func applyContentCoding(r *Response, x *exchange, p *compressPolicy) *Response {
	if (!r.compress && p == nil) || !contentCodable(r, x) {
		return r
	}
	if !r.compress && !p.selects(r) {
		return r
	}
	r.addVaryAcceptEncoding()
	c := negotiateEncoding(x.acceptEnc)
	if c == codingIdentity {
		return r
	}
	level := DefaultCompressionLevel
	if p != nil {
		level = p.level
	}
	if !x.head {
		r.encodeBody(c, level) // first: it needs the declared length
	}
	r.markEncoded(c)
	return r
}

// addVaryAcceptEncoding adds "Vary: Accept-Encoding" unless a Vary field
// already names it or is "*".
func (r *Response) addVaryAcceptEncoding() {
	for _, h := range r.headers {
		if h.Field.Equal("Vary") && (valueHasToken(h.Value, "Accept-Encoding") || valueHasToken(h.Value, "*")) {
			return
		}
	}
	r.headers = append(r.headers, Header{Field: "Vary", Value: "Accept-Encoding"})
}

// markEncoded changes r's header fields for a body in coding c: it adds
// Content-Encoding, weakens strong ETags, drops Accept-Ranges (ranges of
// the encoded body are not offered) and makes the length unknown.
func (r *Response) markEncoded(c coding) {
	kept := r.headers[:0]
	for _, h := range r.headers {
		switch {
		case h.Field.Equal("Accept-Ranges"):
			continue
		case h.Field.Equal("ETag") && strings.HasPrefix(h.Value, `"`):
			h.Value = "W/" + h.Value
		}
		kept = append(kept, h)
	}
	r.headers = append(kept, Header{Field: "Content-Encoding", Value: c.String()})
	r.length = -1
}

// encodeBody replaces r's body with a reader of its compressed form. The
// original body is closed when the new one is.
func (r *Response) encodeBody(c coding, level int) {
	e := &encoder{coding: c, level: level, declared: r.length}
	switch r.kind {
	case bodyString:
		e.str = r.str
	case bodyBytes:
		e.data = r.data
	case bodyReader:
		e.orig = r.reader
		e.lim = io.LimitedReader{R: r.reader, N: math.MaxInt64} // cut below when the length is known
		if r.length >= 0 {
			e.lim.N = r.length
		}
	}
	if r.length >= 0 {
		e.str, e.data = e.str[:min(int64(len(e.str)), r.length)], e.data[:min(int64(len(e.data)), r.length)]
	}
	r.kind, r.reader, r.str, r.data, r.file = bodyReader, e, "", nil, nil
	r.length = -1
}

// encodeStep is how much of the body goes to the compressor at a time:
// 32 KiB, the deflate window, so that each step lets the compressor emit a
// block while the compressed bytes waiting to be read stay few.
const encodeStep = 32 << 10

// encoder reads a response body through a compressor: each Read hands out
// compressed bytes, feeding the compressor one step of the body when it has
// none left. It needs no goroutine and holds at most one step of input and
// the output of one step.
type encoder struct {
	coding   coding
	level    int
	str      string           // in-memory body not yet compressed (FromString)
	data     []byte           // in-memory body not yet compressed (FromData)
	orig     io.Reader        // streamed body, closed by Close; nil for in-memory ones
	lim      io.LimitedReader // orig, cut to the declared length
	declared int64            // the body's declared length, -1 unknown
	st       *encState        // compressor and buffers, from a pool; nil when done
	out      []byte           // compressed bytes not yet read (in st.out)
	err      error            // sticky: io.EOF once all is read, or the failure
}

// encState is the pooled part of an encoder: the compressor and its
// buffers, reused through Reset.
type encState struct {
	zw  resetWriter
	out sliceWriter // where zw writes
	in  []byte      // encodeStep bytes, to read a streamed body into
}

// resetWriter is a gzip or zlib writer.
type resetWriter interface {
	io.WriteCloser
	Reset(io.Writer)
}

// sliceWriter appends what is written to b.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// encPools holds encStates by coding (gzip, deflate) and level (1 to 9).
var encPools [2][flate.BestCompression + 1]sync.Pool

// getEncState takes a compressor for c at level from its pool, or makes one.
func getEncState(c coding, level int) *encState {
	pool := &encPools[c-codingGzip][level]
	if st, ok := pool.Get().(*encState); ok {
		st.zw.Reset(&st.out)
		return st
	}
	st := &encState{}
	var err error
	if c == codingGzip {
		st.zw, err = gzip.NewWriterLevel(&st.out, level)
	} else {
		st.zw, err = zlib.NewWriterLevel(&st.out, level)
	}
	if err != nil {
		panic(err) // level is 1–9, which both accept
	}
	return st
}

// putEncState returns st to its pool.
func putEncState(c coding, level int, st *encState) {
	st.zw.Reset(io.Discard) // forget the last stream's writer
	st.out.b = st.out.b[:0]
	encPools[c-codingGzip][level].Put(st)
}

// Read returns compressed bytes.
func (e *encoder) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.st == nil {
			e.st = getEncState(e.coding, e.level)
		}
		e.step()
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	if len(e.out) == 0 && e.err == io.EOF {
		e.release()
	}
	return n, nil
}

// step feeds the compressor one step of the body, or closes it at the end.
func (e *encoder) step() {
	st := e.st
	st.out.b = st.out.b[:0]
	if st.in == nil && e.data == nil {
		st.in = make([]byte, encodeStep)
	}
	var err error
	switch {
	case e.str != "":
		n := copy(st.in, e.str) // the compressors have no WriteString
		_, err = st.zw.Write(st.in[:n])
		e.str = e.str[n:]
	case len(e.data) > 0:
		n := min(len(e.data), encodeStep)
		_, err = st.zw.Write(e.data[:n])
		e.data = e.data[n:]
	case e.orig != nil:
		var n int
		n, err = e.lim.Read(st.in)
		if n > 0 {
			if _, werr := st.zw.Write(st.in[:n]); werr != nil {
				err = werr
			}
		}
		if err == io.EOF {
			err = e.checkLength()
			if err == nil {
				err = st.zw.Close()
				e.orig = nil
				e.err = io.EOF
			}
		}
	default:
		err = st.zw.Close()
		e.err = io.EOF
	}
	if err != nil && err != io.EOF {
		e.err = err
	}
	e.out = st.out.b
}

// checkLength reports a streamed body that ended before, or went on past,
// its declared length, as the uncompressed writer does.
func (e *encoder) checkLength() error {
	if e.declared < 0 {
		return nil
	}
	if e.lim.N > 0 {
		return fmt.Errorf("%w: %d bytes for a declared %d", ErrBodyLength, e.declared-e.lim.N, e.declared)
	}
	var probe [1]byte
	if m, _ := io.ReadFull(e.lim.R, probe[:]); m > 0 {
		return fmt.Errorf("%w: more than the declared %d bytes", ErrBodyLength, e.declared)
	}
	return nil
}

// release returns the compressor to its pool.
func (e *encoder) release() {
	if e.st != nil {
		putEncState(e.coding, e.level, e.st)
		e.st, e.out = nil, nil
	}
}

// Close closes the original body and releases the compressor; the encoder
// reads nothing more.
func (e *encoder) Close() error {
	var err error
	if c, ok := e.lim.R.(io.Closer); ok {
		err = c.Close()
	}
	e.release()
	e.lim.R, e.orig, e.str, e.data = nil, nil, "", nil
	if e.err == nil {
		e.err = io.ErrClosedPipe
	}
	return err
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
	limit := int64(DefaultMaxDecodedBodyBytes)
	if cn, ok := r.answer.(*conn); ok {
		limit = cn.srv.cfg.maxDecodedBodyBytes
	}
	return &decoder{src: sourceReader{r: r.Body()}, coding: c, limit: limit}, nil
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

// StatusForError returns the status code an application should answer with
// when reading a request body failed with err: 413 for ErrBodyTooLarge
// (MaxBodyBytes, or MaxDecodedBodyBytes in DecodedBody), 415 for
// ErrUnsupportedContentEncoding, 400 for ErrMalformedRequest (including a
// corrupt chunked or compressed body) and a truncated body, 408 for a body
// that timed out, the matching code for the library's other request errors
// (414, 431, 501, 505, 417) and 500 for anything else. A nil err gives 200.
//
//	body, err := req.DecodedBody()
//	if err == nil {
//		data, err = io.ReadAll(body)
//	}
//	if err != nil {
//		req.Respond(tinyhttp.Empty(tinyhttp.StatusForError(err)))
//	}
func StatusForError(err error) StatusCode {
	var ne net.Error
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrBodyTooLarge):
		return StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupportedContentEncoding):
		return StatusUnsupportedMediaType
	case errors.Is(err, ErrMalformedRequest), errors.Is(err, io.ErrUnexpectedEOF):
		return StatusBadRequest
	case errors.Is(err, ErrRequestLineTooLong):
		return StatusRequestURITooLong
	case errors.Is(err, ErrHeaderTooLarge):
		return StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, ErrUnsupportedTransferCoding):
		return StatusNotImplemented
	case errors.Is(err, ErrVersionNotSupported):
		return StatusHTTPVersionNotSupported
	case errors.Is(err, ErrExpectationFailed):
		return StatusExpectationFailed
	case errors.As(err, &ne) && ne.Timeout():
		return StatusRequestTimeout
	}
	return StatusInternalServerError
}
