package tinyhttp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// render serializes resp for a request with the given method, version and
// TE preference (-1 none, 0 identity, 1 chunked), with the Date line removed.
func render(t *testing.T, resp *Response, method string, v HTTPVersion, te int8) (string, bool, error) {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	x := exchange{head: method == "HEAD", version: v, keepAlive: true, teChunked: te}
	closeAfter, err := writeResponse(w, resp, &x, &responsePolicy{server: "tinyhttp"})
	w.Flush()
	out := regexp.MustCompile(`Date: [^\r]*\r\n`).ReplaceAllString(buf.String(), "")
	return out, closeAfter, err
}

var (
	v10 = HTTPVersion{1, 0}
	v11 = HTTPVersion{1, 1}
)

func TestResponseFraming(t *testing.T) {
	big := strings.Repeat("x", DefaultChunkedThreshold)
	tests := []struct {
		name      string
		resp      func() *Response
		method    string
		version   HTTPVersion
		te        int8
		want      string
		wantClose bool
	}{
		{"string", func() *Response { return FromString("hello") }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 5\r\n\r\nhello", false},
		{"empty 200", func() *Response { return Empty(200) }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Length: 0\r\n\r\n", false},
		{"C13 204 drops body and framing", func() *Response { return FromData([]byte("body")).WithStatusCode(204) }, "GET", v11, -1,
			"HTTP/1.1 204 No Content\r\nServer: tinyhttp\r\n\r\n", false},
		{"C13 304 drops body", func() *Response { return FromData([]byte("body")).WithStatusCode(304) }, "GET", v11, -1,
			"HTTP/1.1 304 Not Modified\r\nServer: tinyhttp\r\n\r\n", false},
		{"C12 HEAD keeps length, no body", func() *Response { return FromData([]byte("0123456789")) }, "HEAD", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Length: 10\r\n\r\n", false},
		{"unknown length chunked", func() *Response { return NewResponse(200, nil, strings.NewReader("abc"), -1) }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false},
		{"at threshold chunked", func() *Response { return FromString(big[:40]).WithChunkedThreshold(40) }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Type: text/plain; charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n" + big[:40] + "\r\n0\r\n\r\n", false},
		{"C07 unknown length to 1.0 is close-delimited", func() *Response { return NewResponse(200, nil, strings.NewReader("abc"), -1) }, "GET", v10, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nConnection: close\r\n\r\nabc", true},
		{"C06 1.0 keep-alive echoed", func() *Response { return FromData([]byte("abc")) }, "GET", v10, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc", false},
		{"TE chunked honoured", func() *Response { return FromData([]byte("abc")) }, "GET", v11, 1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false},
		{"TE identity with unknown length", func() *Response { return NewResponse(200, nil, strings.NewReader("abc"), -1) }, "GET", v11, 0,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nConnection: close\r\n\r\nabc", true},
		{"app asks for close", func() *Response { return FromData(nil).WithHeader(Header{"Connection", "close"}) }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", true},
		{"Content-Length header cuts the body", func() *Response { return FromData([]byte("abcdef")).WithHeader(Header{"Content-Length", "3"}) }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Length: 3\r\n\r\nabc", false},
		{"framing headers ignored", func() *Response {
			return FromData([]byte("a")).WithHeader(Header{"Transfer-Encoding", "gzip"}).WithHeader(Header{"Upgrade", "x"}).WithHeader(Header{"Trailer", "y"})
		}, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Length: 1\r\n\r\na", false},
		{"426 names the protocols", func() *Response { return Empty(426).WithHeader(Header{"Upgrade", "websocket"}) }, "GET", v11, -1,
			"HTTP/1.1 426 Upgrade Required\r\nServer: tinyhttp\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n", false},
		{"Content-Type replaced", func() *Response { return FromString("a").WithHeader(Header{"content-type", "text/html"}) }, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nServer: tinyhttp\r\nContent-Type: text/html\r\nContent-Length: 1\r\n\r\na", false},
		{"own Server and Date kept", func() *Response {
			return FromString("a").WithHeader(Header{"Server", "me"}).WithHeader(Header{"Date", "x"})
		}, "GET", v11, -1,
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nServer: me\r\nContent-Length: 1\r\n\r\na", false},
		{"unknown status code", func() *Response { return Empty(599) }, "GET", v11, -1,
			"HTTP/1.1 599 Unknown\r\nServer: tinyhttp\r\nContent-Length: 0\r\n\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, closeAfter, err := render(t, tt.resp(), tt.method, tt.version, tt.te)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("wire:\n%q\nwant:\n%q", got, tt.want)
			}
			if closeAfter != tt.wantClose {
				t.Errorf("closeAfter = %v, want %v", closeAfter, tt.wantClose)
			}
		})
	}
}

// TestResponseBodyLengthMismatch: a body shorter or longer than declared is
// an error (and closes the connection), never a hang.
func TestResponseBodyLengthMismatch(t *testing.T) {
	tests := []struct {
		name string
		resp *Response
	}{
		{"reader short", NewResponse(200, nil, strings.NewReader("abc"), 5)},
		{"reader long", NewResponse(200, nil, strings.NewReader("abcdef"), 5)},
		{"reader short chunked", NewResponse(200, nil, strings.NewReader("abc"), 50000)},
		{"bytes short", FromData([]byte("ab")).WithHeader(Header{"Content-Length", "5"})},
		{"no body with length", Empty(200).WithHeader(Header{"Content-Length", "5"})},
		{"reader error", NewResponse(200, nil, iotest.ErrReader(errors.New("disk")), 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, closeAfter, err := render(t, tt.resp, "GET", v11, -1)
			if err == nil || !closeAfter {
				t.Fatalf("err = %v, closeAfter = %v; want an error and a close", err, closeAfter)
			}
		})
	}
}

// TestResponseClosesBody: the body is closed once sent, also when it is not
// sent at all (HEAD).
func TestResponseClosesBody(t *testing.T) {
	for _, method := range []string{"GET", "HEAD"} {
		rc := &closeRecorder{Reader: strings.NewReader("abc")}
		if _, _, err := render(t, NewResponse(200, nil, rc, 3), method, v11, -1); err != nil {
			t.Fatal(err)
		}
		if !rc.closed {
			t.Errorf("%s: body not closed", method)
		}
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestHeaderValidation(t *testing.T) {
	bad := []struct{ name, value string }{
		{"X-A", "a\r\nInjected: 1"}, {"X-A", "a\nb"}, {"X-A", "a\x00b"}, {"X A", "v"},
		{"X:A", "v"}, {"", "v"}, {"X\x7f", "v"}, {"X-\xff", "v"},
	}
	for _, h := range bad {
		if _, err := NewHeader(h.name, h.value); !errors.Is(err, ErrInvalidHeader) {
			t.Errorf("NewHeader(%q, %q) = %v, want ErrInvalidHeader", h.name, h.value, err)
		}
	}
	h, err := ParseHeader("Content-Type:  text/html \t")
	if err != nil || h.Field != "Content-Type" || h.Value != "text/html" {
		t.Errorf("ParseHeader = %+v, %v", h, err)
	}
	if _, err := ParseHeader("no colon"); !errors.Is(err, ErrInvalidHeader) {
		t.Errorf("ParseHeader without colon: %v", err)
	}
	if h.String() != "Content-Type: text/html" {
		t.Errorf("String = %q", h.String())
	}
	if !HeaderField("content-TYPE").Equal("Content-Type") || HeaderField("a").Equal("b") {
		t.Error("HeaderField.Equal is wrong")
	}
}

func TestStatusAndVersionStrings(t *testing.T) {
	if got := StatusCode(404).DefaultReasonPhrase(); got != "Not Found" {
		t.Errorf("404: %q", got)
	}
	if got := StatusCode(799).DefaultReasonPhrase(); got != "Unknown" {
		t.Errorf("799: %q", got)
	}
	if got := (HTTPVersion{1, 1}).String(); got != "1.1" {
		t.Errorf("version: %q", got)
	}
}

// TestDateFormat checks C15's IMF-fixdate shape of the cached Date line.
func TestDateFormat(t *testing.T) {
	line := string(appendDate(nil, time.Time{}))
	if !regexp.MustCompile(`^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT\r\n$`).MatchString(line) {
		t.Fatalf("Date line %q is not IMF-fixdate", line)
	}
}

func TestTransferPreference(t *testing.T) {
	tests := []struct {
		te   string
		want int8
	}{
		{"", -1}, {"trailers", -1}, {"chunked", 1}, {"identity", 0},
		{"chunked;q=0.5, identity;q=0.9", 0}, {"identity;q=0, chunked", 1},
		{"chunked;q=0", -1}, {"chunked;q=bad", -1}, {"CHUNKED", 1},
	}
	for _, tt := range tests {
		hs := []Header{{"TE", tt.te}}
		got := int8(-1)
		if chunked, err := transferPreference(hs); err == nil {
			got = 0
			if chunked {
				got = 1
			}
		}
		if got != tt.want {
			t.Errorf("TE %q: %d, want %d", tt.te, got, tt.want)
		}
	}
}
