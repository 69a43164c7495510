package tinyhttp

// TestConformance checks the wire rules of CONFORMANCE.md §1–§3 over real
// loopback connections. Every subtest is named after the rule's ID
// (TestConformance/H06); rules with several vectors have one row each.
// The expectations are exactly the table's: where it says "close", the
// response must carry Connection: close, the server must close, and a
// pipelined follow-up must get no response; "→ 400" also means the
// application never sees the request.

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		id string
		fn func(*testing.T)
	}{
		{"H01", cfH01}, {"H02", cfH02}, {"H03", cfH03}, {"H04", cfH04}, {"H05", cfH05},
		{"H06", cfH06}, {"H07", cfH07}, {"H08", cfH08}, {"H09", cfH09}, {"H10", cfH10},
		{"H11", cfH11}, {"H12", cfH12}, {"H13", cfH13}, {"H14", cfH14}, {"H15", cfH15},
		{"H16", cfH16}, {"H17", cfH17}, {"H18", cfH18}, {"H19", cfH19}, {"H20", cfH20},
		{"H21", cfH21}, {"H22", cfH22}, {"H23", cfH23},
		{"F01", cfF01}, {"F02", cfF02}, {"F03", cfF03}, {"F04", cfF04}, {"F05", cfF05},
		{"F06", cfF06}, {"F07", cfF07}, {"F08", cfF08}, {"F09", cfF09}, {"F10", cfF10},
		{"F11", cfF11}, {"F12", cfF12}, {"F13", cfF13}, {"F14", cfF14}, {"F15", cfF15},
		{"F16", cfF16}, {"F17", cfF17},
		{"C01", cfC01}, {"C02", cfC02}, {"C03", cfC03}, {"C04", cfC04}, {"C05", cfC05},
		{"C06", cfC06}, {"C07", cfC07}, {"C08", cfC08}, {"C09", cfC09}, {"C10", cfC10},
		{"C11", cfC11}, {"C12", cfC12}, {"C13", cfC13}, {"C14", cfC14}, {"C15", cfC15},
		{"C16", cfC16}, {"C17", cfC17}, {"C18", cfC18}, {"C19", cfC19}, {"C20", cfC20},
		{"Limits", cfLimits},
		{"HeaderValidation", cfHeaderValidation},
	} {
		t.Run(tc.id, tc.fn)
	}
}

// cfFollow is the valid request pipelined behind a vector: it must get no
// response when the vector makes the server close, and a correct one when
// the vector is accepted.
const cfFollow = "GET /follow HTTP/1.1\r\nHost: a\r\n\r\n"

// cfGet is a GET of / on HTTP/1.1 with Host and the given field lines
// (each ending in CRLF).
func cfGet(fields string) string { return "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n" }

// cfPost is a POST of / on HTTP/1.1 with Host, the given field lines, and body.
func cfPost(fields, body string) string {
	return "POST / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n" + body
}

// cfChunkedPost is a POST with Transfer-Encoding: chunked and the raw body.
func cfChunkedPost(body string) string { return cfPost("Transfer-Encoding: chunked\r\n", body) }

// cfHTTP10 matches a request line of HTTP/1.0: the responses are then
// checked never to be chunked.
var cfHTTP10 = regexp.MustCompile(`HTTP/1\.0\r?\n`)

// cfRow is one vector of a rule whose request is rejected.
type cfRow struct {
	name   string
	raw    string
	status []int        // acceptable status codes
	close  bool         // the table says "close"
	plain  bool         // closing without any response is acceptable too
	alone  bool         // the vector is deliberately incomplete: no pipelined follow-up, no half-close
	cfg    ServerConfig // limits for this row
}

func cfRejectRows(t *testing.T, rows []cfRow) {
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) { cfReject(t, row) })
	}
}

// cfReject sends a vector (with a valid request pipelined behind it unless
// row.alone) and checks that it is rejected as row says, and that the
// application never sees it.
func cfReject(t *testing.T, row cfRow) {
	t.Helper()
	ts := startWireServer(t, row.cfg, wireRoute)
	c := ts.dial(t)
	c.HTTP10 = cfHTTP10.MatchString(row.raw)
	raw := row.raw
	if !row.alone {
		raw += cfFollow
	}
	c.Send(raw)
	if !row.close && !row.alone {
		c.CloseWrite() // the server is free to keep the connection: let it see the end
	}
	res := c.ReadAll()
	if res.Err != nil {
		t.Fatalf("raw %q: %v\n%v", row.raw, res.Err, res)
	}
	finals := res.Finals()
	if len(finals) == 0 {
		if row.plain && res.Closed && ts.calls.Load() == 0 {
			return
		}
		t.Fatalf("raw %q: no response, want %v\n%v", row.raw, row.status, res)
	}
	first := finals[0]
	if !slices.Contains(row.status, first.Status) {
		t.Errorf("raw %q: status %d, want %v\n%v", row.raw, first.Status, row.status, res)
	}
	if row.close || first.Closes() {
		if row.close && !first.Closes() {
			t.Errorf("raw %q: the response lacks Connection: close\n%v", row.raw, res)
		}
		if !res.Closed {
			t.Errorf("raw %q: the server did not close the connection\n%v", row.raw, res)
		}
		if len(finals) != 1 {
			t.Errorf("raw %q: the pipelined follow-up was answered after a close\n%v", row.raw, res)
		}
		if n := ts.calls.Load(); n != 0 {
			t.Errorf("raw %q: the application was handed %d requests, want 0: %+v", row.raw, n, ts.requests())
		}
		return
	}
	// The connection was kept: the follow-up, and only it, reaches the application.
	switch {
	case row.alone && len(finals) != 1:
		t.Errorf("raw %q: %d responses, want 1\n%v", row.raw, len(finals), res)
	case !row.alone && (len(finals) != 2 || cfTarget(finals[1]) != "/follow"):
		t.Errorf("raw %q: the connection stayed open but the follow-up was not answered correctly\n%v", row.raw, res)
	}
	for _, s := range ts.requests() {
		if s.Target != "/follow" {
			t.Errorf("raw %q: the application was handed the rejected request: %+v", row.raw, s)
		}
	}
}

// cfTarget is the request-target the echo application reported.
func cfTarget(r *wiretest.Response) string {
	v, _ := r.Get("X-Target")
	return v
}

// cfExchange starts a server with the route application, sends raw,
// half-closes, and reads every response until the server closes.
func cfExchange(t *testing.T, cfg ServerConfig, raw string, methods ...string) (*wireServer, wiretest.Result) {
	t.Helper()
	ts := startWireServer(t, cfg, wireRoute)
	c := ts.dial(t)
	c.HTTP10 = cfHTTP10.MatchString(raw)
	c.Send(raw)
	c.CloseWrite()
	res := c.ReadAll(methods...)
	if res.Err != nil {
		t.Fatalf("raw %q: %v\n%v", raw, res.Err, res)
	}
	return ts, res
}

// cfAccept sends an HTTP/1.1 vector followed by cfFollow and checks that
// both are answered 2xx on a persistent connection, the second as /follow:
// the vector was accepted and its framing understood. It returns what the
// application saw of the vector and the response to it.
func cfAccept(t *testing.T, cfg ServerConfig, raw string) (wireSeen, *wiretest.Response) {
	t.Helper()
	ts, res := cfExchange(t, cfg, raw+cfFollow)
	finals := res.Finals()
	if len(finals) != 2 {
		t.Fatalf("raw %q: %d responses, want 2\n%v", raw, len(finals), res)
	}
	for i, r := range finals {
		if r.Status < 200 || r.Status > 299 {
			t.Errorf("raw %q: response %d has status %d, want 2xx\n%v", raw, i, r.Status, res)
		}
	}
	if finals[0].Closes() {
		t.Errorf("raw %q: the response says Connection: close, want a persistent connection\n%v", raw, res)
	}
	if got := cfTarget(finals[1]); got != "/follow" {
		t.Errorf("raw %q: the second response answers %q, want /follow\n%v", raw, got, res)
	}
	seen := ts.requests()
	var first *wireSeen
	for i := range seen {
		if seen[i].Target != "/follow" {
			if first != nil {
				t.Errorf("raw %q: the application saw two requests besides /follow: %+v", raw, seen)
			}
			first = &seen[i]
		}
	}
	if first == nil || len(seen) != 2 {
		t.Fatalf("raw %q: the application saw %+v, want the vector and /follow", raw, seen)
	}
	return *first, finals[0]
}

// ---- §1. Request line, Host, fields ----

func cfH01(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "no Host", raw: "GET / HTTP/1.1\r\n\r\n", status: []int{400}},
		{name: "no Host, other fields", raw: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: []int{400}},
	})
}

func cfH02(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "equal", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "different", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: []int{400}},
		{name: "apart", raw: "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nhost: a\r\n\r\n", status: []int{400}},
	})
}

func cfH03(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: []int{400}},
		{name: "brace", raw: "GET / HTTP/1.1\r\nHost: {\r\n\r\n", status: []int{400}},
		{name: "control byte", raw: "GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n", status: []int{400}},
		{name: "DEL", raw: "GET / HTTP/1.1\r\nHost: a\x7fb\r\n\r\n", status: []int{400}},
		// Host = uri-host [ ":" port ]: the structure, not only the bytes.
		{name: "letters for a port", raw: cfHost("a:xx"), status: []int{400}},
		{name: "two ports", raw: cfHost("a:1:2"), status: []int{400}},
		{name: "unclosed IP-literal", raw: cfHost("[::1"), status: []int{400}},
		{name: "IP-literal then a name", raw: cfHost("[::1]a"), status: []int{400}},
		{name: "IP-literal, bad port", raw: cfHost("[::1]:x"), status: []int{400}},
		{name: "two closing brackets", raw: cfHost("[::1]]"), status: []int{400}},
		{name: "bracket in a name", raw: cfHost("a]"), status: []int{400}},
		{name: "IPv4 in brackets", raw: cfHost("[192.0.2.1]"), status: []int{400}},
		{name: "IPv6 zone", raw: cfHost("[fe80::1%25eth0]"), status: []int{400}},
		{name: "bad IPv6", raw: cfHost("[1:2:3]"), status: []int{400}},
		{name: "empty IPvFuture", raw: cfHost("[v1.]"), status: []int{400}},
		{name: "IPvFuture without a version", raw: cfHost("[v.a]"), status: []int{400}},
		{name: "bare percent", raw: cfHost("a%"), status: []int{400}},
		{name: "percent, one hex digit", raw: cfHost("a%4"), status: []int{400}},
		{name: "percent, no hex digits", raw: cfHost("a%zz"), status: []int{400}},
		{name: "userinfo", raw: cfHost("u@a"), status: []int{400}},
	})
	for _, host := range []string{"a:", "a:80", "a.example:8080", "192.0.2.1:80", "[::1]", "[2001:db8::1]:443",
		"[::ffff:192.0.2.1]", "[v1.a:b]", "[V1F.x]:1", "a%41b", "xn--bcher-kva.example"} {
		t.Run("valid "+host, func(t *testing.T) {
			seen, _ := cfAccept(t, ServerConfig{}, cfHost(host))
			if v, _ := seen.header("Host"); v != host {
				t.Errorf("Host = %q, want %q", v, host)
			}
		})
	}
}

// cfHost is a GET of / on HTTP/1.1 whose Host field has the value host.
func cfHost(host string) string { return "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n" }

func cfH04(t *testing.T) {
	ts, res := cfExchange(t, ServerConfig{}, "GET / HTTP/1.0\r\n\r\n")
	finals := res.Finals()
	if len(finals) != 1 || finals[0].Status != 200 {
		t.Fatalf("HTTP/1.0 without Host: want one 200\n%v", res)
	}
	if n := ts.calls.Load(); n != 1 {
		t.Errorf("the application was handed %d requests, want 1", n)
	}
}

func cfH05(t *testing.T) {
	seen, _ := cfAccept(t, ServerConfig{}, "GET / HTTP/1.1\r\nHost:\r\n\r\n")
	if v, ok := seen.header("Host"); !ok || v != "" {
		t.Errorf("Host = %q, %v; want present and empty", v, ok)
	}
}

func cfH06(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "SP", raw: cfGet("Foo : bar\r\n"), status: []int{400}},
		{name: "HTAB", raw: cfGet("Foo\t: bar\r\n"), status: []int{400}},
		{name: "Host SP", raw: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: []int{400}},
		{name: "Content-Length SP", raw: cfPost("Content-Length : 5\r\n", "hello"), status: []int{400}},
	})
}

func cfH07(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "SP fold", raw: cfGet("X: a\r\n  b\r\n"), status: []int{400}},
		{name: "HTAB fold", raw: cfGet("X: a\r\n\tb\r\n"), status: []int{400}},
		{name: "fold of Host", raw: "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", status: []int{400}},
	})
}

func cfH08(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "SP", raw: "GET / HTTP/1.1\r\n Host: a\r\n\r\n", status: []int{400}},
		{name: "HTAB", raw: "GET / HTTP/1.1\r\n\tX: y\r\nHost: a\r\n\r\n", status: []int{400}},
	})
}

func cfH09(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "no colon", raw: cfGet("NoColon\r\n"), status: []int{400}},
		{name: "empty name", raw: cfGet(": x\r\n"), status: []int{400}},
		{name: "empty name, no value", raw: cfGet(":\r\n"), status: []int{400}},
	})
}

func cfH10(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "brackets", raw: cfGet("X[1]: a\r\n"), status: []int{400}},
		{name: "0xff", raw: cfGet("\xff: a\r\n"), status: []int{400}},
		{name: "0xff inside", raw: cfGet("X\xffY: a\r\n"), status: []int{400}},
		{name: "quote", raw: cfGet("X\"Y: a\r\n"), status: []int{400}},
		{name: "slash", raw: cfGet("X/Y: a\r\n"), status: []int{400}},
	})
}

func cfH11(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "NUL", raw: cfGet("X: a\x00b\r\n"), status: []int{400}},
		{name: "bare CR", raw: cfGet("X: a\rb\r\n"), status: []int{400}},
		{name: "bare LF", raw: cfGet("X: a\nb\r\n"), status: []int{400}},
		{name: "NUL in Host", raw: "GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n", status: []int{400}},
	})
}

func cfH12(t *testing.T) {
	t.Run("bare LF throughout", func(t *testing.T) {
		cfAccept(t, ServerConfig{}, "GET / HTTP/1.1\nHost: a\n\n")
	})
	t.Run("bare LF with a body", func(t *testing.T) {
		seen, _ := cfAccept(t, ServerConfig{}, "POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello")
		if string(seen.Body) != "hello" {
			t.Errorf("body %q, want %q", seen.Body, "hello")
		}
	})
	t.Run("lone CR", func(t *testing.T) {
		cfRejectRows(t, []cfRow{
			{name: "after request line", raw: "GET / HTTP/1.1\rHost: a\r\n\r\n", status: []int{400}},
			{name: "after a field", raw: "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", status: []int{400}},
			{name: "before CRLF", raw: "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", status: []int{400}},
			{name: "as every terminator", raw: "GET / HTTP/1.1\rHost: a\r\r", status: []int{400}, alone: true,
				cfg: ServerConfig{ReadHeaderTimeout: time.Second}},
		})
	})
}

func cfH13(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "missing target", raw: "GET HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "two spaces before target", raw: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "two spaces before version", raw: "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "space in target", raw: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "trailing space", raw: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "leading space", raw: " GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "tab separators", raw: "GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "tab in target", raw: "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "method only", raw: "GET\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "non-token method", raw: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		// RFC 9112 §3.2, RFC 3986: a request-target is visible ASCII only.
		{name: "byte 0xB6 in target", raw: "GET /a\xb6 HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}, close: true},
		{name: "UTF-8 in target", raw: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}, close: true},
		{name: "byte 0xFF in target", raw: "GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}, close: true},
		{name: "DEL in target", raw: "GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}, close: true},
	})
}

func cfH14(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: []int{505}},
		{name: "HTTP/3.0", raw: "GET / HTTP/3.0\r\nHost: a\r\n\r\n", status: []int{505}},
	})
}

func cfH15(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "lower-case name", raw: "GET / http/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "HTTP/1.1.1", raw: "GET / HTTP/1.1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "HTTP/1", raw: "GET / HTTP/1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "HTTP/01.1", raw: "GET / HTTP/01.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "HTTP/1.10", raw: "GET / HTTP/1.10\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "no version", raw: "GET /\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "no version, 0.9 style", raw: "GET /\r\n\r\n", status: []int{400}},
	})
}

func cfH16(t *testing.T) {
	seen, _ := cfAccept(t, ServerConfig{}, "GET / HTTP/1.2\r\nHost: a\r\n\r\n")
	if seen.Version != (HTTPVersion{1, 2}) {
		t.Errorf("version %v, want 1.2", seen.Version)
	}
}

func cfH17(t *testing.T) {
	long := func(n int) string { return "/" + strings.Repeat("a", n-1) }
	cfRejectRows(t, []cfRow{
		{name: "MaxRequestLine 64", raw: "GET " + long(100) + " HTTP/1.1\r\nHost: a\r\n\r\n",
			status: []int{414}, close: true, cfg: ServerConfig{MaxRequestLine: 64}},
		{name: "default limit", raw: "GET " + long(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n",
			status: []int{414}, close: true},
	})
	t.Run("8000-octet request line accepted", func(t *testing.T) {
		target := long(8000 - len("GET ") - len(" HTTP/1.1"))
		seen, _ := cfAccept(t, ServerConfig{}, "GET "+target+" HTTP/1.1\r\nHost: a\r\n\r\n")
		if seen.Target != target {
			t.Errorf("target of %d bytes, want %d", len(seen.Target), len(target))
		}
	})
}

func cfH18(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("X-" + strconv.Itoa(i) + ": v\r\n")
		}
		return b.String()
	}
	cfRejectRows(t, []cfRow{
		{name: "one large field", raw: cfGet("X: " + strings.Repeat("v", 300) + "\r\n"),
			status: []int{431}, close: true, cfg: ServerConfig{MaxHeaderBytes: 256}},
		{name: "many small fields", raw: cfGet(many(40)),
			status: []int{431}, close: true, cfg: ServerConfig{MaxHeaderBytes: 256}},
		{name: "too many fields", raw: cfGet(many(4)),
			status: []int{431}, close: true, cfg: ServerConfig{MaxHeaderFields: 4}},
		{name: "default field count", raw: cfGet(many(100)),
			status: []int{431}, close: true},
	})
	t.Run("at the field limit", func(t *testing.T) {
		cfAccept(t, ServerConfig{MaxHeaderFields: 4}, cfGet(many(3)))
	})
}

func cfH19(t *testing.T) {
	t.Run("CRLF", func(t *testing.T) { cfAccept(t, ServerConfig{}, "\r\n"+cfGet("")) })
	t.Run("LF", func(t *testing.T) { cfAccept(t, ServerConfig{}, "\n"+cfGet("")) })
}

func cfH20(t *testing.T) {
	// The API has no request-host accessor; the request's URL is the
	// absolute-form target, whose authority is the request's host.
	seen, _ := cfAccept(t, ServerConfig{}, "GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n")
	if seen.Target != "http://a.example/x" {
		t.Errorf("URL %q, want the absolute-form target", seen.Target)
	}
	// The authority of an absolute-form target has no ID of its own; H20 is
	// the closest. It is uri-host [ ":" port ] like Host (RFC 9112 §3.2.2),
	// an http or https URI must not have an empty host (RFC 9110 §4.2.1,
	// §4.2.2), and userinfo is refused (RFC 9110 §4.2.4).
	for _, target := range []string{"http://a.example:/x", "http://a.example:8080/x", "http://[::1]:80/x",
		"https://a.example/x", "HTTP://a.example/x", "http://a.example", "http://a.example?q=1"} {
		t.Run("valid "+target, func(t *testing.T) {
			seen, _ := cfAccept(t, ServerConfig{}, "GET "+target+" HTTP/1.1\r\nHost: b.example\r\n\r\n")
			if seen.Target != target {
				t.Errorf("URL %q, want %q", seen.Target, target)
			}
		})
	}
	absolute := func(target string) string { return "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n" }
	cfRejectRows(t, []cfRow{
		{name: "empty authority", raw: absolute("http:///x"), status: []int{400}},
		{name: "empty authority, https", raw: absolute("https:///x"), status: []int{400}},
		{name: "empty authority, no path", raw: absolute("http://"), status: []int{400}},
		{name: "empty authority, query", raw: absolute("http://?q"), status: []int{400}},
		{name: "port alone", raw: absolute("http://:80/x"), status: []int{400}},
		{name: "brace", raw: absolute("http://{/x"), status: []int{400}},
		{name: "letters for a port", raw: absolute("http://a.example:xx/x"), status: []int{400}},
		{name: "unclosed IP-literal", raw: absolute("http://[::1/x"), status: []int{400}},
		{name: "userinfo", raw: absolute("http://u@a.example/x"), status: []int{400}},
		{name: "userinfo and password", raw: absolute("http://u:p@a.example/x"), status: []int{400}},
	})
}

func cfH21(t *testing.T) {
	t.Run("OPTIONS *", func(t *testing.T) {
		seen, _ := cfAccept(t, ServerConfig{}, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
		if seen.Target != "*" || seen.Method != MethodOptions {
			t.Errorf("saw %s %q, want OPTIONS *", seen.Method, seen.Target)
		}
	})
	cfRejectRows(t, []cfRow{
		{name: "GET *", raw: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
	})
}

func cfH22(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "GET authority", raw: "GET a.example:80 HTTP/1.1\r\nHost: a\r\n\r\n", status: []int{400}},
		{name: "POST authority", raw: "POST a.example:80 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", status: []int{400}},
	})
	// CONNECT's own target has no ID; H22, on the authority-form, is the
	// closest. authority-form = uri-host ":" port (RFC 9112 §3.2.3), and an
	// empty or invalid port MUST be refused (RFC 9110 §9.3.6).
	connect := func(target string) string { return "CONNECT " + target + " HTTP/1.1\r\nHost: a\r\n\r\n" }
	cfRejectRows(t, []cfRow{
		{name: "CONNECT without a port", raw: connect("a.example"), status: []int{400}},
		{name: "CONNECT with an empty port", raw: connect("a.example:"), status: []int{400}},
		{name: "CONNECT with letters for a port", raw: connect("a.example:abc"), status: []int{400}},
		{name: "CONNECT to port 0", raw: connect("a.example:0"), status: []int{400}},
		{name: "CONNECT to port 65536", raw: connect("a.example:65536"), status: []int{400}},
		{name: "CONNECT with two ports", raw: connect("a.example:1:2"), status: []int{400}},
		{name: "CONNECT with an empty host", raw: connect(":80"), status: []int{400}},
		{name: "CONNECT with userinfo", raw: connect("u@a.example:80"), status: []int{400}},
		{name: "CONNECT to an IP-literal without a port", raw: connect("[2001:db8::1]"), status: []int{400}},
		{name: "CONNECT to an unclosed IP-literal", raw: connect("[2001:db8::1:443"), status: []int{400}},
		{name: "CONNECT with a path", raw: connect("a.example:443/x"), status: []int{400}},
	})
	for _, target := range []string{"a.example:443", "[2001:db8::1]:443", "192.0.2.1:80", "a.example:65535"} {
		t.Run("CONNECT "+target, func(t *testing.T) {
			ts, res := cfExchange(t, ServerConfig{}, connect(target))
			finals := res.Finals()
			if len(finals) == 0 || finals[0].Status != 200 {
				t.Fatalf("want a 200 from the application\n%v", res)
			}
			if seen := ts.requests(); len(seen) != 1 || seen[0].Method != MethodConnect || seen[0].Target != target {
				t.Errorf("the application saw %+v, want CONNECT %s", seen, target)
			}
		})
	}
}

func cfH23(t *testing.T) {
	for _, method := range []string{"FOO", "get"} {
		t.Run(method, func(t *testing.T) {
			ts, res := cfExchange(t, ServerConfig{}, method+" / HTTP/1.1\r\nHost: a\r\n\r\n"+cfFollow)
			finals := res.Finals()
			if len(finals) != 2 || finals[0].Status != 501 || cfTarget(finals[1]) != "/follow" {
				t.Fatalf("want 501 from the application, then /follow\n%v", res)
			}
			var saw bool
			for _, s := range ts.requests() {
				if s.Target == "/" {
					saw = true
					if string(s.Method) != method {
						t.Errorf("method %q, want %q", s.Method, method)
					}
					if s.Method == MethodGet {
						t.Errorf("lower-case get was taken for GET")
					}
				}
			}
			if !saw {
				t.Errorf("the application never saw the %s request", method)
			}
		})
	}
}

// ---- §2. Body framing and smuggling ----

func cfF01(t *testing.T) {
	body := "5\r\nhello\r\n0\r\n\r\n"
	cfRejectRows(t, []cfRow{
		{name: "CL first", raw: cfPost("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body), status: []int{400}, close: true},
		{name: "TE first", raw: cfPost("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", body), status: []int{400}, close: true},
		{name: "CL 0", raw: cfPost("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", body), status: []int{400}, close: true},
	})
}

func cfF02(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "two lines", raw: cfPost("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), status: []int{400}, close: true},
		{name: "list", raw: cfPost("Content-Length: 5, 6\r\n", "hello!"), status: []int{400}, close: true},
		{name: "list then line", raw: cfPost("Content-Length: 5, 5\r\nContent-Length: 6\r\n", "hello!"), status: []int{400}, close: true},
	})
}

func cfF03(t *testing.T) {
	for _, tc := range []struct{ name, fields string }{
		{"list", "Content-Length: 5, 5\r\n"},
		{"two lines", "Content-Length: 5\r\nContent-Length: 5\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen, resp := cfAccept(t, ServerConfig{}, cfPost(tc.fields, "hello"))
			if string(seen.Body) != "hello" || string(resp.Body) != "hello" {
				t.Errorf("body %q, echoed %q; want %q", seen.Body, resp.Body, "hello")
			}
		})
	}
}

func cfF04(t *testing.T) {
	var rows []cfRow
	for _, v := range []string{"+5", "-1", "0x5", "5 5", "abc", "", "99999999999999999999", "5,", "5;q=1", "٥"} {
		rows = append(rows, cfRow{name: strconv.Quote(v), raw: cfPost("Content-Length: "+v+"\r\n", "hello"),
			status: []int{400}, close: true})
	}
	cfRejectRows(t, rows)
}

func cfF05(t *testing.T) {
	body := "5\r\nhello\r\n0\r\n\r\n"
	cfRejectRows(t, []cfRow{
		{name: "chunked, gzip", raw: cfPost("Transfer-Encoding: chunked, gzip\r\n", body), status: []int{400}, close: true},
		{name: "two lines", raw: cfPost("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", body), status: []int{400}, close: true},
	})
}

func cfF06(t *testing.T) {
	body := "5\r\nhello\r\n0\r\n\r\n"
	cfRejectRows(t, []cfRow{
		{name: "gzip", raw: cfPost("Transfer-Encoding: gzip\r\n", "hello"), status: []int{501}, close: true},
		{name: "xchunked", raw: cfPost("Transfer-Encoding: xchunked\r\n", body), status: []int{501}, close: true},
		{name: "identity", raw: cfPost("Transfer-Encoding: identity\r\n", "hello"), status: []int{501}, close: true},
		{name: "chunked;x=1", raw: cfPost("Transfer-Encoding: chunked;x=1\r\n", body), status: []int{400, 501}, close: true},
	})
}

func cfF07(t *testing.T) {
	body := "5\r\nhello\r\n0\r\n\r\n"
	cfRejectRows(t, []cfRow{
		{name: "list", raw: cfPost("Transfer-Encoding: chunked, chunked\r\n", body), status: []int{400}, close: true},
		{name: "two lines", raw: cfPost("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", body), status: []int{400}, close: true},
	})
}

func cfF08(t *testing.T) {
	body := "5\r\nhello\r\n0\r\n\r\n"
	cfRejectRows(t, []cfRow{
		{name: "chunked", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + body, status: []int{400}, close: true},
		{name: "gzip", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\nhello", status: []int{400}, close: true},
		{name: "with CL", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", status: []int{400}, close: true},
		{name: "keep-alive", raw: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + body, status: []int{400}, close: true},
	})
}

func cfF09(t *testing.T) {
	seen, resp := cfAccept(t, ServerConfig{}, "POST / HTTP/1.1\r\nHost: a\r\n\r\n")
	if len(seen.Body) != 0 || len(resp.Body) != 0 || seen.BodyErr != nil {
		t.Errorf("body %q (err %v), want empty", seen.Body, seen.BodyErr)
	}
}

func cfF10(t *testing.T) {
	t.Run("small body", func(t *testing.T) {
		cfReject(t, cfRow{raw: cfPost("Content-Length: 10\r\n", "hello"), status: []int{408},
			close: true, plain: true, alone: true, cfg: ServerConfig{ReadHeaderTimeout: 500 * time.Millisecond}})
	})
	t.Run("streamed body", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{BodyReadTimeout: 500 * time.Millisecond}, wireRoute)
		c := ts.dial(t)
		c.Send(cfPost("Content-Length: 2000\r\n", strings.Repeat("x", 1000)))
		res := c.ReadAll()
		if res.Err != nil {
			t.Fatalf("%v\n%v", res.Err, res)
		}
		for _, r := range res.Finals() {
			if r.Status >= 200 && r.Status < 300 {
				t.Errorf("a stalled body got %d\n%v", r.Status, res)
			}
		}
		if !res.Closed {
			t.Errorf("the server did not close\n%v", res)
		}
	})
}

func cfF11(t *testing.T) {
	lim := ServerConfig{MaxBodyBytes: 10}
	cfRejectRows(t, []cfRow{
		{name: "CL above the limit", raw: cfPost("Content-Length: 11\r\n", "hello world"), status: []int{413}, close: true, cfg: lim},
		{name: "head only", raw: cfPost("Content-Length: 1000000\r\n", ""), status: []int{413}, close: true, alone: true, cfg: lim},
	})
	t.Run("CL at the limit", func(t *testing.T) {
		seen, _ := cfAccept(t, lim, cfPost("Content-Length: 10\r\n", "0123456789"))
		if string(seen.Body) != "0123456789" {
			t.Errorf("body %q", seen.Body)
		}
	})
	t.Run("chunked above the limit", func(t *testing.T) {
		// A chunked body's size shows only while it is read: the application
		// has the request and gets ErrBodyTooLarge, which it answers 413.
		ts := startWireServer(t, lim, wireRoute)
		c := ts.dial(t)
		c.Send(cfChunkedPost("14\r\n01234567890123456789\r\n0\r\n\r\n") + cfFollow)
		res := c.ReadAll()
		if res.Err != nil {
			t.Fatalf("%v\n%v", res.Err, res)
		}
		finals := res.Finals()
		if len(finals) != 1 || finals[0].Status != 413 || !finals[0].Closes() || !res.Closed {
			t.Errorf("want one 413 with Connection: close, then close\n%v", res)
		}
		for _, s := range ts.requests() {
			if !errors.Is(s.BodyErr, ErrBodyTooLarge) {
				t.Errorf("body read error %v, want ErrBodyTooLarge", s.BodyErr)
			}
		}
	})
}

func cfF12(t *testing.T) {
	for _, ext := range []string{`;a=b`, `;a="q"`, `;a`, `;a=b;c="d\"e"`, ` ;a=b`, `;a = b`,
		";a=\"\\\t\\ \\\x80\"", `;a="\\"`} { // quoted-pairs of HTAB, SP, obs-text, a backslash
		t.Run(ext, func(t *testing.T) {
			seen, resp := cfAccept(t, ServerConfig{}, cfChunkedPost("5"+ext+"\r\nhello\r\n0"+ext+"\r\n\r\n"))
			if string(seen.Body) != "hello" || string(resp.Body) != "hello" || seen.BodyErr != nil {
				t.Errorf("body %q (err %v), echoed %q; want %q", seen.Body, seen.BodyErr, resp.Body, "hello")
			}
		})
	}
}

// cfBadChunked sends a chunked POST with a malformed body, a valid request
// pipelined behind it, and checks the body is refused with one of statuses
// and, when mustClose, Connection: close and a close. The application has
// the request (a chunked body is streamed) and answers its read error.
func cfBadChunked(t *testing.T, cfg ServerConfig, body string, statuses []int, mustClose bool) {
	t.Helper()
	ts := startWireServer(t, cfg, wireRoute)
	c := ts.dial(t)
	c.Send(cfChunkedPost(body) + cfFollow)
	if !mustClose {
		c.CloseWrite()
	}
	res := c.ReadAll()
	if res.Err != nil {
		t.Fatalf("body %q: %v\n%v", body, res.Err, res)
	}
	finals := res.Finals()
	if len(finals) == 0 {
		t.Fatalf("body %q: no response\n%v", body, res)
	}
	if !slices.Contains(statuses, finals[0].Status) {
		t.Errorf("body %q: status %d, want %v\n%v", body, finals[0].Status, statuses, res)
	}
	if mustClose && (!finals[0].Closes() || !res.Closed || len(finals) != 1) {
		t.Errorf("body %q: want Connection: close, a close and no answer to the follow-up\n%v", body, res)
	}
	if len(finals) > 1 && (len(finals) != 2 || cfTarget(finals[1]) != "/follow") {
		t.Errorf("body %q: the bytes after the bad body were misread\n%v", body, res)
	}
	for _, s := range ts.requests() {
		if s.Target == "/" && s.BodyErr == nil {
			t.Errorf("body %q: the application read the body without an error: %q", body, s.Body)
		}
	}
}

func cfF13(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		statuses   []int
	}{
		{"bare semicolon", "5;\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"control byte in name", "5;a\x01=b\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"control byte in value", "5;a=b\x01\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"control byte in quoted value", "5;a=\"b\x01\"\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"unterminated quote", "5;a=\"b\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"whitespace after the name", "5;a \r\nhello\r\n0\r\n\r\n", []int{400}},
		{"whitespace after the value", "5;a=b \r\nhello\r\n0\r\n\r\n", []int{400}},
		// RFC 9110 §5.6.4: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
		{"control byte in a quoted-pair", "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"NUL in a quoted-pair", "5;a=\"\\\x00\"\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"DEL in a quoted-pair", "5;a=\"\\\x7f\"\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"bare CR in a quoted-pair", "5;a=\"\\\r\"\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"quoted-pair at the end of the line", "5;a=\"\\\r\nhello\r\n0\r\n\r\n", []int{400}},
		{"64 KiB extension", "5;a=" + strings.Repeat("b", 64<<10) + "\r\nhello\r\n0\r\n\r\n", []int{400, 413, 431}},
	} {
		t.Run(tc.name, func(t *testing.T) { cfBadChunked(t, ServerConfig{}, tc.body, tc.statuses, false) })
	}
}

func cfF14(t *testing.T) {
	for _, size := range []string{"0x5", "+5", "5_0", " 5", "-1", "10000000000000000", "fffffffffffffffff", "", "g",
		// RFC 9112 §7.1: BWS only around ";" and "=" of an extension.
		"a ", "5\t", "5 ", "5 \t"} {
		t.Run(strconv.Quote(size), func(t *testing.T) {
			cfBadChunked(t, ServerConfig{}, size+"\r\nhello\r\n0\r\n\r\n", []int{400}, true)
		})
	}
}

func cfF15(t *testing.T) {
	t.Run("data not followed by CRLF", func(t *testing.T) {
		cfBadChunked(t, ServerConfig{}, "5\r\nhelloX\r\n0\r\n\r\n", []int{400}, false)
	})
	t.Run("no last chunk, then EOF", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{}, wireRoute)
		c := ts.dial(t)
		c.Send(cfChunkedPost("5\r\nhello\r\n"))
		c.CloseWrite()
		res := c.ReadAll()
		if res.Err != nil {
			t.Fatalf("%v\n%v", res.Err, res)
		}
		finals := res.Finals()
		if !res.Closed || len(finals) > 1 || (len(finals) == 1 && finals[0].Status != 400) {
			t.Errorf("want 400 or a plain close\n%v", res)
		}
	})
}

func cfF16(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		trailers         []Header
	}{
		{"field", "5\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n", "hello", []Header{{Field: "X-Trailer", Value: "yes"}}},
		{"Content-Length", "0\r\nContent-Length: 99\r\n\r\n", "", []Header{{Field: "Content-Length", Value: "99"}}},
		{"two fields", "3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\n\r\n", "abc", []Header{{Field: "A", Value: "1"}, {Field: "B", Value: "2"}}},
		{"Transfer-Encoding", "3\r\nabc\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n", "abc", []Header{{Field: "Transfer-Encoding", Value: "gzip"}}},
		{"Host", "3\r\nabc\r\n0\r\nHost: b\r\n\r\n", "abc", []Header{{Field: "Host", Value: "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen, resp := cfAccept(t, ServerConfig{}, cfChunkedPost(tc.body))
			if string(seen.Body) != tc.want || string(resp.Body) != tc.want {
				t.Errorf("body %q, echoed %q; want %q", seen.Body, resp.Body, tc.want)
			}
			if diff := cmp.Diff(tc.trailers, seen.Trailers); diff != "" {
				t.Errorf("trailers (-want +got):\n%s", diff)
			}
			for _, tr := range tc.trailers {
				for _, h := range seen.Headers {
					if h.Field.Equal(string(tr.Field)) && h.Value == tr.Value {
						t.Errorf("trailer %v was merged into the header fields %v", tr, seen.Headers)
					}
				}
			}
		})
	}
}

func cfF17(t *testing.T) {
	for _, tc := range []struct{ name, req string }{
		{"small body", "POST /noread HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789"},
		{"large body", "POST /noread HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("G", 5000)},
		{"chunked body", "POST /noread HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n"},
		{"body like a request", "POST /noread HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\nGET /smuggled HTTP/1.1\r\nX: y\r\n"},
		// Above what the server drains: the response must say it closes.
		{"body too large to drain", "POST /noread HTTP/1.1\r\nHost: a\r\nContent-Length: " + strconv.Itoa(maxDrainBytes+1) + "\r\n\r\n" + strings.Repeat("G", maxDrainBytes+1)},
		{"chunked body too large to drain", "POST /noread HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strings.Repeat("2000\r\n"+strings.Repeat("G", 0x2000)+"\r\n", maxDrainBytes/0x2000+1) + "0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, res := cfExchange(t, ServerConfig{}, tc.req+cfFollow)
			finals := res.Finals()
			if len(finals) == 0 || finals[0].Status != 200 {
				t.Fatalf("want 200 for the POST\n%v", res)
			}
			switch {
			case len(finals) == 1 && finals[0].Closes():
			case len(finals) == 2 && finals[1].Status == 200 && cfTarget(finals[1]) == "/follow":
			default:
				t.Errorf("want the GET answered, or a close after the first response\n%v", res)
			}
			for _, s := range ts.requests() {
				if s.Target != "/noread" && s.Target != "/follow" {
					t.Errorf("the unread body was parsed as a request: %+v", s)
				}
			}
		})
	}
}

// ---- §3. Connection management, 1xx, HEAD, no-body statuses, Date, Upgrade ----

// cfPattern is a deterministic body of n bytes, distinct per seed.
func cfPattern(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'A' + (seed+byte(i%7))%26
	}
	return b
}

func cfC01(t *testing.T) {
	pipelined := "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
	t.Run("one goroutine answers 3, 2, 1", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{}, nil)
		c := ts.dial(t)
		c.Send(pipelined)
		reqs := []*Request{ts.recv(t), ts.recv(t), ts.recv(t)}
		if diff := cmp.Diff([]string{"/1", "/2", "/3"}, cfURLs(reqs)); diff != "" {
			t.Fatalf("requests (-want +got):\n%s", diff)
		}
		var errs [3]error
		if !wiretest.Within(t, wiretest.Timeout, "Respond to requests 3, 2, 1 from one goroutine", func() {
			errs[2] = reqs[2].Respond(FromString("three"))
			errs[1] = reqs[1].Respond(FromString("two"))
			errs[0] = reqs[0].Respond(FromString("one"))
		}) {
			return
		}
		for i, err := range errs {
			if err != nil {
				t.Errorf("Respond %d: %v", i+1, err)
			}
		}
		c.CloseWrite()
		res := c.ReadAll()
		cfWantBodies(t, res, "one", "two", "three")
	})
	t.Run("concurrent, request 2 finishes first", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{}, nil)
		c := ts.dial(t)
		c.Send(pipelined)
		r1, r2, r3 := ts.recv(t), ts.recv(t), ts.recv(t)
		b1, b2, b3 := cfPattern(1, 50000), cfPattern(2, 70000), cfPattern(3, 10)
		done := make(chan error, 3)
		go func() { done <- r2.Respond(FromData(b2)) }()
		if !cfWaitErr(t, done, "request 2's Respond") {
			return
		}
		go func() { done <- r1.Respond(NewResponse(StatusOK, nil, bytes.NewReader(b1), -1)) }()
		go func() { done <- r3.Respond(FromData(b3)) }()
		for range 2 {
			if !cfWaitErr(t, done, "Respond") {
				return
			}
		}
		c.CloseWrite()
		res := c.ReadAll()
		cfWantBodies(t, res, string(b1), string(b2), string(b3))
	})
	t.Run("workers, any order", func(t *testing.T) {
		var raw strings.Builder
		for i := range 8 {
			raw.WriteString("GET /r" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: a\r\n\r\n")
		}
		_, res := cfExchange(t, ServerConfig{}, raw.String())
		want := []string{"/r0", "/r1", "/r2", "/r3", "/r4", "/r5", "/r6", "/r7"}
		if diff := cmp.Diff(want, cfTargets(res.Finals())); diff != "" {
			t.Errorf("the responses answer (-want +got):\n%s\n%v", diff, res)
		}
	})
}

// cfURLs returns the request-targets of requests.
func cfURLs(reqs []*Request) []string {
	var urls []string
	for _, r := range reqs {
		urls = append(urls, r.URL())
	}
	return urls
}

// cfTargets returns the request-targets the echo application reported in rs.
func cfTargets(rs []*wiretest.Response) []string {
	var targets []string
	for _, r := range rs {
		targets = append(targets, cfTarget(r))
	}
	return targets
}

// cfStatuses returns the status codes of rs.
func cfStatuses(rs []*wiretest.Response) []int {
	var codes []int
	for _, r := range rs {
		codes = append(codes, r.Status)
	}
	return codes
}

// cfWaitErr waits for one error from ch, failing on a non-nil error or when
// nothing arrives within wiretest.Timeout.
func cfWaitErr(t *testing.T, ch <-chan error, what string) bool {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		return true
	case <-time.After(wiretest.Timeout):
		t.Errorf("%s did not return within %v:\n%s", what, wiretest.Timeout, wiretest.Stacks())
		return false
	}
}

// cfStatusBody is what cfWantBodies compares of a response.
type cfStatusBody struct {
	Status int
	Body   string
}

// cfWantBodies checks the final responses are 200s with exactly these bodies, in order.
func cfWantBodies(t *testing.T, res wiretest.Result, bodies ...string) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("%v\n%v", res.Err, res)
	}
	var got, want []cfStatusBody
	for _, r := range res.Finals() {
		got = append(got, cfStatusBody{r.Status, string(r.Body)})
	}
	for _, b := range bodies {
		want = append(want, cfStatusBody{200, b})
	}
	if diff := cmp.Diff(want, got, wiretest.SummarizeLongStrings); diff != "" {
		t.Errorf("final responses (-want +got):\n%s", diff)
	}
}

func cfC02(t *testing.T) {
	large := string(cfPattern(9, 5000))
	for _, tc := range []struct{ name, post, body string }{
		{"small body", cfPost("Content-Length: 5\r\n", "hello"), "hello"},
		{"large body", cfPost("Content-Length: 5000\r\n", large), large},
		{"chunked body", cfChunkedPost("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "hello world"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res := cfExchange(t, ServerConfig{}, "GET /ten HTTP/1.1\r\nHost: a\r\n\r\n"+tc.post+cfFollow)
			finals := res.Finals()
			if len(finals) != 3 {
				t.Fatalf("%d responses, want 3\n%v", len(finals), res)
			}
			if string(finals[0].Body) != wireTen {
				t.Errorf("response 0: body %q, want %q", finals[0].Body, wireTen)
			}
			if m, _ := finals[1].Get("X-Method"); m != "POST" || string(finals[1].Body) != tc.body {
				t.Errorf("response 1: %s with %d bytes, want POST echoing %d bytes", m, len(finals[1].Body), len(tc.body))
			}
			if cfTarget(finals[2]) != "/follow" {
				t.Errorf("response 2 answers %q, want /follow", cfTarget(finals[2]))
			}
		})
	}
}

func cfC03(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, wireRoute)
	c := ts.dial(t)
	c.Send("GET /ten HTTP/1.1\r\nHost: a\r\n\r\n")
	r1 := c.ReadResponse(false)
	if r1.Status != 200 || string(r1.Body) != wireTen || r1.Closes() {
		t.Fatalf("first response %v, want 200 %q on a persistent connection", r1, wireTen)
	}
	c.Send(cfFollow)
	r2 := c.ReadResponse(false)
	if r2.Status != 200 || cfTarget(r2) != "/follow" {
		t.Fatalf("second response %v, want 200 for /follow", r2)
	}
}

func cfC04(t *testing.T) {
	for _, tc := range []struct{ name, conn string }{
		{"close", "close"},
		{"Close, in a list", "keep-alive, Close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startWireServer(t, ServerConfig{}, wireRoute)
			c := ts.dial(t)
			c.Send("GET /ten HTTP/1.1\r\nHost: a\r\nConnection: " + tc.conn + "\r\n\r\n" + cfFollow)
			res := c.ReadAll()
			if res.Err != nil {
				t.Fatalf("%v\n%v", res.Err, res)
			}
			finals := res.Finals()
			if len(finals) != 1 || finals[0].Status != 200 || !finals[0].Closes() || !res.Closed {
				t.Errorf("want one 200 with Connection: close, then close\n%v", res)
			}
			for _, s := range ts.requests() {
				if s.Target == "/follow" {
					t.Errorf("the request behind Connection: close was processed")
				}
			}
		})
	}
}

func cfC05(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, wireRoute)
	c := ts.dial(t)
	c.HTTP10 = true
	c.Send("GET /ten HTTP/1.0\r\n\r\nGET /follow HTTP/1.0\r\n\r\n")
	res := c.ReadAll()
	if res.Err != nil {
		t.Fatalf("%v\n%v", res.Err, res)
	}
	finals := res.Finals()
	if len(finals) != 1 || finals[0].Status != 200 || string(finals[0].Body) != wireTen || !res.Closed {
		t.Errorf("want one 200 then close\n%v", res)
	}
	if n := ts.calls.Load(); n != 1 {
		t.Errorf("the application was handed %d requests, want 1", n)
	}
}

func cfC06(t *testing.T) {
	for _, tc := range []struct {
		path string
		body string
	}{
		{"/ten", wireTen},
		{"/big", string(wireBig)},
	} {
		t.Run(tc.path, func(t *testing.T) {
			ts := startWireServer(t, ServerConfig{}, wireRoute)
			c := ts.dial(t)
			c.HTTP10 = true
			req := "GET " + tc.path + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
			for i := range 2 {
				c.Send(req)
				r := c.ReadResponse(false)
				if r.Status != 200 || string(r.Body) != tc.body {
					t.Fatalf("response %d: %d with %d bytes, want 200 with %d", i, r.Status, len(r.Body), len(tc.body))
				}
				if !r.Has("Content-Length") || r.Chunked {
					t.Errorf("response %d: want Content-Length framing, got %v", i, r.Header)
				}
				if !r.HasToken("Connection", "keep-alive") || r.Closes() {
					t.Errorf("response %d: Connection %v, want keep-alive", i, r.Values("Connection"))
				}
			}
		})
	}
	t.Run("/stream", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{}, wireRoute)
		c := ts.dial(t)
		c.HTTP10 = true
		c.Send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + "GET /follow HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		res := c.ReadAll()
		if res.Err != nil {
			t.Fatalf("%v\n%v", res.Err, res)
		}
		finals := res.Finals()
		if len(finals) != 1 || string(finals[0].Body) != wireStreamText || !finals[0].UntilEOF || !res.Closed {
			t.Errorf("want one close-delimited response, then close\n%v", res)
		}
		if len(finals) > 0 && finals[0].HasToken("Connection", "keep-alive") {
			t.Errorf("a response without Content-Length says keep-alive")
		}
	})
}

func cfC07(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, wireRoute)
	c := ts.dial(t)
	c.HTTP10 = true
	c.Send("GET /stream HTTP/1.0\r\n\r\n")
	res := c.ReadAll()
	if res.Err != nil {
		t.Fatalf("%v\n%v", res.Err, res)
	}
	finals := res.Finals()
	if len(finals) != 1 || !finals[0].UntilEOF || string(finals[0].Body) != wireStreamText || !res.Closed {
		t.Errorf("want a close-delimited %q, then close\n%v", wireStreamText, res)
	}
}

func cfC08(t *testing.T) {
	for _, tc := range []struct {
		name, expect string
		n            int
	}{
		{"5", "100-continue", 5},
		{"2000", "100-continue", 2000},
		// Empty list elements are ignored (RFC 9110 §5.6.1.2), case too.
		{"trailing comma", "100-continue,", 5},
		{"leading empty element", ", 100-Continue", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			ts := startWireServer(t, ServerConfig{}, wireRoute)
			c := ts.dial(t)
			body := string(cfPattern(4, n))
			c.Send(cfPost("Expect: "+tc.expect+"\r\nContent-Length: "+strconv.Itoa(n)+"\r\n", ""))
			interim := c.ReadResponse(false)
			if interim.Status != 100 {
				t.Fatalf("before the body: %v, want 100 Continue", interim)
			}
			if len(interim.Header) != 0 {
				t.Errorf("100 Continue carries fields %v", interim.Header)
			}
			c.Send(body + cfFollow)
			c.CloseWrite()
			res := c.ReadAll()
			if res.Err != nil {
				t.Fatalf("%v\n%v", res.Err, res)
			}
			if len(res.Resps) != 2 || res.Resps[0].Status != 200 || string(res.Resps[0].Body) != body ||
				cfTarget(res.Resps[1]) != "/follow" {
				t.Errorf("want the echo of the body, then /follow\n%v", res)
			}
		})
	}
}

func cfC09(t *testing.T) {
	for _, n := range []int{5, 2000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			ts := startWireServer(t, ServerConfig{}, wireRoute)
			c := ts.dial(t)
			c.HTTP10 = true
			body := string(cfPattern(5, n))
			c.Send("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n")
			// The application is blocked reading the body: a faulty server
			// would have sent its 100 Continue before that read.
			ts.reads.WaitConsumed(t, c)
			c.Send(body)
			res := c.ReadAll()
			if res.Err != nil {
				t.Fatalf("%v\n%v", res.Err, res)
			}
			for _, r := range res.Resps {
				if r.Status < 200 {
					t.Errorf("an HTTP/1.0 client got %d", r.Status)
				}
			}
			finals := res.Finals()
			if len(finals) != 1 || finals[0].Status != 200 || string(finals[0].Body) != body {
				t.Errorf("want one 200 echoing the body\n%v", res)
			}
		})
	}
}

func cfC10(t *testing.T) {
	cfRejectRows(t, []cfRow{
		{name: "200-ok", raw: cfGet("Expect: 200-ok\r\n"), status: []int{417}},
		{name: "100-continue with a parameter", raw: cfPost("Expect: 100-continue; x=1\r\nContent-Length: 5\r\n", "hello"), status: []int{417}},
		{name: "100-continue and 200-ok", raw: cfPost("Expect: 100-continue, 200-ok\r\nContent-Length: 5\r\n", "hello"), status: []int{417}},
		{name: "empty element and 200-ok", raw: cfGet("Expect: , 200-ok\r\n"), status: []int{417}},
	})
	// A recipient MUST ignore empty list elements (RFC 9110 §5.6.1.2); that
	// rule has no ID, C10 is the closest: an Expect with nothing but empty
	// elements is no expectation (the 100 Continue is C08's, below).
	for _, v := range []string{"", ",", " , ,"} {
		t.Run("empty list "+strconv.Quote(v), func(t *testing.T) {
			cfAccept(t, ServerConfig{}, cfGet("Expect: "+v+"\r\n"))
		})
	}
}

func cfC11(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, wireRoute)
	c := ts.dial(t)
	c.Send("POST /noread HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	r := c.ReadResponse(false)
	if r.Status == 100 {
		t.Fatalf("100 Continue sent for a body the application never read")
	}
	if r.Status != 200 {
		t.Fatalf("response %v, want the application's 200", r)
	}
	if r.Closes() {
		res := c.ReadAll()
		if !res.Closed || len(res.Resps) != 0 || res.Err != nil {
			t.Errorf("after Connection: close, want a close\n%v", res)
		}
		return
	}
	// The server kept the connection, so it must drain the body the client now sends.
	c.Send("hello" + cfFollow)
	c.CloseWrite()
	res := c.ReadAll()
	if res.Err != nil || len(res.Resps) != 1 || cfTarget(res.Resps[0]) != "/follow" {
		t.Errorf("without a close, the body must be drained and the next request answered\n%v", res)
	}
}

func cfC12(t *testing.T) {
	for _, path := range []string{"/ten", "/big", "/stream"} {
		t.Run(path, func(t *testing.T) {
			raw := "HEAD " + path + " HTTP/1.1\r\nHost: a\r\n\r\nGET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n" + cfFollow
			_, res := cfExchange(t, ServerConfig{}, raw, "HEAD", "GET", "GET")
			finals := res.Finals()
			if len(finals) != 3 || cfTarget(finals[2]) != "/follow" {
				t.Fatalf("want 3 responses, the last for /follow\n%v", res)
			}
			head, get := finals[0], finals[1]
			if head.Status != get.Status {
				t.Errorf("HEAD status %d, GET %d", head.Status, get.Status)
			}
			if diff := cmp.Diff(cfFieldNames(get), cfFieldNames(head)); diff != "" {
				t.Errorf("field names (-GET +HEAD):\n%s", diff)
			}
			if diff := cmp.Diff(get.Values("Content-Length"), head.Values("Content-Length")); diff != "" {
				t.Errorf("Content-Length (-GET +HEAD):\n%s", diff)
			}
			if path != "/ten" {
				return
			}
			if diff := cmp.Diff([]string{"10"}, head.Values("Content-Length")); diff != "" {
				t.Errorf("HEAD Content-Length (-want +got):\n%s", diff)
			}
		})
	}
}

// cfFieldNames returns the response's field names, lower-cased and sorted,
// without Date (which may tick between two responses).
func cfFieldNames(r *wiretest.Response) []string {
	var names []string
	for _, h := range r.Header {
		if n := strings.ToLower(h.Name); n != "date" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func cfC13(t *testing.T) {
	raw := "GET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /204stream HTTP/1.1\r\nHost: a\r\n\r\n" + cfFollow
	_, res := cfExchange(t, ServerConfig{}, raw)
	finals := res.Finals()
	if len(finals) != 4 {
		t.Fatalf("%d responses, want 4\n%v", len(finals), res)
	}
	if diff := cmp.Diff([]int{204, 304, 204, 200}, cfStatuses(finals)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if cfTarget(finals[3]) != "/follow" {
		t.Errorf("the response after 204/304 answers %q, want /follow (body bytes leaked?)\n%v", cfTarget(finals[3]), res)
	}
	if cl := finals[1].Values("Content-Length"); len(cl) > 0 && !cmp.Equal(cl, []string{"10"}) {
		t.Errorf("304 Content-Length %v: want none, or the 10 a 200 would have had", cl)
	}
	if finals[1].Has("Transfer-Encoding") {
		t.Errorf("304 carries Transfer-Encoding")
	}
}

func cfC14(t *testing.T) {
	// The API offers no way for the application to send an interim 1xx
	// (103 Early Hints) before its final response. The 1xx the server sends
	// itself is 100 Continue: it must carry no framing and no body, and
	// never go to HTTP/1.0 (also C08, C09).
	t.Run("100 Continue", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{}, wireRoute)
		c := ts.dial(t)
		c.Send(cfPost("Expect: 100-continue\r\nContent-Length: 5\r\n", ""))
		interim := c.ReadResponse(false) // the parser refuses CL/TE on a 1xx
		if interim.Status != 100 {
			t.Fatalf("got %v, want 100 Continue", interim)
		}
		c.Send("hello")
		if r := c.ReadResponse(false); r.Status != 200 || string(r.Body) != "hello" {
			t.Errorf("after 100 Continue: %v, want 200 echoing hello", r)
		}
	})
	// An application that answers an HTTP/1.0 request with a 1xx status
	// (the only way it can produce one) must not get that 1xx onto the wire.
	t.Run("application 1xx to HTTP/1.0", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{}, func(ts *wireServer, r *Request) {
			ts.noteRespond(r.Respond(Empty(103)))
		})
		c := ts.dial(t)
		c.HTTP10 = true
		c.Send("GET / HTTP/1.0\r\n\r\n")
		res := c.ReadAll()
		if res.Err != nil {
			t.Fatalf("%v\n%v", res.Err, res)
		}
		for _, r := range res.Resps {
			if r.Status < 200 {
				t.Errorf("an HTTP/1.0 client got %d\n%v", r.Status, res)
			}
		}
		if len(res.Finals()) != 1 {
			t.Errorf("want one final response\n%v", res)
		}
	})
}

func cfC15(t *testing.T) {
	raw := "GET /ten HTTP/1.1\r\nHost: a\r\n\r\nGET /301 HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /404 HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n"
	_, res := cfExchange(t, ServerConfig{}, raw)
	finals := res.Finals()
	if len(finals) != 5 {
		t.Fatalf("%d responses, want 5\n%v", len(finals), res)
	}
	for i, r := range finals {
		v, ok := r.Get("Date")
		if !ok {
			t.Errorf("response %d (%d) has no Date", i, r.Status)
			continue
		}
		if err := wiretest.CheckDate(v); err != nil {
			t.Errorf("response %d: %v", i, err)
			continue
		}
		d, _ := time.Parse(http.TimeFormat, v)
		if diff := time.Since(d); diff > 24*time.Hour || diff < -24*time.Hour {
			t.Errorf("response %d: Date %q is not today", i, v)
		}
	}
	if finals[4].Status != 400 {
		t.Errorf("the request without Host got %d, want 400", finals[4].Status)
	}
}

func cfC16(t *testing.T) {
	for _, tc := range []struct {
		name, raw, body string
		chunked         bool
	}{
		{"large to 1.1", "GET /big HTTP/1.1\r\nHost: a\r\n\r\n", string(wireBig), true},
		{"large to 1.0", "GET /big HTTP/1.0\r\n\r\n", string(wireBig), false},
		{"unknown length to 1.1", "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n", wireStreamText, true},
		{"unknown length to 1.0", "GET /stream HTTP/1.0\r\n\r\n", wireStreamText, false},
		{"TE: chunked asked", "GET /ten HTTP/1.1\r\nHost: a\r\nTE: chunked\r\n\r\n", wireTen, true},
		{"TE: chunked asked by 1.0", "GET /ten HTTP/1.0\r\nTE: chunked\r\n\r\n", wireTen, false},
		{"application Transfer-Encoding", "GET /te-field HTTP/1.1\r\nHost: a\r\n\r\n", "abc", false},
		{"application Content-Length", "GET /cl-field HTTP/1.1\r\nHost: a\r\n\r\n", "abc", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res := cfExchange(t, ServerConfig{}, tc.raw)
			finals := res.Finals()
			if len(finals) != 1 || finals[0].Status != 200 || string(finals[0].Body) != tc.body {
				t.Fatalf("want one 200 with %d bytes\n%v", len(tc.body), res)
			}
			if finals[0].Chunked != tc.chunked {
				t.Errorf("chunked = %v, want %v; fields %v", finals[0].Chunked, tc.chunked, finals[0].Header)
			}
		})
	}
}

// cfClientHello is a TLS 1.3 ClientHello record with a fixed random field;
// lf puts an LF byte in it.
func cfClientHello(lf bool) string {
	random := bytes.Repeat([]byte{0x11}, 32)
	if lf {
		random[7] = '\n'
	}
	hello := []byte{0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03}
	hello = append(hello, random...)
	hello = append(hello, 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x00)
	return string(hello)
}

func cfC17(t *testing.T) {
	short := ServerConfig{ReadHeaderTimeout: time.Second}
	cfRejectRows(t, []cfRow{
		{name: "TLS ClientHello", raw: cfClientHello(false), status: []int{400}, close: true, plain: true, alone: true, cfg: short},
		{name: "TLS ClientHello with LF", raw: cfClientHello(true), status: []int{400}, close: true, plain: true, alone: true, cfg: short},
		{name: "HTTP/2 preface", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: []int{400}, close: true, plain: true, alone: true, cfg: short},
		{name: "binary", raw: "\x00\x01\x02\x03\r\n\r\n", status: []int{400}, close: true, plain: true, alone: true, cfg: short},
	})
}

func cfC18(t *testing.T) {
	for _, conn := range []string{"Upgrade", "keep-alive, upgrade"} {
		t.Run(conn, func(t *testing.T) {
			ts := startWireServer(t, ServerConfig{}, wireRoute)
			c := ts.dial(t)
			c.Send("GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: " + conn + "\r\nUpgrade: websocket\r\n\r\nearly")
			r := c.ReadResponse(false) // 1xx: the parser refuses CL/TE and reads no body
			if r.Status != 101 {
				t.Fatalf("got %v, want 101", r)
			}
			if !r.HasToken("Upgrade", "websocket") || !r.HasToken("Connection", "upgrade") {
				t.Errorf("101 fields %v, want Upgrade: websocket and Connection: upgrade", r.Header)
			}
			if got := c.ReadExactly(len("early")); string(got) != "early" {
				t.Errorf("bytes sent with the request head came back as %q", got)
			}
			c.Send("ping")
			if got := c.ReadExactly(4); string(got) != "ping" {
				t.Errorf("echo %q, want ping", got)
			}
			c.CloseWrite()
			c.ExpectFIN()
		})
	}
}

func cfC19(t *testing.T) {
	for _, tc := range []struct{ name, raw string }{
		{"no upgrade token", "GET /upgrade HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"},
		{"other token", "GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n\r\n"},
		{"HTTP/1.0", "GET /upgrade HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res := cfExchange(t, ServerConfig{}, tc.raw)
			for _, r := range res.Resps {
				if r.Status == 101 {
					t.Fatalf("got 101\n%v", res)
				}
			}
			finals := res.Finals()
			if len(finals) != 1 || finals[0].Status != 200 || string(finals[0].Body) != "not upgraded" {
				t.Errorf("want the application's 200 \"not upgraded\"\n%v", res)
			}
		})
	}
}

func cfC20(t *testing.T) {
	cfg := ServerConfig{IdleTimeout: 300 * time.Millisecond}
	// Without a buffer grace the wait starts unbuffered, and the idle
	// timeout counts from its start all the same.
	noGrace := ServerConfig{IdleTimeout: 300 * time.Millisecond, BufferGrace: -1}
	for name, cfg := range map[string]ServerConfig{"after a response": cfg, "after a response, without a buffer grace": noGrace} {
		t.Run(name, func(t *testing.T) {
			ts := startWireServer(t, cfg, wireRoute)
			c := ts.dial(t)
			for range 2 {
				c.Send("GET /ten HTTP/1.1\r\nHost: a\r\n\r\n")
				if r := c.ReadResponse(false); r.Status != 200 || r.Closes() {
					t.Fatalf("got %v, want 200 on a persistent connection", r)
				}
			}
			c.ExpectOpenFor(150 * time.Millisecond)
			c.ExpectFIN()
		})
	}
	t.Run("counted from the last response on a busy connection", func(t *testing.T) {
		// The read buffer's grace deadline is renewed lazily: a request
		// soon after another keeps the earlier deadline, which then ends
		// early. The idle timeout must not end early with it.
		ts := startWireServer(t, ServerConfig{IdleTimeout: 2 * time.Second}, wireRoute)
		c := ts.dial(t)
		for range 2 {
			c.Send("GET /ten HTTP/1.1\r\nHost: a\r\n\r\n")
			if r := c.ReadResponse(false); r.Status != 200 || r.Closes() {
				t.Fatalf("got %v, want 200 on a persistent connection", r)
			}
			// Not synchronisation: the client's pause between requests is
			// the scenario (a deadline renewed lazily, then ending early).
			time.Sleep(50 * time.Millisecond)
		}
		c.ExpectOpenFor(time.Second)
		c.ExpectFIN()
	})
	t.Run("no request at all", func(t *testing.T) {
		ts := startWireServer(t, cfg, wireRoute)
		c := ts.dial(t)
		c.ExpectFIN()
		if n := ts.calls.Load(); n != 0 {
			t.Errorf("the application was handed %d requests", n)
		}
	})
}

// ---- Limits and timeouts (CONFORMANCE.md's table of limits) ----

func cfLimits(t *testing.T) {
	t.Run("ReadHeaderTimeout", func(t *testing.T) {
		cfReject(t, cfRow{raw: "GET / HTTP/1.1\r\nHost: a\r\n", status: []int{408}, close: true, alone: true,
			cfg: ServerConfig{ReadHeaderTimeout: 300 * time.Millisecond}})
	})
	t.Run("ReadHeaderTimeout, nothing sent", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}, wireRoute)
		ts.dial(t).ExpectFIN()
	})
	t.Run("MaxConnections", func(t *testing.T) {
		ts := startWireServer(t, ServerConfig{MaxConnections: 1}, wireRoute)
		c1 := ts.dial(t)
		c1.Send("GET /ten HTTP/1.1\r\nHost: a\r\n\r\n")
		if r := c1.ReadResponse(false); r.Status != 200 {
			t.Fatalf("first connection: %v", r)
		}
		c2 := ts.dial(t)
		res := c2.ReadAll()
		if res.Err != nil || len(res.Resps) != 1 || res.Resps[0].Status != 503 || !res.Resps[0].Closes() || !res.Closed {
			t.Errorf("the extra connection: want 503 with Connection: close, then close\n%v", res)
		}
		c1.Send(cfFollow)
		if r := c1.ReadResponse(false); r.Status != 200 || cfTarget(r) != "/follow" {
			t.Errorf("the first connection after the refusal: %v", r)
		}
	})
	t.Run("MaxPipelined", func(t *testing.T) {
		var raw strings.Builder
		for i := range 20 {
			raw.WriteString("GET /p" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: a\r\n\r\n")
		}
		_, res := cfExchange(t, ServerConfig{MaxPipelined: 2}, raw.String())
		finals := res.Finals()
		if len(finals) != 20 {
			t.Fatalf("%d responses, want 20\n%v", len(finals), res)
		}
		for i, r := range finals {
			if want := "/p" + strconv.Itoa(i); r.Status != 200 || cfTarget(r) != want {
				t.Errorf("response %d: %d for %q, want 200 for %q", i, r.Status, cfTarget(r), want)
			}
		}
	})
	t.Run("WriteTimeout", func(t *testing.T) {
		errc := make(chan error, 1)
		ts := startWireServer(t, ServerConfig{WriteTimeout: 300 * time.Millisecond}, func(ts *wireServer, r *Request) {
			errc <- r.Respond(NewResponse(StatusOK, nil, io.LimitReader(wireZeros{}, 1<<30), -1))
		})
		c := ts.dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n") // and never read
		select {
		case err := <-errc:
			if err == nil {
				t.Errorf("Respond to a client that never reads returned nil")
			}
		case <-time.After(3 * wiretest.Timeout):
			t.Fatalf("Respond to a client that never reads did not return:\n%s", wiretest.Stacks())
		}
		wiretest.PollUntil(func() bool { return ts.srv.NumConnections() == 0 })
		if n := ts.srv.NumConnections(); n != 0 {
			t.Errorf("%d connections open after the write timeout, want 0", n)
		}
	})
	t.Run("chunk-size line", func(t *testing.T) {
		body := "5;a=" + strings.Repeat("b", 200) + "\r\nhello\r\n0\r\n\r\n"
		cfBadChunked(t, ServerConfig{MaxChunkLineBytes: 100}, body, []int{400}, false)
	})
}

// wireZeros reads zeros forever.
type wireZeros struct{}

func (wireZeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// ---- Response header validation (DESIGN.md: no CR/LF injection) ----

func cfHeaderValidation(t *testing.T) {
	t.Run("NewHeader", func(t *testing.T) {
		for _, tc := range []struct{ field, value string }{
			{"X", "a\r\nb"}, {"X", "a\nb"}, {"X", "a\rb"}, {"X", "a\x00b"},
			{"X Y", "v"}, {"", "v"}, {"X:", "v"}, {"X\r\nY", "v"}, {"Ü", "v"}, {"(x)", "v"}, {"X\x00", "v"},
		} {
			if h, err := NewHeader(tc.field, tc.value); err == nil || !errors.Is(err, ErrInvalidHeader) {
				t.Errorf("NewHeader(%q, %q) = %v, %v; want ErrInvalidHeader", tc.field, tc.value, h, err)
			}
		}
		for _, tc := range []struct{ field, value string }{{"X-Ok", "fine"}, {"X", ""}, {"X", "a\tb"}} {
			if _, err := NewHeader(tc.field, tc.value); err != nil {
				t.Errorf("NewHeader(%q, %q): %v", tc.field, tc.value, err)
			}
		}
	})
	for _, tc := range []struct {
		name string
		h    Header
	}{
		{"CRLF in value", Header{Field: "X", Value: "a\r\nInjected: yes"}},
		{"LF in value", Header{Field: "X", Value: "a\nInjected: yes"}},
		{"CR in value", Header{Field: "X", Value: "a\rInjected: yes"}},
		{"NUL in value", Header{Field: "X", Value: "a\x00b"}},
		{"CRLF in name", Header{Field: "X\r\nInjected", Value: "yes"}},
		{"space in name", Header{Field: "Bad Name", Value: "v"}},
		{"empty name", Header{Field: "", Value: "v"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errc := make(chan error, 2)
			ts := startWireServer(t, ServerConfig{}, func(ts *wireServer, r *Request) {
				if r.URL() == "/follow" {
					wireRoute(ts, r)
					return
				}
				errc <- r.Respond(FromString("x").WithHeader(tc.h))
			})
			c := ts.dial(t)
			c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n" + cfFollow)
			c.CloseWrite()
			res := c.ReadAll()
			if res.Err != nil {
				t.Fatalf("%v\n%v", res.Err, res)
			}
			finals := res.Finals()
			if len(finals) == 0 || finals[0].Status != 500 {
				t.Fatalf("want 500\n%v", res)
			}
			for _, r := range finals {
				if r.Has("Injected") || bytes.Contains(r.Body, []byte("Injected")) {
					t.Errorf("the injected line reached the wire\n%v", res)
				}
			}
			if len(finals) > 1 && cfTarget(finals[1]) != "/follow" {
				t.Errorf("the connection was desynchronised\n%v", res)
			}
			select {
			case err := <-errc:
				if !errors.Is(err, ErrInvalidHeader) {
					t.Errorf("Respond returned %v, want ErrInvalidHeader", err)
				}
			case <-time.After(wiretest.Timeout):
				t.Errorf("the handler never returned")
			}
		})
	}
}
