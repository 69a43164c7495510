package tinyhttp

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// requestHead is a parsed request line and header section, with the framing
// and connection facts derived from them. Strings point into one copy of the
// head bytes, so a request costs one allocation for all of them.
type requestHead struct {
	method  Method
	target  string
	headers []Header

	contentLength  int64 // -1: no Content-Length field
	acceptEncLines int32 // how many Accept-Encoding fields there are
	version        HTTPVersion
	chunked        bool // Transfer-Encoding: chunked
	keepAlive      bool // the client allows the connection to persist
	expectContinue bool // Expect: 100-continue on HTTP/1.1
	upgrade        bool // Connection: upgrade + Upgrade on HTTP/1.1
	hasTE          bool // a TE field is present (the response's framing may depend on it)
}

// headLimits bounds what parseHead accepts.
type headLimits struct {
	maxLine   int // request line, bytes (414 above)
	maxHeader int // request line + fields, bytes (431 above)
	maxFields int // number of field lines (431 above)
}

// parseHead parses a complete request head read by readHead into hb: the
// request line (already checked by readHead) and the field lines, each
// without its line ending. head is hb.buf as a string: values are cut out of
// it without copying.
func parseHead(h *requestHead, head string, hb *headBuffer, lim headLimits) error {
	lines := hb.lines
	hb.reqLine.apply(h, head[:lines[0]]) // validated by readHead as soon as it arrived
	if len(lines)-1 > lim.maxFields {
		return &parseError{status: StatusRequestHeaderFieldsTooLarge, err: ErrHeaderTooLarge,
			detail: fmt.Sprintf("more than %d header fields", lim.maxFields)}
	}
	if n := len(lines) - 1; n > cap(h.headers)-len(h.headers) {
		// Beyond the caller's inline array: one allocation of the exact size.
		h.headers = append(make([]Header, 0, len(h.headers)+n), h.headers...)
	}
	start := lines[0]
	for _, end := range lines[1:] {
		hdr, err := parseFieldLine(head[start:end])
		if err != nil {
			return err
		}
		h.headers = append(h.headers, hdr)
		start = end
	}
	return deriveFraming(h)
}

// requestLine is the shape of a valid request line: where its method and
// target end, and its version.
type requestLine struct {
	methodLen, targetLen int
	version              HTTPVersion
}

// apply sets h's method, target and version from line, the request line
// whose shape rl is.
func (rl requestLine) apply(h *requestHead, line string) {
	h.method = Method(line[:rl.methodLen]) // substrings of the head: no allocation
	h.target = line[rl.methodLen+1 : rl.methodLen+1+rl.targetLen]
	h.version = rl.version
}

// parseRequestLine parses "method SP request-target SP HTTP-version"
// (RFC 9112 §3), strictly: single spaces, a token method, one digit on each
// side of the version's dot.
func parseRequestLine(line string) (requestLine, error) {
	sp1 := strings.IndexByte(line, ' ')
	if sp1 <= 0 {
		return requestLine{}, badRequest("request line %q has no method", line)
	}
	rest := line[sp1+1:]
	sp2 := strings.IndexByte(rest, ' ')
	if sp2 < 0 {
		return requestLine{}, badRequest("request line %q has no version", line)
	}
	method, target, version := line[:sp1], rest[:sp2], rest[sp2+1:]
	if !isToken(method) {
		return requestLine{}, badRequest("method %q is not a token", method)
	}
	if err := checkTarget(method, target); err != nil {
		return requestLine{}, err // before the version: "PRI * HTTP/2.0" (the h2 preface) is a 400 (C17)
	}
	v, err := parseVersion(version)
	if err != nil {
		return requestLine{}, err
	}
	return requestLine{methodLen: sp1, targetLen: sp2, version: v}, nil
}

// parseVersion accepts "HTTP/" DIGIT "." DIGIT; major 2 and above get 505.
func parseVersion(v string) (HTTPVersion, error) {
	if len(v) != len("HTTP/1.1") || v[:5] != "HTTP/" || v[6] != '.' || !isDigit(v[5]) || !isDigit(v[7]) {
		return HTTPVersion{}, badRequest("bad HTTP version %q", v)
	}
	version := HTTPVersion{Major: v[5] - '0', Minor: v[7] - '0'}
	if version.Major != 1 {
		return HTTPVersion{}, &parseError{status: StatusHTTPVersionNotSupported, err: ErrVersionNotSupported, detail: v}
	}
	return version, nil
}

// checkTarget checks the request-target's form against the method
// (RFC 9112 §3.2): origin-form, absolute-form with a valid authority,
// authority-form only for CONNECT, asterisk-form only for OPTIONS.
func checkTarget(method, t string) error {
	if t == "" {
		return badRequest("empty request-target")
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f { // visible ASCII only (RFC 9112 §3.2, RFC 3986 §2)
			return badRequest("request-target contains byte %#x", c)
		}
	}
	switch {
	case method == "CONNECT":
		return checkConnectTarget(t)
	case t[0] == '/':
	case t == "*":
		if method != "OPTIONS" {
			return badRequest("asterisk-form target with %s", method)
		}
	default:
		scheme, authority, ok := cutAbsoluteForm(t)
		if !ok {
			return badRequest("request-target %q is not origin- or absolute-form", t)
		}
		return checkAbsoluteAuthority(scheme, authority)
	}
	return nil
}

// checkConnectTarget checks a CONNECT target: authority-form, uri-host ":"
// port (RFC 9112 §3.2.3), with a host and a port of 1 to 65535 (RFC 9110
// §9.3.6: an empty or invalid port MUST be rejected), and no userinfo.
func checkConnectTarget(t string) error {
	host, port, ok := splitHostPort(t)
	if !ok || host == "" {
		return badRequest("CONNECT needs an authority-form target, got %q", t)
	}
	if n, ok := parseDecimal(port); !ok || n < 1 || n > maxPort {
		return badRequest("CONNECT target %q has no valid port", t)
	}
	return nil
}

// maxPort is the largest TCP port: a CONNECT target names a TCP endpoint.
const maxPort = 65535

// cutAbsoluteForm splits an absolute-form target, scheme "://" authority
// path-abempty [ "?" query ] (RFC 9112 §3.2.2, RFC 3986 §3), into its
// scheme and its authority, which ends at the first '/' or '?'; ok is false
// when t does not start with a scheme and "://".
func cutAbsoluteForm(t string) (scheme, authority string, ok bool) {
	i := strings.Index(t, "://")
	if i <= 0 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		c := t[j]
		if !(isAlpha(c) || (j > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'))) {
			return "", "", false
		}
	}
	authority = t[i+len("://"):]
	if end := strings.IndexAny(authority, "/?"); end >= 0 {
		authority = authority[:end]
	}
	return t[:i], authority, true
}

// checkAbsoluteAuthority checks the authority of an absolute-form target:
// uri-host [ ":" port ] without userinfo (RFC 9110 §4.2.4), and for http
// and https a host that is not empty (RFC 9110 §4.2.1, §4.2.2).
func checkAbsoluteAuthority(scheme, authority string) error {
	host, _, ok := splitHostPort(authority)
	if !ok {
		return badRequest("invalid authority %q in the request-target", authority)
	}
	if host == "" && (asciiEqualFold(scheme, "http") || asciiEqualFold(scheme, "https")) {
		return badRequest("%s request-target with an empty host", scheme)
	}
	return nil
}

// splitHostPort splits s, uri-host [ ":" port ] (the Host field, RFC 9112
// §3.2; an authority without userinfo, RFC 3986 §3.2), into its host and
// its port, which may be empty (port = *DIGIT). ok is false when s is not
// of that form. It looks at each byte once and never allocates: every
// request's Host goes through it.
func splitHostPort(s string) (host, port string, ok bool) {
	n, ok := hostLen(s)
	if !ok {
		return "", "", false
	}
	host = s[:n]
	if n == len(s) {
		return host, "", true
	}
	if s[n] != ':' { // after an IP-literal's ']'
		return "", "", false
	}
	port = s[n+1:]
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return "", "", false
		}
	}
	return host, port, true
}

// hostLen returns the length of the uri-host s starts with (RFC 3986
// §3.2.2): an IP-literal in brackets, or a reg-name (which IPv4address is a
// case of) up to the first ':' or the end, made of regNameByte bytes, whose
// '%' starts a pct-encoded octet. ok is false for any other byte there,
// '@' of a userinfo among them.
func hostLen(s string) (n int, ok bool) {
	if s != "" && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 || !validIPLiteral(s[1:end]) {
			return 0, false
		}
		return end + 1, true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			return i, true
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return 0, false
			}
			i += 2
		case !regNameByte[c]:
			return 0, false
		}
	}
	return len(s), true
}

// regNameByte marks the bytes of a reg-name (RFC 3986 §3.2.2) but the '%'
// of pct-encoded, which hostLen checks apart: unreserved and sub-delims.
var regNameByte = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=" {
		t[c] = true
	}
	return t
}()

// validIPLiteral reports whether s, the inside of an IP-literal's brackets,
// is an IPv6address without a zone (RFC 3986 §3.2.2 has none; RFC 9110
// takes its URI syntax from there) or an IPvFuture:
// "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
func validIPLiteral(s string) bool {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		dot := strings.IndexByte(s, '.')
		if dot < 2 || dot == len(s)-1 {
			return false
		}
		for i := 1; i < dot; i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		for i := dot + 1; i < len(s); i++ {
			if c := s[i]; !regNameByte[c] && c != ':' {
				return false
			}
		}
		return true
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == ""
}

// The header fields that decide a request's framing and connection.
const (
	fieldOther = iota
	fieldHost
	fieldContentLength
	fieldTransferEncoding
	fieldConnection
	fieldUpgrade
	fieldExpect
	fieldTE
	fieldAcceptEncoding
)

// fieldKind classifies a field name: by its length first, so that most
// names are compared with one candidate at most.
func fieldKind(f HeaderField) int {
	var kind int
	var name string
	switch len(f) {
	case len("TE"):
		kind, name = fieldTE, "TE"
	case len("Host"):
		kind, name = fieldHost, "Host"
	case len("Expect"):
		kind, name = fieldExpect, "Expect"
	case len("Upgrade"):
		kind, name = fieldUpgrade, "Upgrade"
	case len("Connection"):
		kind, name = fieldConnection, "Connection"
	case len("Content-Length"):
		kind, name = fieldContentLength, "Content-Length"
	case len("Accept-Encoding"):
		kind, name = fieldAcceptEncoding, "Accept-Encoding"
	case len("Transfer-Encoding"):
		kind, name = fieldTransferEncoding, "Transfer-Encoding"
	default:
		return fieldOther
	}
	if !f.Equal(name) {
		return fieldOther
	}
	return kind
}

// validFieldValue reports whether v has no control byte but HTAB (RFC
// 9110 §5.5: obs-text, 0x80 and above, is allowed), like
// httpguts.ValidHeaderFieldValue, eight bytes at a time: a value with
// nothing below 0x20 (SWAR "has less than", exact on bytes below 0x80)
// and no 0x7F needs no look at its bytes one by one.
func validFieldValue(v string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
			uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
		del := x ^ (0x7f * ones)
		if (x-0x20*ones)&^x&highs != 0 || (del-ones)&^del&highs != 0 {
			return httpguts.ValidHeaderFieldValue(v[i:])
		}
	}
	return httpguts.ValidHeaderFieldValue(v[i:])
}

// parseFieldLine parses "name:" OWS value OWS (RFC 9112 §5). No whitespace is
// allowed before the colon, and obs-fold is rejected.
func parseFieldLine(line string) (Header, error) {
	if line != "" && (line[0] == ' ' || line[0] == '\t') {
		return Header{}, badRequest("obsolete line folding")
	}
	colon := strings.IndexByte(line, ':')
	if colon < 0 {
		return Header{}, badRequest("header line %q has no colon", line)
	}
	name, value := line[:colon], trimOWS(line[colon+1:])
	if !isToken(name) {
		return Header{}, badRequest("header name %q is not a token", name)
	}
	if !validFieldValue(value) {
		return Header{}, badRequest("header %s has a control byte in its value", name)
	}
	return Header{Field: HeaderField(name), Value: value}, nil
}

// deriveFraming works out Host, body framing, keep-alive, Expect and Upgrade
// from the fields, enforcing the request-smuggling rules of CONFORMANCE.md §2.
func deriveFraming(h *requestHead) error {
	h.contentLength = -1
	var hosts int
	var te []string
	var connClose, connKeepAlive, connUpgrade, hasUpgrade bool
	for _, f := range h.headers {
		switch fieldKind(f.Field) {
		case fieldHost:
			hosts++
			if _, _, ok := splitHostPort(f.Value); !ok {
				return badRequest("invalid Host %q", f.Value)
			}
		case fieldContentLength:
			if err := mergeContentLength(h, f.Value); err != nil {
				return err
			}
		case fieldTransferEncoding:
			te = append(te, f.Value)
		case fieldConnection:
			connClose = connClose || valueHasToken(f.Value, "close")
			connKeepAlive = connKeepAlive || valueHasToken(f.Value, "keep-alive")
			connUpgrade = connUpgrade || valueHasToken(f.Value, "upgrade")
		case fieldUpgrade:
			hasUpgrade = true
		case fieldExpect:
			if err := checkExpect(h, f.Value); err != nil {
				return err
			}
		case fieldTE:
			h.hasTE = true
		case fieldAcceptEncoding:
			h.acceptEncLines++
		}
	}
	if hosts > 1 {
		return badRequest("%d Host fields", hosts)
	}
	is11 := h.version.atLeast(1, 1)
	if hosts == 0 && is11 {
		return badRequest("HTTP/1.1 request without Host")
	}
	if te != nil {
		if err := checkTransferEncoding(h, te); err != nil {
			return err
		}
	}
	if is11 {
		h.keepAlive = !connClose
	} else {
		h.keepAlive = connKeepAlive && !connClose
		h.expectContinue = false // RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0
	}
	h.upgrade = is11 && connUpgrade && hasUpgrade
	return nil
}

// checkExpect reads one Expect field, a list of expectations (RFC 9110
// §10.1.1): 100-continue (any case) is met; anything else is refused with
// 417 on HTTP/1.1 and ignored on HTTP/1.0. Empty list elements are ignored
// (RFC 9110 §5.6.1.2 MUST), so "100-continue," and an empty field are fine.
func checkExpect(h *requestHead, v string) error {
	for v != "" {
		var elem string
		elem, v, _ = strings.Cut(v, ",")
		switch elem = trimOWS(elem); {
		case elem == "":
		case asciiEqualFold(elem, "100-continue"):
			h.expectContinue = true
		case h.version.atLeast(1, 1):
			return &parseError{status: StatusExpectationFailed, err: ErrExpectationFailed, detail: elem}
		}
	}
	return nil
}

// mergeContentLength parses one Content-Length field value (possibly a list
// of equal values, F03) and checks it agrees with any earlier one (F02).
func mergeContentLength(h *requestHead, v string) error {
	for more := true; more; {
		var elem string
		elem, v, more = strings.Cut(v, ",")
		n, ok := parseDecimal(trimOWS(elem))
		if !ok {
			return badRequest("invalid Content-Length %q", elem)
		}
		if h.contentLength >= 0 && h.contentLength != n {
			return badRequest("conflicting Content-Length values")
		}
		h.contentLength = n
	}
	return nil
}

// maxDecimalDigits keeps parseDecimal inside int64: 18 digits cannot overflow.
const maxDecimalDigits = 18

// parseDecimal parses 1*DIGIT with no sign, no spaces and no overflow.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > maxDecimalDigits {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// checkTransferEncoding accepts exactly one final "chunked" coding on
// HTTP/1.1 without Content-Length (F01, F05–F08).
func checkTransferEncoding(h *requestHead, values []string) error {
	if !h.version.atLeast(1, 1) {
		return badRequest("Transfer-Encoding on an HTTP/1.0 request")
	}
	if h.contentLength >= 0 {
		return badRequest("both Content-Length and Transfer-Encoding")
	}
	var codings []string
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			if elem = trimOWS(elem); elem != "" {
				codings = append(codings, elem)
			}
		}
	}
	if len(codings) == 0 {
		return badRequest("empty Transfer-Encoding")
	}
	for i, c := range codings {
		last := i == len(codings)-1
		switch {
		case asciiEqualFold(c, "chunked"):
			if !last {
				return badRequest("chunked is not the final transfer coding")
			}
		case isChunkedWithParams(c):
			return badRequest("parameters on the chunked coding")
		default:
			return &parseError{status: StatusNotImplemented, err: ErrUnsupportedTransferCoding, detail: c}
		}
	}
	h.chunked = true
	return nil
}

// isChunkedWithParams reports whether coding is "chunked;…" (F06: the
// chunked coding takes no parameters).
func isChunkedWithParams(coding string) bool {
	name, _, ok := strings.Cut(coding, ";")
	return ok && asciiEqualFold(trimOWS(name), "chunked")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !httpguts.IsTokenRune(rune(s[i])) {
			return false
		}
	}
	return true
}
