package tinyhttp

// Response content codings (RFC 9110 §8.4): gzip and deflate, chosen from
// the request's Accept-Encoding (§12.5.3), applied by the prepare step
// (prepare.go) and run as the body is written. Request bodies are decoded
// by decode.go. The compressors are those of
// github.com/klauspost/compress: on 64 KiB of HTML or JSON, its default
// level compresses seven times faster than compress/gzip's, for output 9%
// larger, and as fast as compress/gzip's level 1, for output 15% smaller
// (BenchmarkCompressor in contentcoding_bench_test.go).

import (
	"strings"

	"github.com/klauspost/compress/flate"
)

// Defaults of CompressionConfig.
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
)

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
// Content-Length) and no body. A FromFile response's 304 and 412 stand for
// the 200 it would have sent: they carry its Vary, and, when the client
// accepts a coding, its weak ETag (If-Match then fails unless "*") and no
// Accept-Ranges; its 206, a range of the uncoded file, carries the Vary and
// the strong ETag. These responses are never compressed: 1xx,
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

// codingFor reports how applyContentCoding treats r answering exchange x
// under policy p: whether r is compressible at all (it then varies on
// Accept-Encoding, whatever the client accepts), and the coding its body
// gets, identity when the client accepts none.
func codingFor(r *Response, x *exchange, p *compressPolicy) (compressible bool, c coding) {
	if (!r.compress && p == nil) || !contentCodable(r, x) {
		return false, codingIdentity
	}
	if !r.compress && !p.selects(r) {
		return false, codingIdentity
	}
	return true, negotiateEncoding(x.acceptEnc)
}

// applyContentCoding returns the response to send for exchange x: r itself,
// or r with its body encoded as the client accepts. r is changed in place
// (a Response is used once). It runs before the framing is chosen.
func applyContentCoding(r *Response, x *exchange, p *compressPolicy) *Response {
	compressible, c := codingFor(r, x, p)
	if !compressible {
		return r
	}
	r.addVaryAcceptEncoding()
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
// Content-Encoding, describes the encoded representation (markCodedVariant)
// and makes the length unknown.
func (r *Response) markEncoded(c coding) {
	r.markCodedVariant()
	r.headers = append(r.headers, Header{Field: "Content-Encoding", Value: c.String()})
	r.length = -1
}

// markCodedVariant changes r's header fields to describe a content-coded
// representation: it weakens strong ETags (the encoded bytes are not the
// ones a strong validator names) and drops Accept-Ranges (ranges of the
// encoded body are not offered). A 304 or 412 that stands for such a
// representation gets this and Vary, but no Content-Encoding: it has no
// content (RFC 9110 §15.4.5).
func (r *Response) markCodedVariant() {
	kept := r.headers[:0]
	for _, h := range r.headers {
		switch {
		case h.Field.Equal("Accept-Ranges"):
			continue
		case h.Field.Equal("ETag") && strings.HasPrefix(h.Value, `"`):
			h.Value = weakETag(h.Value)
		}
		kept = append(kept, h)
	}
	r.headers = kept
}

// weakETag returns the weak form of the strong entity-tag etag.
func weakETag(etag string) string { return "W/" + etag }
