package tinyhttp

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// chunkReader returns data in reads of the sizes in steps (cycled).
type chunkReader struct {
	data  []byte
	steps []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.steps) > 0 {
		n = int(c.steps[c.i%len(c.steps)])%7 + 1
		c.i++
	}
	n = copy(p[:min(n, len(p))], c.data)
	c.data = c.data[n:]
	return n, nil
}

// FuzzH2Preface: the preface check on a fresh connection says yes exactly
// when the bytes start with the HTTP/2 preface, however the client splits
// them, and consumes nothing (x/net reads the preface again).
func FuzzH2Preface(f *testing.F) {
	f.Add([]byte(h2Preface+"\x00\x00\x00\x04"), []byte{3})
	f.Add([]byte("PRI * HTTP/2.0\r\n\r\nSX"), []byte{1, 5})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), []byte{})
	f.Add([]byte("PRI"), []byte{2})
	f.Fuzz(func(t *testing.T, data, steps []byte) {
		c := &conn{br: bufio.NewReaderSize(&chunkReader{data: bytes.Clone(data), steps: steps}, 4096)}
		got := c.sawH2Preface()
		if want := bytes.HasPrefix(data, []byte(h2Preface)); got != want {
			t.Fatalf("sawH2Preface(%q) = %v, want %v", data, got, want)
		}
		rest, _ := c.br.Peek(min(len(data), 4096))
		if !bytes.HasPrefix(data, rest) || (got && len(rest) < len(h2Preface)) {
			t.Fatalf("the check consumed bytes: %q left of %q", rest, data)
		}
	})
}

// FuzzH2Request: a stream's method, :path, :authority and fields, as x/net
// decoded them, make a Request that shows exactly those, in HTTP/2.0.
func FuzzH2Request(f *testing.F) {
	f.Add("GET", "/a?b=c", "example.com", "Accept: */*\nX-Multi: 1\nX-Multi: 2\nAccept-Encoding: gzip")
	f.Add("POST", "*", "", "Content-Type: text/plain")
	f.Add("CONNECT", "example.com:443", "example.com:443", "")
	f.Fuzz(func(t *testing.T, method, path, authority, fields string) {
		hr := &http.Request{Method: method, RequestURI: path, Host: authority, Header: http.Header{}, Body: http.NoBody}
		for line := range strings.SplitSeq(fields, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok || !httpguts.ValidHeaderFieldName(k) {
				continue // x/net refuses a stream with such a field name
			}
			hr.Header[http.CanonicalHeaderKey(k)] = append(hr.Header[http.CanonicalHeaderKey(k)], strings.TrimSpace(v))
		}
		r := newH2Request(&h2Stream{hr: hr}, hr, false)
		if r.Method() != Method(method) || r.URL() != path || r.HTTPVersion() != (HTTPVersion{2, 0}) {
			t.Fatalf("method %q, target %q, version %v; want %q, %q, 2.0", r.Method(), r.URL(), r.HTTPVersion(), method, path)
		}
		if authority != "" {
			if host, _ := r.Header("Host"); host != authority {
				t.Fatalf("Host %q, want :authority %q", host, authority)
			}
		}
		n := 0
		for k, vv := range hr.Header {
			n += len(vv)
			if k == "Host" && authority != "" {
				continue // :authority comes first
			}
			if got, ok := r.Header(k); !ok || got != vv[0] {
				t.Fatalf("field %s = %q, %v; want %q", k, got, ok, vv[0])
			}
		}
		if authority != "" {
			n++
		}
		if len(r.Headers()) != n {
			t.Fatalf("%d fields, want %d", len(r.Headers()), n)
		}
	})
}
