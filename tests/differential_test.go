package tests

// A differential test of the net/http adaptor: the same raw request bytes go
// over loopback TCP to net/http's own server and to tinyhttp's ServeHandler,
// both running the same http.Handler, and what the handler saw of the
// *http.Request and what came back on the wire are compared. Where the two
// differ on purpose, the difference is listed in deliberateDifferences with
// its reason; the test checks that exactly the listed differences occur, so
// that the list cannot rot.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
	"github.com/google/go-cmp/cmp"
)

// diffRow is one row of the differential table: raw bytes sent as they are.
type diffRow struct {
	name string
	raw  string
	// more is sent after the first response (a 100 Continue) is read.
	more string
	// finals is how many final responses to read (default 1).
	finals int
	// methods are the request methods in order, for HEAD responses
	// (default: the first token of raw).
	methods []string
	// statusOnly compares the status codes only (bad requests).
	statusOnly bool
	// tolerateWriteError lets the send fail (the server may close before
	// it has read everything, as for a too-long header).
	tolerateWriteError bool
}

// deliberateDifference is one difference the test expects, with its reason.
// aspect names the part of the comparison that differs (see aspectDiffs):
// "statuses" (the status codes of every response read, 1xx included),
// "view" (what the handler saw), "end" (the connection open, closed or
// cut), and per response "proto", "reason", "header:<Name>", "body",
// "framing" and "trailers".
type deliberateDifference struct {
	row, aspect, what, why string
}

// Reasons shared by several deliberate differences.
const (
	connectionClose = "README: \"Connection: close is sent whenever the server will close\" (CONFORMANCE.md C05; RFC 9112 §9.6 SHOULD)"
	alwaysHTTP11    = "README: \"the status line is always HTTP/1.1\" (RFC 9110 §6.2: a server sends the highest minor version it conforms to)"
	optionsAsterisk = "pull model: OPTIONS * is a request like any other, answered by the application (README: the handler sees the URL \"*\"; CONFORMANCE.md H21 OPTIONS * → 2xx); Handle cannot know the application wants net/http's server-wide answer"
)

// deliberateDifferences lists every difference between net/http and
// tinyhttp that the table shows on purpose. The test fails when one of them
// does not occur, as well as when an unlisted one does.
var deliberateDifferences = []deliberateDifference{
	{"obs-fold", "statuses", "net/http unfolds \"X-Fold: a\\r\\n b\" to \"a b\" and answers 200; tinyhttp answers 400",
		"CONFORMANCE.md H07 (Policy: 400; RFC 9112 §5.2 allows rejecting obs-fold, Go unfolds)"},
	{"get-asterisk", "statuses", "net/http hands \"GET * HTTP/1.1\" to the handler (200); tinyhttp answers 400",
		"CONFORMANCE.md H21: \"*\" is only for OPTIONS (RFC 9112 §3.2.4)"},
	{"cl-and-te", "statuses", "net/http processes Content-Length with Transfer-Encoding: chunked as chunked (200); tinyhttp answers 400",
		"CONFORMANCE.md F01 (Policy: 400 + close, a request-smuggling defence; RFC 9112 §6.1 MAY reject)"},
	{"content-length-list", "statuses", "net/http refuses \"Content-Length: 5, 5\" in one field (400; it accepts two equal fields); tinyhttp reads it as 5 (200)",
		"CONFORMANCE.md F03 (Policy: repeated equal Content-Length, \"5, 5\" or two \"5\" lines, accepted as 5; RFC 9110 §8.6 allows it)"},
	{"te-on-http10", "statuses", "net/http ignores Transfer-Encoding on HTTP/1.0: an empty body, 200, and the connection closes (the chunk bytes are never read); tinyhttp answers 400",
		"CONFORMANCE.md F08 (Policy: 400 + close; RFC 9112 §6.1 MUST treat the framing as faulty)"},
	{"too-much-body", "header:Connection", "net/http closes after a write past the declared Content-Length without saying so; tinyhttp sends Connection: close",
		connectionClose},
	{"http10-close", "header:Connection", "net/http closes an HTTP/1.0 connection without saying so; tinyhttp sends Connection: close",
		connectionClose},
	{"http10-post", "header:Connection", "net/http closes an HTTP/1.0 connection without saying so; tinyhttp sends Connection: close",
		connectionClose},
	{"http10-keepalive-big", "header:Connection", "net/http sends the close-delimited body to an HTTP/1.0 keep-alive request without a Connection field; tinyhttp sends Connection: close",
		connectionClose + "; CONFORMANCE.md C06, C07"},
	{"http10-close", "proto", "net/http answers an HTTP/1.0 request with \"HTTP/1.0 200 OK\"; tinyhttp with \"HTTP/1.1 200 OK\"", alwaysHTTP11},
	{"http10-post", "proto", "as http10-close", alwaysHTTP11},
	{"http10-keepalive", "proto", "as http10-close", alwaysHTTP11},
	{"http10-keepalive-big", "proto", "as http10-close", alwaysHTTP11},
	{"expect-100-http10", "header:Connection", "as http10-close", connectionClose},
	{"expect-100-http10", "proto", "as http10-close", alwaysHTTP11},
	{"options-asterisk", "view", "net/http answers OPTIONS * itself (its globalOptionsHandler, unless DisableGeneralOptionsHandler) and the handler never runs; tinyhttp hands it to the handler",
		optionsAsterisk},
	{"options-asterisk", "body", "net/http's OPTIONS * answer is empty; the handler writes \"hello, world\\n\"", optionsAsterisk},
	{"options-asterisk", "header:Content-Length", "0 from net/http's OPTIONS * answer; 13 from the handler", optionsAsterisk},
	{"options-asterisk", "header:Content-Type", "none from net/http's OPTIONS * answer; sniffed text/plain from the handler", optionsAsterisk},
	{"switch-without-hijack", "end", "net/http reads the bytes after a 101 its handler sent without hijacking as HTTP/1.1 (the probe is answered); tinyhttp closes after the 101",
		"after a 101 the bytes are the other protocol's (RFC 9110 §15.2.2), and without a Hijack nothing on the server speaks it"},
	{"switch-without-hijack", "header:Connection", "net/http sends the handler's \"Connection: Upgrade\"; tinyhttp its own \"Connection: upgrade\" (the option is case-insensitive)",
		"the Connection field is the server's to write (README: framing fields are the library's), as for Request.Upgrade and tiny-http"},
	{"panic", "statuses", "net/http cuts the connection without a response; tinyhttp answers 500 with Connection: close",
		"README: \"A panicking handler gets 500 (or its connection cut, once the head is out)\" (tiny-http's Serve answers 500)"},
	{"abort-handler", "statuses", "net/http cuts the connection without a response; tinyhttp answers 500 with Connection: close",
		"README: a panic before the head is out gets 500, http.ErrAbortHandler included (only its log is silent)"},
	{"handler-te-identity", "framing", "net/http sends the body of a handler's \"Transfer-Encoding: identity\" close-delimited; tinyhttp with Content-Length",
		teIdentity},
	{"handler-te-identity", "header:Content-Length", "as framing", teIdentity},
	{"handler-te-identity", "header:Connection", "net/http closes after the close-delimited body and says so; tinyhttp keeps the connection", teIdentity},
	{"handler-te-identity", "end", "as header:Connection", teIdentity},
}

// teIdentity is why a handler's "Transfer-Encoding: identity" is not sent
// close-delimited as net/http does: the framing is the server's (README),
// and Content-Length is a valid one that keeps the connection (on HTTP/1.1
// the framing choice, prepare.go, gives no response close-delimited
// framing, and the adaptor cannot ask for it).
const teIdentity = "the framing is the server's (README: framing fields are the library's); identity is no transfer coding (RFC 9112 §7, removed from the registry), and Content-Length frames the same body while keeping the connection"

// diffRows is the table: each row's bytes go to both servers on a fresh
// connection.
var diffRows = []diffRow{
	// The request as the handler sees it.
	{name: "get-origin-query", raw: "GET /small?a=1&b=%20x&c HTTP/1.1\r\nHost: example.com\r\nUser-Agent: diff\r\nAccept: */*\r\n\r\n"},
	{name: "get-escaped-slash", raw: "GET /small/a%2Fb/c?x=%2F HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "get-escapes", raw: "GET /small/%E2%82%AC%20x/%7Euser HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "absolute-form", raw: "GET http://example.com:8080/small?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n"},
	{name: "absolute-form-https", raw: "GET https://example.com/small/x HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{name: "options-asterisk", raw: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "switch-without-hijack", raw: "GET /switch HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"},
	{name: "get-asterisk", raw: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", statusOnly: true},
	{name: "head-small", raw: "HEAD /small HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "head-big", raw: "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "unknown-method", raw: "FOO /small HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "lower-case-method", raw: "get /small HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "empty-host", raw: "GET /small HTTP/1.1\r\nHost:\r\n\r\n"},
	{name: "host-with-port", raw: "GET /small HTTP/1.1\r\nHost: Example.COM:80\r\n\r\n"},
	{name: "pragma-no-cache", raw: "GET /small HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n"},
	{name: "repeated-fields", raw: "GET /small HTTP/1.1\r\nhost: h\r\nx-a: 1\r\nX-B: b\r\nX-A: 2\r\nx-A: 3\r\nCookie: a=1\r\nCookie: b=2\r\nx_under: u\r\n\r\n"},
	{name: "field-value-whitespace", raw: "GET /small HTTP/1.1\r\nHost: h\r\nX-Pad: \t padded \t\r\nX-Empty:\r\n\r\n"},
	{name: "post-content-length", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"},
	{name: "post-empty-body", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"},
	{name: "post-no-length", raw: "POST /echo HTTP/1.1\r\nHost: h\r\n\r\n"},
	// net/http's readTransfer collapses equal repeated Content-Length
	// fields into one: the handler sees Header["Content-Length"] = ["5"].
	{name: "duplicate-equal-content-length", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
	{name: "post-chunked-trailers", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
		"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"},
	{name: "chunk-extensions", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;name=val\r\nhello\r\n1;q=\"x y\"\r\n!\r\n0;last\r\n\r\n"},
	{name: "expect-100-http10", raw: "POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello"},
	{name: "expect-100-continue", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", more: "hello"},
	{name: "obs-fold", raw: "GET /small HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n b\r\n\r\n", statusOnly: true},
	{name: "connection-close", raw: "GET /small HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"},
	{name: "http10-close", raw: "GET /small HTTP/1.0\r\n\r\n"},
	{name: "http10-keepalive", raw: "GET /small HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "http10-keepalive-big", raw: "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{name: "http10-post", raw: "POST /echo HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"},

	// Pipelining: the whole sequence of responses is compared.
	{name: "pipelined-two", finals: 2, raw: "GET /small/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /small/2 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "pipelined-three", finals: 3, methods: []string{"GET", "POST", "GET"}, raw: "GET /small/1 HTTP/1.1\r\nHost: h\r\n\r\n" +
		"POST /echo/2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" +
		"GET /big/3 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "pipelined-head-then-get", finals: 2, methods: []string{"HEAD", "GET"}, raw: "HEAD /big/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /small/2 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "pipelined-close-first", finals: 2, raw: "GET /small/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /small/2 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "pipelined-unread-body", finals: 2, methods: []string{"POST", "GET"}, raw: "POST /small/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789" +
		"GET /small/2 HTTP/1.1\r\nHost: h\r\n\r\n"},

	// Bad requests: the status codes only.
	{name: "bad-method-token", raw: "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", statusOnly: true},
	{name: "missing-host", raw: "GET / HTTP/1.1\r\n\r\n", statusOnly: true},
	{name: "two-hosts", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", statusOnly: true},
	{name: "duplicate-content-length", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", statusOnly: true},
	{name: "invalid-content-length", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", statusOnly: true},
	{name: "cl-and-te", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", statusOnly: true},
	{name: "content-length-list", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello", statusOnly: true},
	{name: "expect-unknown", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\nhello", statusOnly: true},
	{name: "te-unknown", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", statusOnly: true},
	{name: "te-on-http10", raw: "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", statusOnly: true},
	// The body is streamed: on both servers the handler runs, its read fails
	// and it answers 400 (the handler's answer to a body error).
	{name: "bad-chunk-size", raw: "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", statusOnly: true},
	{name: "space-before-colon", raw: "GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n", statusOnly: true},
	{name: "header-no-colon", raw: "GET / HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n", statusOnly: true},
	{name: "http2-version", raw: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", statusOnly: true},
	{name: "bad-version", raw: "GET / HTTP/1.x\r\nHost: h\r\n\r\n", statusOnly: true},
	{name: "too-long-header", raw: "GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + strings.Repeat("a", 80<<10) + "\r\n\r\n",
		statusOnly: true, tolerateWriteError: true},

	// What the handler writes.
	{name: "echo-body", raw: "PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 13\r\n\r\n<p>echoed</p>"},
	{name: "small-body", raw: "GET /small HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "big-body", raw: "GET /big HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "declared-length", raw: "GET /cl HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "declared-length-big", raw: "GET /clbig HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "flush-midway", raw: "GET /flush HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "status-204-body", raw: "GET /204 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "status-304-body", raw: "GET /304 HTTP/1.1\r\nHost: h\r\n\r\n"},
	// After a write past the declared Content-Length (ErrContentLength),
	// the connection closes after the response (net/http: written !=
	// declared).
	{name: "too-much-body", raw: "GET /toolong HTTP/1.1\r\nHost: h\r\n\r\n"},
	// The same write past the declared length, on a connection that closes
	// anyway: ErrContentLength and the response itself agree.
	{name: "too-much-body-close", raw: "GET /toolong HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"},
	{name: "trailers", raw: "GET /trailers HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "early-hints", raw: "GET /hints HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "no-write", raw: "GET /nowrite HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "sniffed-html", raw: "GET /sniff HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "explicit-status", raw: "GET /404 HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "panic", raw: "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "abort-handler", raw: "GET /abort HTTP/1.1\r\nHost: h\r\n\r\n"},
	// A handler that writes 3200 bytes (the head goes out, chunked) and
	// then panics: the head and what was written go out, then the
	// connection is cut (a truncated response).
	{name: "panic-after-head", raw: "GET /panicafter HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "early-hints-content-length", raw: "GET /hintscl HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "early-hints-transfer-encoding", raw: "GET /hintste HTTP/1.1\r\nHost: h\r\n\r\n"},
	// A coded body is not sniffed (Go issue 31753).
	{name: "content-encoding-no-sniff", raw: "GET /sniffce HTTP/1.1\r\nHost: h\r\n\r\n"},
	// A 304 carries neither Content-Type nor framing fields.
	{name: "status-304-content-type", raw: "GET /304ct HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "handler-te-chunked", raw: "GET /techunked HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "handler-te-identity", raw: "GET /teidentity HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "readfrom-after-buffered", raw: "GET /readfrom HTTP/1.1\r\nHost: h\r\n\r\n"},
	// Part of the body read, then the head flushed: the rest is gone
	// (http.ErrBodyReadAfterClose), unless full duplex.
	{name: "body-after-flush", raw: "POST /partial HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789"},
	{name: "body-after-flush-full-duplex", raw: "POST /duplex HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789"},
	// Hijack: the body the handler has not read comes first in the
	// hijacked reader, small (read before queueing) or streamed.
	{name: "hijack-small-body", raw: "POST /hijack HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcEXTRA"},
	{name: "hijack-small-body-part-read", raw: "POST /hijack1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcEXTRA"},
	{name: "hijack-streamed-body", raw: "POST /hijack HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + strings.Repeat("d", 2000) + "EXTRA"},
}

// baselineChecks check that a row exercises what it is there for, on
// net/http's side (tinyhttp's is compared with it): a check that fails
// means the row tests nothing.
var baselineChecks = map[string]func(o outcome, vs []seen) bool{
	"get-escaped-slash": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && vs[0].RawPath == "/small/a%2Fb/c" && vs[0].Path == "/small/a/b/c" && vs[0].RawQuery == "x=%2F"
	},
	"absolute-form": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && vs[0].Host == "example.com:8080" && vs[0].URL == "http://example.com:8080/small?q=1"
	},
	"repeated-fields": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && slices.Equal(vs[0].Header["X-A"], []string{"1", "2", "3"}) && !vs[0].HostInHeader
	},
	"post-chunked-trailers": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && vs[0].Body == "hello world" && vs[0].ContentLength == -1 &&
			slices.Equal(vs[0].TransferEncoding, []string{"chunked"}) && vs[0].Trailer.Get("X-Sum") == "42"
	},
	"expect-100-continue": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 2 && o.Resps[0].Status == 100 && len(vs) == 1 && vs[0].Body == "hello"
	},
	"expect-100-http10": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Status == 200 && len(vs) == 1 && vs[0].Body == "hello"
	},
	"obs-fold": func(o outcome, vs []seen) bool { return len(vs) == 1 && vs[0].Header.Get("X-Fold") == "a b" },
	"head-big": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Header["Content-Length"] == nil && o.Resps[0].Framing == "none"
	},
	"http10-keepalive": func(o outcome, vs []seen) bool { return o.End == "open" },
	"pipelined-three": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 3 && o.Resps[2].Framing == "chunked" && len(vs) == 3
	},
	"big-body":            func(o outcome, vs []seen) bool { return len(o.Resps) == 1 && o.Resps[0].Framing == "chunked" },
	"flush-midway":        func(o outcome, vs []seen) bool { return len(o.Resps) == 1 && o.Resps[0].Framing == "chunked" },
	"declared-length-big": func(o outcome, vs []seen) bool { return len(o.Resps) == 1 && o.Resps[0].Framing == "length" },
	"status-204-body": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && slices.Equal(vs[0].WriteErrs, []string{"ErrBodyNotAllowed"})
	},
	"status-304-body": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && slices.Equal(vs[0].WriteErrs, []string{"ErrBodyNotAllowed"})
	},
	"too-much-body-close": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && slices.Equal(vs[0].WriteErrs, []string{"ErrContentLength"})
	},
	"trailers": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Trailers["X-Declared"] != nil && o.Resps[0].Trailers["X-Prefixed"] != nil
	},
	"early-hints": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 2 && o.Resps[0].Status == 103 && o.Resps[0].Header["Link"] != nil && o.Resps[1].Header["X-Final"] != nil
	},
	"sniffed-html": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && slices.Equal(o.Resps[0].Header["Content-Type"], []string{"text/html; charset=utf-8"})
	},
	"too-long-header": func(o outcome, vs []seen) bool { return len(o.Resps) == 1 && o.Resps[0].Status == 431 },
	"early-hints-content-length": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 2 && o.Resps[0].Status == 103 && o.Resps[0].Header["Content-Length"] == nil && o.Resps[1].Framing == "length"
	},
	"early-hints-transfer-encoding": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 2 && o.Resps[0].Status == 103 && o.Resps[0].Header["Transfer-Encoding"] == nil && o.Resps[1].Framing == "chunked"
	},
	"content-encoding-no-sniff": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Header["Content-Type"] == nil
	},
	"status-304-content-type": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Status == 304 && o.Resps[0].Header["Content-Type"] == nil && o.Resps[0].Header["Etag"] != nil
	},
	"handler-te-chunked": func(o outcome, vs []seen) bool { return len(o.Resps) == 1 && o.Resps[0].Framing == "chunked" },
	"readfrom-after-buffered": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && len(o.Resps[0].Body) == 4800 && len(vs) == 1 && len(vs[0].WriteErrs) == 0
	},
	"body-after-flush": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && vs[0].Body == "01" && vs[0].BodyErr
	},
	"body-after-flush-full-duplex": func(o outcome, vs []seen) bool {
		return len(vs) == 1 && vs[0].Body == "0123456789" && !vs[0].BodyErr
	},
	"hijack-small-body": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Body == "abcEXTRA"
	},
	"hijack-small-body-part-read": func(o outcome, vs []seen) bool {
		return len(o.Resps) == 1 && o.Resps[0].Body == "bcEXTRA"
	},
}

// seen is what the handler saw of one *http.Request.
type seen struct {
	Method, URL, Path, RawPath, RawQuery, RequestURI, Host string
	Proto                                                  string
	HostInHeader                                           bool // net/http takes Host out of Header
	ProtoMajor, ProtoMinor                                 int
	Header                                                 http.Header
	ContentLength                                          int64
	TransferEncoding                                       []string
	Close                                                  bool
	Body                                                   string
	BodyErr                                                bool
	Trailer                                                http.Header
	RemoteIPPort, TLSNil                                   bool
	WriteErrs                                              []string
}

// recorder collects what its handler saw; active counts the handlers
// still running, so that a test waits for them before comparing.
type recorder struct {
	mu     sync.Mutex
	views  []seen
	active atomic.Int32
}

func (rec *recorder) reset() {
	rec.mu.Lock()
	rec.views = nil
	rec.mu.Unlock()
}

// sorted returns the views in a deterministic order (pipelined handlers run
// in parallel on tinyhttp).
func (rec *recorder) sorted() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	vs := slices.Clone(rec.views)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].RequestURI+vs[i].Method < vs[j].RequestURI+vs[j].Method })
	return vs
}

// errName names the errors of the ResponseWriter the handler expects.
func errName(err error) string {
	switch {
	case errors.Is(err, http.ErrBodyNotAllowed):
		return "ErrBodyNotAllowed"
	case errors.Is(err, http.ErrContentLength):
		return "ErrContentLength"
	}
	return err.Error()
}

// bigBody is above net/http's 2048-byte buffer: chunked unless declared.
var bigBody = strings.Repeat("0123456789abcdef", 200) // 3200 bytes

// handler records the request and answers by the first segment of its path.
func (rec *recorder) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/probe" {
			io.WriteString(w, "probe")
			return
		}
		rec.active.Add(1)
		v := seen{
			Method: r.Method, URL: r.URL.String(), Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery,
			RequestURI: r.RequestURI, Host: r.Host, Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
			Header: r.Header.Clone(), ContentLength: r.ContentLength, TransferEncoding: slices.Clone(r.TransferEncoding),
			Close: r.Close, TLSNil: r.TLS == nil,
		}
		_, v.HostInHeader = r.Header["Host"]
		if host, port, err := net.SplitHostPort(r.RemoteAddr); err == nil && port != "" {
			_, perr := netip.ParseAddr(host)
			v.RemoteIPPort = perr == nil
		}
		segment, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		var body []byte
		var err error
		if !readsBodyItself[segment] {
			body, err = io.ReadAll(r.Body)
		}
		v.Body, v.BodyErr, v.Trailer = string(body), err != nil, r.Trailer.Clone()
		defer func() {
			rec.mu.Lock()
			rec.views = append(rec.views, v)
			rec.mu.Unlock()
			rec.active.Add(-1)
		}()
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		write := func(s string) {
			if _, err := io.WriteString(w, s); err != nil {
				v.WriteErrs = append(v.WriteErrs, errName(err))
			}
		}
		switch segment {
		case "echo":
			w.Write(body)
		case "big":
			write(bigBody)
		case "cl":
			w.Header().Set("Content-Length", "5")
			write("hello")
		case "clbig":
			w.Header().Set("Content-Length", fmt.Sprint(len(bigBody)))
			write(bigBody)
		case "flush":
			write("first;")
			w.(http.Flusher).Flush()
			write("second")
		case "204", "304":
			w.Header().Set("X-Status", segment)
			if segment == "204" {
				w.WriteHeader(http.StatusNoContent)
			} else {
				w.WriteHeader(http.StatusNotModified)
			}
			write("not allowed")
		case "404":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			write("no such thing")
		case "toolong":
			w.Header().Set("Content-Length", "5")
			write("hello")
			write("!")
		case "trailers":
			w.Header().Set("Trailer", "X-Declared")
			write("body with trailers")
			w.Header().Set("X-Declared", "d")
			w.Header().Set(http.TrailerPrefix+"X-Prefixed", "p")
		case "hints":
			w.Header().Set("Link", "</style.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("X-Final", "yes")
			write("after the hints")
		case "hintscl", "hintste":
			// Framing fields set before the 1xx: the 103 must not carry
			// them (RFC 9110 §8.6, RFC 9112 §6.1), the final response uses them.
			if segment == "hintscl" {
				w.Header().Set("Content-Length", "5")
			} else {
				w.Header().Set("Transfer-Encoding", "chunked")
			}
			w.Header().Set("Link", "</a>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			write("hello")
		case "sniffce":
			w.Header().Set("Content-Encoding", "gzip")
			write("\x1f\x8b\x08\x00hello")
		case "304ct":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", "10")
			w.Header().Set("ETag", `"x"`)
			w.WriteHeader(http.StatusNotModified)
		case "techunked", "teidentity":
			w.Header().Set("Transfer-Encoding", strings.TrimPrefix(segment, "te"))
			write("hello")
		case "readfrom":
			// Buffered bytes, then a copy from a reader without WriteTo: the
			// 512 bytes sniffed through Write overflow the buffer.
			write(strings.Repeat("a", 1800))
			if _, err := io.Copy(w, struct{ io.Reader }{strings.NewReader(strings.Repeat("b", 3000))}); err != nil {
				v.WriteErrs = append(v.WriteErrs, errName(err))
			}
		case "partial", "duplex":
			if segment == "duplex" {
				if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
					v.WriteErrs = append(v.WriteErrs, errName(err))
				}
			}
			first := make([]byte, 2)
			n, _ := io.ReadFull(r.Body, first)
			write("start;")
			w.(http.Flusher).Flush()
			rest, err := io.ReadAll(r.Body) // net/http discarded the body as the head went out, unless full duplex
			v.Body, v.BodyErr = string(first[:n])+string(rest), err != nil
			write(fmt.Sprintf("first %q rest %q err=%v", first[:n], rest, err))
		case "hijack", "hijack1":
			hijackEcho(w, r, segment == "hijack1", &v)
		case "nowrite":
		case "switch":
			w.Header().Set("Upgrade", "foo")
			w.Header().Set("Connection", "Upgrade")
			w.WriteHeader(http.StatusSwitchingProtocols)
			write("no body after a 101")
		case "sniff":
			write("<html><body>sniffed</body></html>")
		case "panic":
			panic("differential test panic")
		case "abort":
			panic(http.ErrAbortHandler)
		case "panicafter":
			write(bigBody)
			panic("differential test panic after the head")
		default: // "small", "*" and the rest
			write("hello, world\n")
		}
	})
}

// readsBodyItself names the segments whose handler reads the request body
// itself, not all of it up front.
var readsBodyItself = map[string]bool{"partial": true, "duplex": true, "hijack": true, "hijack1": true}

// hijackEcho hijacks the connection (after reading one byte of the body if
// readOne) and answers with what the hijacked reader gave up to "EXTRA":
// the unread body and the bytes after it, as net/http's reader has them.
func hijackEcho(w http.ResponseWriter, r *http.Request, readOne bool, v *seen) {
	if readOne {
		one := make([]byte, 1)
		n, _ := io.ReadFull(r.Body, one)
		v.Body = string(one[:n])
	}
	nc, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		v.WriteErrs = append(v.WriteErrs, errName(err))
		return
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	var got []byte
	buf := make([]byte, 512)
	for !bytes.HasSuffix(got, []byte("EXTRA")) {
		n, err := brw.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	fmt.Fprintf(nc, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(got), got)
}

// wireResp is one response as parsed from the raw bytes.
type wireResp struct {
	Proto    string // of the status line
	Status   int
	Reason   string
	Header   map[string][]string // canonical names, Date left out
	Body     string
	Framing  string // none, length, chunked or close
	Trailers map[string][]string
}

// outcome is what one connection returned.
type outcome struct {
	Resps []wireResp
	// End is how the exchange ended after the responses read: "open" (a
	// probe request sent afterwards was answered), "closed" (EOF or a
	// reset), or "cut" (a response was malformed or ended early).
	End    string
	detail string // the error behind "cut", for messages
}

// fieldMap turns fields into canonical name → values in order, without Date.
func fieldMap(fs []wiretest.Field) map[string][]string {
	if len(fs) == 0 {
		return nil
	}
	m := make(map[string][]string)
	for _, f := range fs {
		k := http.CanonicalHeaderKey(f.Name)
		if k == "Date" {
			continue
		}
		m[k] = append(m[k], f.Value)
	}
	return m
}

// peekHead returns the raw head of the next response without consuming it.
func peekHead(br *bufio.Reader) ([]byte, error) {
	for {
		if n := br.Buffered(); n > 0 {
			b, _ := br.Peek(n)
			if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
				return slices.Clone(b[:i+4]), nil
			}
			if n >= br.Size() {
				return nil, fmt.Errorf("response head above %d bytes", br.Size())
			}
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			if err == io.EOF && br.Buffered() > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// framingOf is the framing a response head announces (RFC 9112 §6.3).
func framingOf(r *wiretest.Response, head bool) string {
	switch {
	case head || r.Status < 200 || r.Status == 204 || r.Status == 304:
		return "none"
	case r.Has("Transfer-Encoding"):
		return "chunked"
	case r.Has("Content-Length"):
		return "length"
	}
	return "close"
}

// readResp reads one response from c, parsed from the raw bytes by the
// strict wiretest parser; a close-delimited body without Connection: close
// (which net/http sends to HTTP/1.0 clients and the strict parser refuses)
// is read to EOF here.
func readResp(c *wiretest.Client, head bool) (wireResp, error) {
	c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	defer c.Conn.SetReadDeadline(time.Time{})
	raw, err := peekHead(c.R)
	if err != nil {
		return wireResp{}, err
	}
	proto := "HTTP/1.1"
	if bytes.HasPrefix(raw, []byte("HTTP/1.0 ")) {
		// net/http answers an HTTP/1.0 request with an HTTP/1.0 status
		// line, which the strict parser refuses: the head is parsed as
		// HTTP/1.1, the rest of the stream following it.
		proto = "HTTP/1.0"
		fixed := append([]byte("HTTP/1.1 "), raw[len("HTTP/1.0 "):]...)
		c.R.Discard(len(raw))
		c.R = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(fixed), c.R), 64<<10)
		raw = fixed
	}
	hr, err := wiretest.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), true)
	if err != nil {
		return wireResp{}, err
	}
	framing := framingOf(hr, head)
	var r *wiretest.Response
	if framing == "close" && !hr.Closes() {
		c.R.Discard(len(raw))
		body, err := io.ReadAll(c.R)
		if err != nil && !wiretest.IsReset(err) {
			return wireResp{}, err
		}
		r = hr
		r.Body, r.UntilEOF = body, true
	} else if r, err = c.TryReadResponse(head); err != nil {
		return wireResp{}, err
	}
	if got := r.Chunked || r.UntilEOF; got != (framing == "chunked" || framing == "close") {
		return wireResp{}, fmt.Errorf("framing %q from the head, but the parser read chunked=%v untilEOF=%v", framing, r.Chunked, r.UntilEOF)
	}
	return wireResp{Proto: proto, Status: r.Status, Reason: r.Reason, Header: fieldMap(r.Header), Body: string(r.Body),
		Framing: framing, Trailers: fieldMap(r.Trailers)}, nil
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// diffExchange sends row's bytes on a new connection to addr and reads what
// comes back; a hang fails the test.
func diffExchange(t *testing.T, addr string, row diffRow) outcome {
	t.Helper()
	c := wiretest.Dial(t, "tcp", addr)
	defer c.Close()
	if row.tolerateWriteError {
		c.Conn.SetWriteDeadline(time.Now().Add(wiretest.Timeout))
		if _, err := io.WriteString(c.Conn, row.raw); isTimeout(err) {
			t.Fatalf("writing the request: %v", err)
		}
	} else {
		c.Send(row.raw)
	}
	finals := max(row.finals, 1)
	methods := row.methods
	if methods == nil {
		m, _, _ := strings.Cut(row.raw, " ")
		methods = []string{m}
	}
	var out outcome
	sentMore := row.more == ""
	for n := 0; n < finals; {
		head := n < len(methods) && methods[n] == "HEAD"
		r, err := readResp(c, head)
		switch {
		case err == io.EOF || wiretest.IsReset(err):
			out.End = "closed"
			return out
		case isTimeout(err):
			t.Errorf("no response within %v (after %d): %v", wiretest.Timeout, len(out.Resps), err)
			out.End, out.detail = "timeout", err.Error()
			return out
		case err != nil:
			out.End, out.detail = "cut", err.Error()
			return out
		}
		out.Resps = append(out.Resps, r)
		if r.Status >= 200 || r.Status == http.StatusSwitchingProtocols { // a 101 is final: what follows is not HTTP
			n++
		}
		if !sentMore {
			c.Send(row.more)
			sentMore = true
		}
		if r.Framing == "close" {
			out.End = "closed"
			return out
		}
	}
	// Is the connection still open? A probe request must be answered, or
	// the connection must end.
	c.Conn.SetWriteDeadline(time.Now().Add(wiretest.Timeout))
	if _, err := io.WriteString(c.Conn, "GET /probe HTTP/1.1\r\nHost: probe\r\n\r\n"); err != nil {
		out.End = "closed"
		return out
	}
	r, err := readResp(c, false)
	switch {
	case err == nil && r.Status == 200 && r.Body == "probe":
		out.End = "open"
	case err == io.EOF || wiretest.IsReset(err):
		out.End = "closed"
	case isTimeout(err):
		t.Errorf("the connection neither answered a probe nor closed within %v", wiretest.Timeout)
		out.End = "timeout"
	default:
		out.End, out.detail = "probe answered wrongly", fmt.Sprintf("%+v %v", r, err)
	}
	return out
}

// aspectDiffs compares two outcomes (and the handler's views) part by part:
// the names of the parts that differ, with their diffs. A statusOnly row
// compares "statuses" alone. Headers are compared by canonical name, each
// name's values in wire order; the order of different names is not (RFC
// 9110 §5.3 gives it no meaning; net/http sorts the handler's fields and
// appends its own). Date is the one field left out (the clock); nothing
// else is excluded: through Handle, tinyhttp sends no Server field, like
// net/http.
func aspectDiffs(row diffRow, gotNet, gotTiny outcome, viewNet, viewTiny []seen) map[string]string {
	diffs := make(map[string]string)
	add := func(aspect string, a, b any, opts ...cmp.Option) {
		if d := cmp.Diff(a, b, opts...); d != "" {
			diffs[aspect] = d
		}
	}
	statuses := func(o outcome) []int {
		var s []int
		for _, r := range o.Resps {
			s = append(s, r.Status)
		}
		return s
	}
	add("statuses", statuses(gotNet), statuses(gotTiny))
	if row.statusOnly {
		return diffs
	}
	add("view", viewNet, viewTiny, wiretest.SummarizeLongStrings)
	add("end", gotNet.End, gotTiny.End)
	if len(gotNet.Resps) != len(gotTiny.Resps) {
		return diffs
	}
	names := map[string]bool{}
	for _, o := range []outcome{gotNet, gotTiny} {
		for _, r := range o.Resps {
			for k := range r.Header {
				names[k] = true
			}
		}
	}
	for k := range names {
		var a, b [][]string
		for i := range gotNet.Resps {
			a = append(a, gotNet.Resps[i].Header[k])
			b = append(b, gotTiny.Resps[i].Header[k])
		}
		add("header:"+k, a, b)
	}
	part := func(o outcome, f func(wireResp) any) []any {
		var s []any
		for _, r := range o.Resps {
			s = append(s, f(r))
		}
		return s
	}
	for aspect, f := range map[string]func(wireResp) any{
		"proto":    func(r wireResp) any { return r.Proto },
		"reason":   func(r wireResp) any { return r.Reason },
		"body":     func(r wireResp) any { return r.Body },
		"framing":  func(r wireResp) any { return r.Framing },
		"trailers": func(r wireResp) any { return r.Trailers },
	} {
		add(aspect, part(gotNet, f), part(gotTiny, f), wiretest.SummarizeLongStrings)
	}
	return diffs
}

// summary describes an outcome on one line for the test log.
func summary(o outcome) string {
	var b strings.Builder
	for _, r := range o.Resps {
		fmt.Fprintf(&b, "[%s %d %s body=%dB", r.Proto, r.Status, r.Framing, len(r.Body))
		if c := r.Header["Connection"]; c != nil {
			fmt.Fprintf(&b, " Connection=%v", c)
		}
		b.WriteString("] ")
	}
	b.WriteString(o.End)
	if o.detail != "" {
		b.WriteString(" (" + o.detail + ")")
	}
	return b.String()
}

// startNetHTTP serves h with net/http's own server on 127.0.0.1:0, closed
// when the test ends.
func startNetHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: tinyhttp.DefaultReadHeaderTimeout,
		// tinyhttp's limit, so that the too-long header is too long for both.
		MaxHeaderBytes: tinyhttp.DefaultMaxHeaderBytes,
		ErrorLog:       log.New(io.Discard, "", 0), // the panics are on purpose
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		select {
		case <-done:
		case <-time.After(wiretest.Timeout):
			t.Errorf("net/http's Serve did not return within %v", wiretest.Timeout)
		}
	})
	return ln.Addr().String()
}

// waitIdle waits for rec's handlers to finish.
func waitIdle(t *testing.T, rec *recorder, who string) {
	t.Helper()
	if !wiretest.PollUntil(func() bool { return rec.active.Load() == 0 }) {
		t.Fatalf("%s's handlers still running after %v", who, wiretest.Timeout)
	}
}

// TestDifferentialNetHTTP sends each row's raw bytes to net/http's server
// and to tinyhttp's ServeHandler, both running the same handler, and
// compares what the handler saw and what came back on the wire.
func TestDifferentialNetHTTP(t *testing.T) {
	recTiny, recNet := &recorder{}, &recorder{}
	ts := newServerConfig(t, tinyhttp.ServerConfig{Logger: slog.New(slog.DiscardHandler)})
	ts.goroutine(func() { ts.ServeHandler(4, recTiny.handler()) })
	netAddr := startNetHTTP(t, recNet.handler()) // closed before tinyhttp's leak check
	tinyAddr := ts.Addr().String()

	listed := make(map[string]map[string]deliberateDifference)
	for _, d := range deliberateDifferences {
		if _, dup := listed[d.row][d.aspect]; dup {
			t.Errorf("deliberate difference %s/%s listed twice", d.row, d.aspect)
		}
		if listed[d.row] == nil {
			listed[d.row] = make(map[string]deliberateDifference)
		}
		listed[d.row][d.aspect] = d
	}
	names := make(map[string]bool)
	for _, row := range diffRows {
		if names[row.name] {
			t.Fatalf("row %q twice", row.name)
		}
		names[row.name] = true
	}
	for _, d := range deliberateDifferences {
		if !names[d.row] {
			t.Errorf("deliberate difference for row %q, which is not in the table", d.row)
		}
	}
	if len(diffRows) < 40 {
		t.Errorf("%d rows, want at least 40", len(diffRows))
	}

	for _, row := range diffRows {
		t.Run(row.name, func(t *testing.T) {
			recNet.reset()
			recTiny.reset()
			gotNet := diffExchange(t, netAddr, row)
			waitIdle(t, recNet, "net/http")
			gotTiny := diffExchange(t, tinyAddr, row)
			waitIdle(t, recTiny, "tinyhttp")
			t.Logf("net/http: %s", summary(gotNet))
			t.Logf("tinyhttp: %s", summary(gotTiny))
			if check := baselineChecks[row.name]; check != nil && !check(gotNet, recNet.sorted()) {
				t.Errorf("the row does not exercise what it is for on net/http: %s; views %+v", summary(gotNet), recNet.sorted())
			}
			diffs := aspectDiffs(row, gotNet, gotTiny, recNet.sorted(), recTiny.sorted())
			want := listed[row.name]
			for aspect, d := range diffs {
				if dd, ok := want[aspect]; ok {
					t.Logf("deliberate difference in %s (%s): %s\n(-net/http +tinyhttp):\n%s", aspect, dd.why, dd.what, d)
					continue
				}
				t.Errorf("unlisted difference in %s (-net/http +tinyhttp):\n%s\nnet/http: %+v %s\ntinyhttp: %+v %s",
					aspect, d, gotNet, gotNet.detail, gotTiny, gotTiny.detail)
			}
			for aspect, dd := range want {
				if _, ok := diffs[aspect]; !ok {
					t.Errorf("listed difference in %s no longer occurs (%s); remove it from deliberateDifferences", aspect, dd.what)
				}
			}
		})
	}
}
