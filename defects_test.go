package tinyhttp

// Regression tests for the defects of the connection-core issue: each one
// failed before its fix. Framing defects of the parser are rows of
// TestConformance (H13, F13, F14).

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// TestServeFileLikeFromFile: ServeFile sends a file exactly as FromFile
// does: with Content-Length whatever its size, through the connection's
// ReadFrom (sendfile on TCP), and with ranges. It once sent every file from
// 32 KiB on chunked, in 8 KiB chunks, copied through user space.
func TestServeFileLikeFromFile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10_000) // 100 KB
	p := writeTestFile(t, "big.bin", data)
	checkFileFetches(t, data, func(r *Request) error { return ServeFile(r, p) }, true)
}

// checkFileFetches fetches /big.bin, whole and from byte 1000 on, through
// serve and checks that each is one response of data with Content-Length,
// not chunked, whose file reached the connection's ReadFrom (sendfile);
// fileOnly: nothing else did.
func checkFileFetches(t *testing.T, data []byte, serve func(*Request) error, fileOnly bool) {
	t.Helper()
	for _, tt := range []struct {
		name, rng string
		status    int
		want      []byte
	}{
		{"whole", "", 200, data},
		{"range", "bytes=1000-", 206, data[1000:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rl, raw := fetchWithReadFromWatch(t, serve, tt.rng)
			resps, err := wiretest.ParseResponses(string(raw))
			if err != nil || len(resps) != 1 {
				t.Fatalf("%d responses (%v), want 1", len(resps), err)
			}
			resp := resps[0]
			if resp.Status != tt.status || resp.Chunked || !bytes.Equal(resp.Body, tt.want) {
				t.Fatalf("%d chunked=%v, %d bytes; want %d with %d bytes", resp.Status, resp.Chunked, len(resp.Body), tt.status, len(tt.want))
			}
			if cl, _ := resp.Get("Content-Length"); cl != strconv.Itoa(len(tt.want)) {
				t.Errorf("Content-Length %q, want %d", cl, len(tt.want))
			}
			if rl.files.Load() == 0 || (fileOnly && rl.other.Load() > 0) {
				t.Errorf("ReadFrom given the file %d times and something else %d times; want the file (only: %v)", rl.files.Load(), rl.other.Load(), fileOnly)
			}
		})
	}
}

// TestResponseChunksAtMost8KiB: a chunked response is cut into chunks of at
// most 8 KiB, like tiny-http, whatever kind of body it has. A body of known
// length above the threshold once went out as one chunk.
func TestResponseChunksAtMost8KiB(t *testing.T) {
	big := string(wireBig) // 40,000 bytes: above DefaultChunkedThreshold
	for _, tt := range []struct {
		name string
		resp func() *Response
	}{
		{"FromString", func() *Response { return FromString(big) }},
		{"FromData", func() *Response { return FromData([]byte(big)) }},
		{"reader of known length", func() *Response { return NewResponse(200, nil, strings.NewReader(big), int64(len(big))) }},
		{"reader of unknown length", func() *Response { return NewResponse(200, nil, strings.NewReader(big), -1) }},
		{"low threshold", func() *Response { return FromString(big[:9000]).WithChunkedThreshold(1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startWireServer(t, ServerConfig{}, func(ts *wireServer, r *Request) { r.Respond(tt.resp()) })
			c := ts.dial(t)
			c.Send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
			c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
			raw, err := io.ReadAll(c.R)
			if err != nil {
				t.Fatal(err)
			}
			head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
			if !strings.Contains(head, "Transfer-Encoding: chunked") {
				t.Fatalf("not chunked:\n%s", head)
			}
			var got strings.Builder
			for sizes := 0; ; sizes++ {
				line, rest, ok := strings.Cut(body, "\r\n")
				n, err := strconv.ParseInt(line, 16, 64)
				if !ok || err != nil {
					t.Fatalf("bad chunk-size line %q", line)
				}
				if n > responseChunkSize {
					t.Errorf("chunk %d has %d bytes, more than %d", sizes, n, responseChunkSize)
				}
				if n == 0 {
					break
				}
				got.WriteString(rest[:n])
				body = strings.TrimPrefix(rest[n:], "\r\n")
			}
			if want := tt.resp(); got.Len() != int(want.length) && want.length >= 0 {
				t.Errorf("body %d bytes, want %d", got.Len(), want.length)
			}
		})
	}
}

// TestWithHeaderFramingFields: WithHeader follows tiny-http's add_header.
// Transfer-Encoding, Trailer and Upgrade belong to the library and are
// dropped; Content-Length sets the data length and is sent once; a
// Connection field only asks to close. A 426 still names the protocols to
// upgrade to (RFC 9110 §15.5.22 says it must).
func TestWithHeaderFramingFields(t *testing.T) {
	owned := []Header{
		{Field: "Transfer-Encoding", Value: "gzip"},
		{Field: "trailer", Value: "X-Sum"},
		{Field: "Upgrade", Value: "websocket"},
		{Field: "Connection", Value: "keep-alive"},
		{Field: "Content-Length", Value: "3"},
	}
	resp := FromString("hello")
	for _, h := range owned {
		resp.WithHeader(h)
	}
	for _, h := range resp.Headers() {
		for _, o := range owned {
			if h.Field.Equal(string(o.Field)) {
				t.Errorf("Headers() keeps %v, a field the library owns", h)
			}
		}
	}
	if n, ok := resp.DataLength(); !ok || n != 3 {
		t.Errorf("DataLength %d, %v; want 3 from Content-Length", n, ok)
	}

	ts := startWireServer(t, ServerConfig{}, func(ts *wireServer, r *Request) {
		resp := FromString("hello")
		for _, h := range owned {
			resp.WithHeader(h)
		}
		switch r.URL() {
		case "/426":
			resp = Empty(StatusUpgradeRequired).WithHeader(Header{Field: "Upgrade", Value: "h2c"})
		case "/close":
			resp.WithHeader(Header{Field: "Connection", Value: "close"})
		}
		r.Respond(resp)
	})
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /426 HTTP/1.1\r\nHost: a\r\n\r\nGET /close HTTP/1.1\r\nHost: a\r\n\r\n")
	res := c.ReadAll()
	if res.Err != nil || len(res.Resps) != 3 || !res.Closed {
		t.Fatalf("want three responses, then a close\n%v", res)
	}
	first := res.Resps[0]
	if got := first.Values("Content-Length"); len(got) != 1 || got[0] != "3" || string(first.Body) != "hel" {
		t.Errorf("Content-Length %q, body %q; want one Content-Length: 3 and %q", got, first.Body, "hel")
	}
	for _, name := range []string{"Transfer-Encoding", "Trailer", "Upgrade"} {
		if first.Has(name) {
			t.Errorf("the response carries %s\n%v", name, first)
		}
	}
	if first.Closes() {
		t.Errorf("Connection: keep-alive made the server close\n%v", first)
	}
	if up, _ := res.Resps[1].Get("Upgrade"); res.Resps[1].Status != 426 || up != "h2c" {
		t.Errorf("426 without its Upgrade field\n%v", res.Resps[1])
	}
	if !res.Resps[2].Closes() {
		t.Errorf("Connection: close did not close\n%v", res.Resps[2])
	}
}
