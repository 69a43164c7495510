package wiretest

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const date = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"

// TestReadResponseAccepts parses well-formed responses of every framing.
func TestReadResponseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		head bool
		want *Response
	}{
		{"Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Content-Length", "5"}}, Body: []byte("hello")}},
		{"empty reason", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", false,
			&Response{Status: 404, Header: []Field{{"Content-Length", "0"}}, Body: []byte{}}},
		{"reason with spaces", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", false,
			&Response{Status: 500, Reason: "Internal Server Error", Header: []Field{{"Content-Length", "0"}}, Body: []byte{}}},
		{"fields in wire order, values trimmed", "HTTP/1.1 200 OK\r\nX-A: \t1 \r\nx-a:2\r\nX-Empty:\r\n" + date + "Content-Length: 0\r\n\r\n", false,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"X-A", "1"}, {"x-a", "2"}, {"X-Empty", ""},
				{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Content-Length", "0"}}, Body: []byte{}}},
		{"chunked with trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-T: yes\r\n\r\n", false,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Transfer-Encoding", "chunked"}},
				Body: []byte("hello, world!!!"), Chunked: true, Trailers: []Field{{"X-T", "yes"}}}},
		{"chunked, empty", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Transfer-Encoding", "chunked"}}, Chunked: true}},
		{"close-delimited", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end", false,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Connection", "close"}}, Body: []byte("to the end"), UntilEOF: true}},
		{"close in a list", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\nx", false,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Connection", "keep-alive, Close"}}, Body: []byte("x"), UntilEOF: true}},
		{"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Content-Length", "10"}}}},
		{"HEAD, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true,
			&Response{Status: 200, Reason: "OK", Header: []Field{{"Transfer-Encoding", "chunked"}}}},
		{"100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", false, &Response{Status: 100, Reason: "Continue"}},
		{"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n", false,
			&Response{Status: 101, Reason: "Switching Protocols", Header: []Field{{"Upgrade", "x"}, {"Connection", "upgrade"}}}},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", false, &Response{Status: 204, Reason: "No Content"}},
		{"304 with Content-Length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false,
			&Response{Status: 304, Reason: "Not Modified", Header: []Field{{"Content-Length", "10"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tc.raw))
			got, err := ReadResponse(br, tc.head)
			if err != nil {
				t.Fatalf("ReadResponse(%q): %v", tc.raw, err)
			}
			tc.want.Proto = "HTTP/1.1"
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadResponse(%q) (-want +got):\n%s", tc.raw, diff)
			}
			if rest, _ := io.ReadAll(br); len(rest) != 0 {
				t.Errorf("%q left unread", rest)
			}
		})
	}
}

// TestReadResponseRejects refuses malformed responses and responses a
// correct server never sends.
func TestReadResponseRejects(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\n"
	for _, tc := range []struct{ name, raw string }{
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"lower-case version", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"no space after the code", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"},
		{"two-digit code", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"},
		{"four-digit code", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"},
		{"code starting with 0", "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n"},
		{"code not digits", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"},
		{"control byte in the reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n"},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n"},
		{"bare CR in a field", ok + "X: a\rb\r\nContent-Length: 0\r\n\r\n"},
		{"end before the empty line", ok + "Content-Length: 0\r\n"},
		{"end inside a line", ok + "Content-Len"},
		{"space before the colon", ok + "Content-Length : 0\r\n\r\n"},
		{"empty field name", ok + ": x\r\nContent-Length: 0\r\n\r\n"},
		{"no colon", ok + "NoColon\r\nContent-Length: 0\r\n\r\n"},
		{"folded field", ok + "X: a\r\n b\r\nContent-Length: 0\r\n\r\n"},
		{"NUL in a value", ok + "X: a\x00b\r\nContent-Length: 0\r\n\r\n"},
		{"DEL in a value", ok + "X: a\x7fb\r\nContent-Length: 0\r\n\r\n"},
		{"Content-Length and Transfer-Encoding", ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"two Content-Length fields", ok + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
		{"Content-Length on 204", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"},
		{"Transfer-Encoding on 1xx", "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"Content-Length +5", ok + "Content-Length: +5\r\n\r\nhello"},
		{"Content-Length -1", ok + "Content-Length: -1\r\n\r\n"},
		{"Content-Length empty", ok + "Content-Length:\r\n\r\n"},
		{"Content-Length list", ok + "Content-Length: 5, 5\r\n\r\nhello"},
		{"Content-Length above MaxBody", ok + "Content-Length: 99999999999\r\n\r\n"},
		{"body shorter than Content-Length", ok + "Content-Length: 10\r\n\r\nhello"},
		{"Transfer-Encoding gzip", ok + "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\nxx"},
		{"Transfer-Encoding list", ok + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"},
		{"two Transfer-Encoding fields", ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"no framing and no close", ok + "\r\nbody"},
		{"chunk extension", ok + "Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\n\r\n"},
		{"chunk size 0x5", ok + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"},
		{"chunk size with a sign", ok + "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n"},
		{"empty chunk-size line", ok + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n"},
		{"chunk-size line too long", ok + "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n"},
		{"chunk above MaxBody", ok + "Transfer-Encoding: chunked\r\n\r\nffffffff\r\nhello\r\n0\r\n\r\n"},
		{"chunk data not followed by CRLF", ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n"},
		{"bare LF after a chunk size", ok + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"},
		{"end before the last chunk", ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"},
		{"end before the trailer section ends", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n"},
		{"malformed trailer", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n"},
		{"line above MaxLine", ok + "X: " + strings.Repeat("v", MaxLine) + "\r\nContent-Length: 0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReadResponse(bufio.NewReader(strings.NewReader(tc.raw)), false)
			if err == nil {
				t.Errorf("ReadResponse(%q) = %v, want an error", Truncate(tc.raw), r)
			}
		})
	}
}

// TestReadResponseEOF: an empty stream is io.EOF, not a malformed response.
func TestReadResponseEOF(t *testing.T) {
	if r, err := ReadResponse(bufio.NewReader(strings.NewReader("")), false); r != nil || err != io.EOF {
		t.Errorf("ReadResponse of nothing = %v, %v; want nil, io.EOF", r, err)
	}
}

// TestParseResponses parses a stream of pipelined responses, HEAD ones
// without a body, and stops at a close or a 101.
func TestParseResponses(t *testing.T) {
	const (
		ten    = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
		closes = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
	)
	for _, tc := range []struct {
		name    string
		data    string
		methods []string
		bodies  []string
		wantErr bool
	}{
		{"none", "", nil, nil, false},
		{"pipelined", ten + "0123456789" + ten + "abcdefghij", nil, []string{"0123456789", "abcdefghij"}, false},
		{"HEAD then GET", ten + ten + "0123456789", []string{"HEAD", "GET"}, []string{"", "0123456789"}, false},
		{"interim before a HEAD's final", "HTTP/1.1 100 Continue\r\n\r\n" + ten + ten + "0123456789", []string{"HEAD", "GET"}, []string{"", "", "0123456789"}, false},
		{"101 ends the exchange", "HTTP/1.1 101 Switching Protocols\r\n\r\nnot HTTP", nil, []string{""}, false},
		{"close-delimited ends the stream", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", nil, []string{"all of it"}, false},
		{"bytes after Connection: close", closes + ten + "0123456789", nil, []string{"ok"}, true},
		{"malformed second response", ten + "0123456789" + "HTTP/1.0 200 OK\r\n\r\n", nil, []string{"0123456789"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := ParseResponses(tc.data, tc.methods...)
			if (err != nil) != tc.wantErr {
				t.Errorf("ParseResponses error %v, want an error: %v", err, tc.wantErr)
			}
			var bodies []string
			for _, r := range rs {
				bodies = append(bodies, string(r.Body))
			}
			if diff := cmp.Diff(tc.bodies, bodies); diff != "" {
				t.Errorf("bodies (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResponseAccessors checks the field lookups.
func TestResponseAccessors(t *testing.T) {
	r := &Response{Header: []Field{{"Connection", "keep-alive, Upgrade"}, {"x-a", "1"}, {"X-A", "2"}}}
	if diff := cmp.Diff([]string{"1", "2"}, r.Values("X-a")); diff != "" {
		t.Errorf("Values (-want +got):\n%s", diff)
	}
	if v, ok := r.Get("X-A"); v != "1" || !ok {
		t.Errorf("Get(X-A) = %q, %v; want 1, true", v, ok)
	}
	if v, ok := r.Get("Missing"); v != "" || ok {
		t.Errorf("Get(Missing) = %q, %v; want \"\", false", v, ok)
	}
	if !r.Has("x-A") || r.Has("Missing") {
		t.Errorf("Has is wrong")
	}
	if !r.HasToken("connection", "upgrade") || r.HasToken("Connection", "keep") || r.Closes() {
		t.Errorf("HasToken/Closes are wrong")
	}
}

// TestCheckDate accepts only canonical IMF-fixdates.
func TestCheckDate(t *testing.T) {
	if err := CheckDate("Sun, 06 Nov 1994 08:49:37 GMT"); err != nil {
		t.Errorf("CheckDate of an IMF-fixdate: %v", err)
	}
	for _, v := range []string{"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 6 Nov 1994 08:49:37 GMT", "Mon, 06 Nov 1994 08:49:37 GMT"} {
		if err := CheckDate(v); err == nil {
			t.Errorf("CheckDate(%q) = nil, want an error", v)
		}
	}
}

// errorRecorder is a testing.TB that records Errorf calls.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

// TestCheckInvariants: a 2xx–4xx without a valid Date, or a chunked
// response to HTTP/1.0, breaks an invariant.
func TestCheckInvariants(t *testing.T) {
	good := []Field{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}}
	for _, tc := range []struct {
		name   string
		r      *Response
		http10 bool
		broken bool
	}{
		{"200 with Date", &Response{Status: 200, Header: good}, false, false},
		{"500 without Date", &Response{Status: 500}, false, false},
		{"100 without Date", &Response{Status: 100}, false, false},
		{"404 without Date", &Response{Status: 404}, false, true},
		{"two Dates", &Response{Status: 200, Header: append(good, good...)}, false, true},
		{"bad Date", &Response{Status: 200, Header: []Field{{"Date", "yesterday"}}}, false, true},
		{"chunked to 1.1", &Response{Status: 200, Header: append(good, Field{"Transfer-Encoding", "chunked"})}, false, false},
		{"chunked to 1.0", &Response{Status: 200, Header: append(good, Field{"Transfer-Encoding", "chunked"})}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &errorRecorder{TB: t}
			CheckInvariants(rec, "response", tc.r, tc.http10)
			if broken := len(rec.errs) > 0; broken != tc.broken {
				t.Errorf("broken = %v (%q), want %v", broken, rec.errs, tc.broken)
			}
		})
	}
}

// TestIsReset tells resets from other errors.
func TestIsReset(t *testing.T) {
	if !IsReset(errors.New("read tcp: connection reset by peer")) || !IsReset(errors.New("write: broken pipe")) {
		t.Errorf("a reset is not a reset")
	}
	if IsReset(nil) || IsReset(io.EOF) {
		t.Errorf("nil or EOF is a reset")
	}
}

// TestSummarizeLongStrings: long strings compare equal exactly when they are.
func TestSummarizeLongStrings(t *testing.T) {
	a := strings.Repeat("a", 1000)
	b := a[:500] + "b" + a[501:]
	if !cmp.Equal(a, strings.Clone(a), SummarizeLongStrings) || cmp.Equal(a, b, SummarizeLongStrings) {
		t.Errorf("the summary changes the comparison")
	}
	if diff := cmp.Diff(a, b, SummarizeLongStrings); len(diff) > 1000 {
		t.Errorf("the diff of two long strings is %d bytes long:\n%s", len(diff), diff)
	}
}
