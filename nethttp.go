package tinyhttp

// net/http on the pull model: Request.Handle runs an http.Handler on a
// request, with the *http.Request that net/http's own server would build
// from the same bytes, and a ResponseWriter that behaves like net/http's
// (responsewriter.go); Server.ServeHandler runs every request through one
// handler. Routers, middleware, pprof, promhttp, http.FileServer and
// httputil.ReverseProxy run unchanged.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// ServeHandler is Serve with every request answered by h through Handle:
// workers goroutines (at least one) pull requests and run h, until the
// server is closed. HTTP/2 streams do not queue: each runs h on the
// stream's own goroutine with x/net's *http.Request and ResponseWriter, as
// on net/http's server (MaxConcurrentStreams bounds them per connection),
// so workers bounds the HTTP/1.1 handlers in flight. Call it once per
// server.
func (s *Server) ServeHandler(workers int, h http.Handler) error {
	s.h2Handler.Store(&h)
	return s.Serve(workers, func(r *Request) { r.Handle(h) })
}

// Handle answers r by running h. h sees the *http.Request net/http's server
// would give it for the same bytes (URL, Host, Header, ContentLength,
// TransferEncoding, Trailer, RemoteAddr, TLS, a Body streamed from the
// connection, and r's Context) and a ResponseWriter that behaves like
// net/http's: implicit 200, Content-Type sniffing, Content-Length for small
// complete bodies and chunked otherwise, http.Flusher, http.Hijacker,
// io.ReaderFrom (sendfile), trailers, 1xx responses, and the deadlines and
// full duplex of http.ResponseController. Handle returns once h has
// returned and its response is written or queued (pipelined responses
// leave in request order); the error is the response's, or the panic of h,
// which answers 500 (or cuts the connection if the head was sent already).
// Strings in the *http.Request stay valid after h returns.
func (r *Request) Handle(h http.Handler) error {
	if r.Answered() {
		return ErrAlreadyAnswered
	}
	if native, err := r.answer.serveNative(r, h); native {
		r.finish()
		return err
	}
	x := new(handlerExchange)
	hr, err := r.httpRequest(x)
	if err != nil {
		// net/http answers 400 when it cannot make an *http.Request.
		r.Respond(Empty(StatusBadRequest).WithHeader(Header{Field: "Connection", Value: "close"}))
		return err
	}
	x.w = responseWriter{r: r, hr: hr, declaredLen: -1}
	if x.body.r != nil {
		x.w.body = &x.body
	}
	return x.w.serve(h)
}

// handlerExchange is what Handle makes for one request, in one allocation:
// the ResponseWriter, and the URL and Body of the *http.Request.
type handlerExchange struct {
	w    responseWriter
	url  url.URL
	body handlerBody
	ctx  lazyContext
}

// lazyContext is the context of the *http.Request that Handle builds: r's
// own context (Request.Context), made only when the handler first uses it.
// Most handlers never look at theirs, and a request context costs two
// allocations, a lock, and its cancellation once the request is answered.
// Every method is the real context's, so context.Cause and derived
// contexts see through it (their registration with a cancellable parent
// goes through Done and Value, which make it).
type lazyContext struct{ r *Request }

// Deadline is the request context's: none.
func (c *lazyContext) Deadline() (time.Time, bool) { return c.r.Context().Deadline() }

// Done is the request context's Done channel.
func (c *lazyContext) Done() <-chan struct{} { return c.r.Context().Done() }

// Err is the request context's Err.
func (c *lazyContext) Err() error { return c.r.Context().Err() }

// Value is the request context's value for key.
func (c *lazyContext) Value(key any) any { return c.r.Context().Value(key) }

// String names the context, as the standard contexts do.
func (c *lazyContext) String() string { return "tinyhttp.Request.Context" }

// ErrHandlerPanic wraps the value an http.Handler run by Handle panicked with.
var ErrHandlerPanic = errors.New("tinyhttp: handler panicked")

// errBadTrailerKey is net/http's refusal of a Trailer field that names a
// framing field.
var errBadTrailerKey = fmt.Errorf("%w: bad trailer key", ErrMalformedRequest)

// httpRequest builds the *http.Request for r as net/http's server does
// (net/http.readRequest and readTransfer), its URL and Body in x.
func (r *Request) httpRequest(x *handlerExchange) (*http.Request, error) {
	method, target := string(r.head.method), r.head.target
	u, err := parseRequestTarget(method, target, &x.url)
	if err != nil {
		return nil, err
	}
	header, hostField := canonicalHeader(r.Headers())
	host := u.Host
	if host == "" {
		host = hostField
	}
	fixPragmaCacheControl(header)
	collapseContentLength(header)
	base := http.Request{
		Method:     method,
		URL:        u,
		Proto:      protoString(r.head.version),
		ProtoMajor: int(r.head.version.Major),
		ProtoMinor: int(r.head.version.Minor),
		Header:     header,
		Host:       host,
		Close:      !r.head.keepAlive,
		RemoteAddr: r.answer.remoteString(),
		RequestURI: target,
		TLS:        r.TLS(),
	}
	x.ctx.r = r
	hr := base.WithContext(&x.ctx) // base stays on the stack: one allocation
	if err := r.fillTransfer(hr, &x.body); err != nil {
		return nil, err
	}
	return hr, nil
}

// parseRequestTarget parses the request-target like net/http: an
// authority alone for CONNECT, otherwise url.ParseRequestURI (which keeps
// RawPath and takes absolute-form and "*"). The common origin-form target,
// whose path needs no unescaping, is parsed into dst without an
// allocation; FuzzRequestTarget holds the two ways to the same result.
func parseRequestTarget(method, target string, dst *url.URL) (*url.URL, error) {
	if parsePlainOrigin(target, dst) {
		return dst, nil
	}
	justAuthority := method == "CONNECT" && !strings.HasPrefix(target, "/")
	raw := target
	if justAuthority {
		raw = "http://" + target
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: request-target: %w", ErrMalformedRequest, err)
	}
	if justAuthority {
		u.Scheme = "" // net/http strips the bogus scheme back off
	}
	return u, nil
}

// parsePlainOrigin parses an origin-form target ("/path?query") whose
// path holds only bytes that url.URL keeps as they are (no '%' to
// unescape, none that EscapedPath would escape, so that RawPath stays
// empty), as url.ParseRequestURI would. It reports false for any other
// target.
func parsePlainOrigin(target string, u *url.URL) bool {
	if len(target) == 0 || target[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if !plainPathByte[path[i]] {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c < ' ' || c == 0x7f {
			return false // url.ParseRequestURI's error, kept for it to make
		}
	}
	*u = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
	return true
}

// plainPathByte marks the bytes url.URL neither unescapes nor escapes in a
// path: unreserved characters and the reserved ones it leaves alone there
// (net/url's shouldEscape for encodePath).
var plainPathByte = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// canonicalHeader builds an http.Header from fields in the order sent: keys
// canonicalised, repeated fields kept in order, and every value slice cut
// from one backing array, as net/textproto does. Host is not put in (net/
// http's server takes it out): its first value is returned instead.
func canonicalHeader(fields []Header) (header http.Header, host string) {
	n := len(fields)
	for _, f := range fields {
		if len(f.Field) == len("Host") && f.Field.Equal("Host") {
			n--
		}
	}
	header = make(http.Header, n)
	if n == 0 { // no fields, or Host alone
		if len(fields) > 0 {
			host = fields[0].Value
		}
		return header, host
	}
	values := make([]string, n)
	hostSeen := false
	for _, f := range fields {
		if len(f.Field) == len("Host") && f.Field.Equal("Host") {
			if !hostSeen {
				host, hostSeen = f.Value, true
			}
			continue
		}
		k := textproto.CanonicalMIMEHeaderKey(string(f.Field))
		if vv, ok := header[k]; ok {
			header[k] = append(vv, f.Value)
			continue
		}
		values[0] = f.Value
		header[k] = values[:1:1]
		values = values[1:]
	}
	return header, host
}

// collapseContentLength is net/http's readTransfer: equal repeated
// Content-Length fields (the parser accepted them only if equal, F03) reach
// the handler as one.
func collapseContentLength(h http.Header) {
	if cl := h["Content-Length"]; len(cl) > 1 {
		h["Content-Length"] = []string{textproto.TrimString(cl[0])}
	}
}

// fixPragmaCacheControl is net/http's: "Pragma: no-cache" without
// Cache-Control reads as "Cache-Control: no-cache" (RFC 7234 §5.4).
func fixPragmaCacheControl(h http.Header) {
	if hp, ok := h["Pragma"]; ok && len(hp) > 0 && hp[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
}

// protoString returns "HTTP/1.1" for v = 1.1.
func protoString(v HTTPVersion) string {
	switch v {
	case HTTPVersion{1, 1}:
		return "HTTP/1.1"
	case HTTPVersion{1, 0}:
		return "HTTP/1.0"
	}
	return fmt.Sprintf("HTTP/%d.%d", v.Major, v.Minor)
}

// fillTransfer sets the body fields like net/http's readTransfer: a
// chunked body has ContentLength -1 and TransferEncoding ["chunked"] (the
// field leaves Header, and Content-Length with it), its declared trailers
// are keys of Trailer, and a request without a body has http.NoBody.
func (r *Request) fillTransfer(hr *http.Request, body *handlerBody) error {
	chunked := r.head.chunked
	hr.ContentLength = r.bodyLen
	if chunked {
		hr.TransferEncoding = []string{"chunked"}
		delete(hr.Header, "Transfer-Encoding")
		delete(hr.Header, "Content-Length")
		if err := declareTrailers(hr); err != nil {
			return err
		}
	}
	if !chunked && r.bodyLen == 0 {
		hr.Body = http.NoBody
		return nil
	}
	body.r, body.hr = r, hr
	hr.Body = body
	return nil
}

// declareTrailers moves the Trailer field of a chunked request into the
// keys of hr.Trailer, refusing the framing fields as net/http does.
func declareTrailers(hr *http.Request) error {
	vv, ok := hr.Header["Trailer"]
	if !ok {
		return nil
	}
	delete(hr.Header, "Trailer")
	trailer := make(http.Header)
	for _, v := range vv {
		for key := range strings.SplitSeq(v, ",") {
			key = http.CanonicalHeaderKey(textproto.TrimString(key))
			switch key {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return fmt.Errorf("%w %q", errBadTrailerKey, key)
			case "":
				continue
			}
			trailer[key] = nil
		}
	}
	if len(trailer) > 0 {
		hr.Trailer = trailer
	}
	return nil
}

// handlerBody is the Body of the *http.Request that Handle builds: it reads
// the request's body from the connection (the first read sends 100
// Continue when the client waits for it) and fills the request's Trailer
// at the end.
type handlerBody struct {
	r         *Request
	hr        *http.Request
	closed    atomic.Bool
	discarded atomic.Bool // the response started without full duplex: the rest is the server's
	sawEOF    bool
}

// Read reads the body; after Close, once the handler has returned, or once
// the response has taken it over, it fails with http.ErrBodyReadAfterClose
// as net/http's does (which discards the body and closes it when the
// response starts, and closes it when the handler returns).
func (b *handlerBody) Read(p []byte) (int, error) {
	if b.closed.Load() || b.discarded.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.r.Body().Read(p)
	switch {
	case err == io.EOF && !b.sawEOF:
		b.sawEOF = true
		b.fillTrailers()
	case errors.Is(err, ErrBodyClosed):
		err = http.ErrBodyReadAfterClose
	}
	return n, err
}

// fillTrailers copies the received trailer fields into hr.Trailer.
func (b *handlerBody) fillTrailers() {
	for _, t := range b.r.Trailers() {
		if b.hr.Trailer == nil {
			b.hr.Trailer = make(http.Header)
		}
		k := textproto.CanonicalMIMEHeaderKey(string(t.Field))
		b.hr.Trailer[k] = append(b.hr.Trailer[k], t.Value)
	}
}

// Close stops reads; what is left unread is the server's to discard.
func (b *handlerBody) Close() error {
	b.closed.Store(true)
	return nil
}

// fieldsFromHeader appends the fields of h to hs in net/http's order (sorted by
// key), as net/http writes them: invalid names dropped, line breaks in
// values turned into spaces and the values trimmed; a value still invalid
// (a NUL, say) is dropped rather than sent. With resp, the framing fields
// are the server's: Content-Length becomes the framing, Transfer-Encoding
// and Upgrade are dropped, "Connection: close" asks to close, Trailer is
// kept, trailers (http.TrailerPrefix) are left for the end, and a 304
// loses Content-Type too (net/http's suppressedHeaders304). Without resp
// (a 1xx response), Content-Length and Transfer-Encoding are dropped: a
// 1xx has no content to frame (RFC 9110 §8.6, RFC 9112 §6.1; CONFORMANCE.md
// C14), and net/http leaves them out (excludedHeadersNoBody).
func fieldsFromHeader(hs []Header, h http.Header, resp *Response) []Header {
	var small [16]string
	return appendFields(hs, h, sortedKeys(h, small[:0]), resp)
}

// sortedKeys appends the keys of h to keys, sorted.
func sortedKeys(h http.Header, keys []string) []string {
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendFields is fieldsFromHeader with h's keys already sorted.
func appendFields(hs []Header, h http.Header, keys []string, resp *Response) []Header {
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		if resp == nil && isBodyFramingKey(k) || resp != nil && skipFramingField(k, h[k], resp) {
			continue
		}
		for _, v := range h[k] {
			if v = sanitizeFieldValue(v); validFieldValue(v) {
				hs = append(hs, Header{Field: HeaderField(k), Value: v})
			}
		}
	}
	return hs
}

// isBodyFramingKey reports whether k names Content-Length or
// Transfer-Encoding, in any case.
func isBodyFramingKey(k string) bool {
	return strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Transfer-Encoding")
}

// skipFramingField reports whether field k of a final response is the
// server's to write (or, Content-Type on a 304, not to be sent), noting
// what it asks of resp.
func skipFramingField(k string, vv []string, resp *Response) bool {
	switch {
	case k == "Content-Length", k == "Transfer-Encoding":
		return true
	case k == "Content-Type":
		return resp.status == StatusNotModified // representation metadata a 304 does not carry
	case k == "Upgrade":
		return resp.status != StatusUpgradeRequired
	case k == "Connection":
		upgrade := false
		for _, v := range vv {
			resp.close = resp.close || valueHasToken(v, "close")
			upgrade = upgrade || valueHasToken(v, "upgrade")
		}
		// A 426 keeps its Upgrade field, and with it the "upgrade"
		// connection option that must go with it (RFC 9110 §7.8).
		return !(upgrade && resp.status == StatusUpgradeRequired)
	case strings.HasPrefix(k, http.TrailerPrefix):
		return true
	}
	return false
}

// sanitizeFieldValue is net/http's treatment of a field value: CR and LF
// become spaces, then surrounding whitespace goes.
func sanitizeFieldValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	return textproto.TrimString(v)
}

// appendTrailer appends the valid values of trailer key.
func appendTrailer(out []Header, key string, vv []string) []Header {
	if !httpguts.ValidHeaderFieldName(key) || isFramingName(key) {
		return out
	}
	for _, v := range vv {
		if v = sanitizeFieldValue(v); validFieldValue(v) {
			out = append(out, Header{Field: HeaderField(key), Value: v})
		}
	}
	return out
}

// isFramingName reports the fields a trailer must not carry (RFC 9110 §6.5.1).
func isFramingName(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Transfer-Encoding", "Content-Length", "Trailer", "Host":
		return true
	}
	return false
}
