package tinyhttp

import (
	"fmt"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// HeaderField is the name of a header field, kept as it was written.
// Compare names with Equal: field names are case-insensitive.
type HeaderField string

// Equal reports whether f and name are the same field name, ignoring ASCII case.
func (f HeaderField) Equal(name string) bool {
	return asciiEqualFold(string(f), name)
}

// String returns the field name as written.
func (f HeaderField) String() string { return string(f) }

// Header is one header field line: a name and its value.
type Header struct {
	Field HeaderField
	Value string
}

// NewHeader builds a header after checking it can be sent on the wire: the
// name must be a token (RFC 9110 §5.1) and the value must not contain CR, LF
// or NUL (RFC 9110 §5.5). Leading and trailing spaces and tabs of the value are
// removed, as a field value never carries them.
func NewHeader(field, value string) (Header, error) {
	h := Header{Field: HeaderField(field), Value: trimOWS(value)}
	if err := h.validate(); err != nil {
		return Header{}, err
	}
	return h, nil
}

// MustHeader is like NewHeader but panics on an invalid header. It is meant for
// constant headers in program code, never for values that came from a client.
func MustHeader(field, value string) Header {
	h, err := NewHeader(field, value)
	if err != nil {
		panic(err)
	}
	return h
}

// ParseHeader parses a "Name: value" line, as NewHeader validates it.
func ParseHeader(line string) (Header, error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return Header{}, fmt.Errorf("%w: %q has no colon", ErrInvalidHeader, line)
	}
	return NewHeader(name, value)
}

// String returns the header as "Name: value".
func (h Header) String() string { return string(h.Field) + ": " + h.Value }

// validate checks the name is a token and the value holds no CR, LF or NUL.
func (h Header) validate() error {
	if !httpguts.ValidHeaderFieldName(string(h.Field)) {
		return fmt.Errorf("%w: field name %q is not a token", ErrInvalidHeader, string(h.Field))
	}
	if i := strings.IndexAny(h.Value, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("%w: value of %s contains %q", ErrInvalidHeader, string(h.Field), h.Value[i])
	}
	return nil
}

// headerValue returns the first value of the named field in hs.
func headerValue(hs []Header, name string) (string, bool) {
	for i := range hs {
		if hs[i].Field.Equal(name) {
			return hs[i].Value, true
		}
	}
	return "", false
}

// joinedValue returns the values of every line of the named field joined
// with ", " (RFC 9110 §5.3), allocating only when there are several lines.
func joinedValue(hs []Header, name string) string {
	v, n := "", 0
	for i := range hs {
		if !hs[i].Field.Equal(name) {
			continue
		}
		if n == 0 {
			v = hs[i].Value
		} else {
			v += ", " + hs[i].Value
		}
		n++
	}
	return v
}

// valueHasToken reports whether the comma-separated list v contains token,
// ignoring case and optional whitespace; parameters after ';' are ignored.
func valueHasToken(v, token string) bool {
	for v != "" {
		var elem string
		elem, v, _ = strings.Cut(v, ",")
		if i := strings.IndexByte(elem, ';'); i >= 0 {
			elem = elem[:i]
		}
		if asciiEqualFold(trimOWS(elem), token) {
			return true
		}
	}
	return false
}

// trimOWS removes optional whitespace (SP and HTAB) at both ends of s.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// asciiEqualFold is strings.EqualFold restricted to ASCII, which is what
// field names and tokens are; it never allocates.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
