package wiretest

import (
	"fmt"
	"strings"
)

// Field is one header or trailer field of a response, as it was on the wire.
type Field struct{ Name, Value string }

// String formats the field as its field line, without the CRLF.
func (f Field) String() string { return f.Name + ": " + f.Value }

// Response is one response as it appeared on the wire.
type Response struct {
	Proto    string  // "HTTP/1.1": the parser accepts no other version
	Status   int     // 200
	Reason   string  // "OK"; may be empty
	Header   []Field // in wire order
	Body     []byte  // the decoded body (none for HEAD, 1xx, 204 and 304)
	Chunked  bool    // the body was sent with Transfer-Encoding: chunked
	UntilEOF bool    // the body was delimited by the end of the connection
	Trailers []Field // the trailer section of a chunked body
}

// Values returns every value of the named field (case-insensitive), in wire order.
func (r *Response) Values(name string) []string {
	var vs []string
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Get returns the first value of the named field (case-insensitive) and
// whether the field is present.
func (r *Response) Get(name string) (string, bool) {
	vs := r.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Has reports whether the named field is present.
func (r *Response) Has(name string) bool { return len(r.Values(name)) > 0 }

// HasToken reports whether an element of a comma-separated value of the
// named field is token (case-insensitive).
func (r *Response) HasToken(name, token string) bool {
	for _, v := range r.Values(name) {
		for _, elem := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(elem), token) {
				return true
			}
		}
	}
	return false
}

// Closes reports whether the response announces Connection: close.
func (r *Response) Closes() bool { return r.HasToken("Connection", "close") }

// String summarizes the response on one line for failure messages.
func (r *Response) String() string {
	return fmt.Sprintf("%s %d %s %v body=%q", r.Proto, r.Status, r.Reason, r.Header, truncate(string(r.Body), 200))
}

// Truncate shortens s for a failure message: its first 512 bytes, then a
// note of its full length.
func Truncate(s string) string { return truncate(s, 512) }

// truncate keeps the first n bytes of s and notes its length.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("...(%d bytes)", len(s))
}
