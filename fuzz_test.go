package tinyhttp

// Fuzz targets for the request-head parser, the chunked decoder, and a whole
// served connection. Seed corpora live in testdata/fuzz/<Target>/ (built
// from fuzzRequestSeeds and fuzzChunkedSeeds); FuzzConnection adds
// fuzzRequestSeeds itself.
//
//	go test -run='^$' -fuzz='^FuzzRequestHead$' -fuzztime=60s .

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// fuzzHeadLimits are small limits, so that the fuzzer reaches them.
var fuzzHeadLimits = headLimits{maxLine: 256, maxHeader: 1024, maxFields: 16}

// fuzzChunkLimits are small limits, so that the fuzzer reaches them.
var fuzzChunkLimits = chunkLimits{maxLine: 64, maxTrailers: 256, maxFields: 4}

// fuzzRequestSeeds are valid requests and the vectors of CONFORMANCE.md.
var fuzzRequestSeeds = []string{
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
	"POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n",
	"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
	"GET / HTTP/1.0\r\n\r\n",
	"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"HEAD /ten HTTP/1.1\r\nHost: a\r\n\r\nGET /ten HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nraw bytes",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\n\n",
	"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n",
	"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
	"FOO / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost:\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
	"GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
	"GET http://[v1.a:b]:80/x?q HTTP/1.1\r\nHost: a\r\n\r\n",
	"CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nExpect: , 100-continue,\r\nContent-Length: 3\r\n\r\nabc",
	// Rejected vectors.
	"GET / HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nFoo : bar\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n",
	"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX[1]: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
	"GET / HTTP/1.1\rHost: a\r\r",
	"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
	"GET / http/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/01.1\r\nHost: a\r\n\r\n",
	"GET /\r\n\r\n",
	"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET a.example:80 HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
	"GET http://:80/x HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://u@a.example/x HTTP/1.1\r\nHost: a\r\n\r\n",
	"CONNECT a.example: HTTP/1.1\r\nHost: a\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03\x11\x11\x11\x11\x11\x11\x11\n",
}

// fuzzChunkedSeeds are chunked bodies, valid and not.
var fuzzChunkedSeeds = []string{
	"5\r\nhello\r\n0\r\n\r\n",
	"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	"5;a=b\r\nhello\r\n0;c=\"d\\\"e\"\r\n\r\n",
	"5 ; a = b\r\nhello\r\n0\r\n\r\n",
	"0\r\nX-Trailer: yes\r\nContent-Length: 99\r\n\r\n",
	"3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n",
	"5\nhello\n0\n\n",
	"A\r\n0123456789\r\n0\r\n\r\n",
	"0000000000000000000005\r\nhello\r\n0\r\n\r\n",
	"0\r\n\r\n",
	"0x5\r\nhello\r\n0\r\n\r\n",
	"+5\r\nhello\r\n0\r\n\r\n",
	"5_0\r\nhello\r\n0\r\n\r\n",
	" 5\r\nhello\r\n0\r\n\r\n",
	"-1\r\nhello\r\n0\r\n\r\n",
	"10000000000000000\r\nhello\r\n0\r\n\r\n",
	"fffffffffffffff\r\nhello\r\n0\r\n\r\n",
	"5;\r\nhello\r\n0\r\n\r\n",
	"5;a=\"b\x01\"\r\nhello\r\n0\r\n\r\n",
	"5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n",
	"5;a=\"\\\t\\\\\"\r\nhello\r\n0\r\n\r\n",
	"5;a=" + strings.Repeat("b", 100) + "\r\nhello\r\n0\r\n\r\n",
	"5\r\nhelloX\r\n0\r\n\r\n",
	"5\r\nhello\r\n",
	"5\r\nhel",
	"0\r\nBad Name: x\r\n\r\n",
	"0\r\nX: a\rb\r\n\r\n",
	"0\r\n X: folded\r\n\r\n",
}

// FuzzRequestHead feeds bytes to readHead and parseHead as the connection
// does, through a small bufio.Reader. Nothing may panic; an accepted head
// must satisfy the parser's invariants and agree with net/http on framing.
func FuzzRequestHead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := bytes.NewReader(data)
		br := bufio.NewReaderSize(rd, 64)
		var hb headBuffer
		for i := 0; ; i++ {
			err := readHead(br, &hb, fuzzHeadLimits, noBlocker{})
			if err != nil {
				fuzzCheckHeadError(t, "readHead", err, 400, 414, 431, 505)
				return
			}
			if n := len(hb.buf); n > fuzzHeadLimits.maxHeader {
				t.Fatalf("head of %d bytes accepted, limit %d", n, fuzzHeadLimits.maxHeader)
			}
			var h requestHead
			if err := parseHead(&h, string(hb.buf), &hb, fuzzHeadLimits); err != nil {
				fuzzCheckHeadError(t, "parseHead", err, 400, 417, 431, 501, 505)
				return
			}
			fuzzCheckHead(t, &h, string(hb.buf[:hb.lines[0]]))
			if i == 0 {
				consumed := len(data) - rd.Len() - br.Buffered()
				fuzzCompareNetHTTP(t, &h, data[:consumed])
			}
			// Skip the body to reach a pipelined head, as the connection does.
			switch {
			case h.chunked:
				return
			case h.contentLength > 0:
				if _, err := br.Discard(int(min(h.contentLength, int64(len(data))+1))); err != nil {
					return
				}
			}
		}
	})
}

// fuzzCheckHeadError checks err is a clean end or a parse error with one of
// the statuses CONFORMANCE.md gives.
func fuzzCheckHeadError(t *testing.T, where string, err error, statuses ...int) {
	t.Helper()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return
	}
	var pe *parseError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: error %v (%T) is not a parse error", where, err, err)
	}
	if !slices.Contains(statuses, int(pe.status)) {
		t.Fatalf("%s: error %v has status %d, want one of %v", where, err, pe.status, statuses)
	}
}

// fuzzCheckHead checks the invariants of an accepted head.
func fuzzCheckHead(t *testing.T, h *requestHead, reqLine string) {
	t.Helper()
	if !wiretest.IsToken(string(h.method)) {
		t.Fatalf("method %q is not a token", h.method)
	}
	if h.target == "" {
		t.Fatalf("empty target accepted")
	}
	for i := 0; i < len(h.target); i++ {
		if c := h.target[i]; c <= ' ' || c == 0x7f {
			t.Fatalf("target %q contains byte %#x", h.target, c)
		}
	}
	if h.version.Major != 1 {
		t.Fatalf("version %v accepted", h.version)
	}
	if want := string(h.method) + " " + h.target + " HTTP/" + h.version.String(); reqLine != want {
		t.Fatalf("request line %q parsed as %q", reqLine, want)
	}
	if len(reqLine) > fuzzHeadLimits.maxLine {
		t.Fatalf("request line of %d bytes accepted, limit %d", len(reqLine), fuzzHeadLimits.maxLine)
	}
	if len(h.headers) > fuzzHeadLimits.maxFields {
		t.Fatalf("%d fields accepted, limit %d", len(h.headers), fuzzHeadLimits.maxFields)
	}
	hosts, cls, tes := 0, 0, 0
	for _, f := range h.headers {
		if !wiretest.IsToken(string(f.Field)) {
			t.Fatalf("field name %q is not a token", f.Field)
		}
		if strings.ContainsAny(f.Value, "\r\n\x00") {
			t.Fatalf("field %s has value %q with CR, LF or NUL", f.Field, f.Value)
		}
		if strings.TrimLeft(f.Value, " \t") != f.Value || strings.TrimRight(f.Value, " \t") != f.Value {
			t.Fatalf("field %s has untrimmed value %q", f.Field, f.Value)
		}
		switch strings.ToLower(string(f.Field)) {
		case "host":
			hosts++
		case "content-length":
			cls++
		case "transfer-encoding":
			tes++
		}
	}
	if h.contentLength < -1 {
		t.Fatalf("Content-Length %d", h.contentLength)
	}
	if h.chunked && h.contentLength >= 0 {
		t.Fatalf("both chunked and Content-Length %d", h.contentLength)
	}
	if h.chunked != (tes > 0) || (h.contentLength >= 0) != (cls > 0) {
		t.Fatalf("framing chunked=%v length=%d from %d TE and %d CL fields", h.chunked, h.contentLength, tes, cls)
	}
	if is11 := h.version.Minor >= 1; is11 && hosts != 1 {
		t.Fatalf("HTTP/%v request with %d Host fields accepted", h.version, hosts)
	} else if hosts > 1 {
		t.Fatalf("%d Host fields accepted", hosts)
	}
	if h.version.Minor == 0 && (h.chunked || h.expectContinue || h.upgrade) {
		t.Fatalf("HTTP/1.0 request with chunked=%v expect=%v upgrade=%v", h.chunked, h.expectContinue, h.upgrade)
	}
}

// fuzzCompareNetHTTP checks that net/http, when it also accepts the head,
// frames the body the same way: a disagreement is a smuggling vector.
func fuzzCompareNetHTTP(t *testing.T, h *requestHead, head []byte) {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		return
	}
	goChunked := slices.Contains(req.TransferEncoding, "chunked")
	if goChunked != h.chunked {
		t.Fatalf("chunked=%v, net/http says %v", h.chunked, goChunked)
	}
	if !h.chunked && max(h.contentLength, 0) != req.ContentLength {
		t.Fatalf("Content-Length %d, net/http says %d", h.contentLength, req.ContentLength)
	}
}

// FuzzChunkedBody feeds bytes to the chunked decoder with small limits.
// Nothing may panic or loop; it never returns more bytes than it was given;
// after EOF its trailers are valid fields; when net/http's decoder also
// succeeds, both decode the same content. It also checks that what the
// library's chunked encoder writes decodes back to the input.
func FuzzChunkedBody(f *testing.F) {
	for _, seed := range fuzzChunkedSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := newChunkedReader(bufio.NewReaderSize(bytes.NewReader(data), 16), fuzzChunkLimits)
		var out []byte
		buf := make([]byte, 7)
		var err error
		for empty := 0; err == nil; {
			var n int
			n, err = cr.Read(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d for a %d-byte buffer", n, len(buf))
			}
			out = append(out, buf[:n]...)
			if len(out) > len(data) {
				t.Fatalf("decoded %d bytes from %d input bytes", len(out), len(data))
			}
			if n == 0 && err == nil {
				if empty++; empty > 100 {
					t.Fatalf("Read makes no progress")
				}
			}
		}
		if n, again := cr.Read(buf); n != 0 || again != err {
			t.Fatalf("after %v, Read returned %d, %v", err, n, again)
		}
		if err != io.EOF {
			if !errors.Is(err, ErrMalformedChunk) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v is neither ErrMalformedChunk nor io.ErrUnexpectedEOF", err)
			}
		} else {
			if len(cr.trailers) > fuzzChunkLimits.maxFields {
				t.Fatalf("%d trailers, limit %d", len(cr.trailers), fuzzChunkLimits.maxFields)
			}
			for _, h := range cr.trailers {
				if !wiretest.IsToken(string(h.Field)) || strings.ContainsAny(h.Value, "\r\n\x00") {
					t.Fatalf("invalid trailer %q: %q", h.Field, h.Value)
				}
			}
			if ref, rerr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(data))); rerr == nil && !bytes.Equal(ref, out) {
				t.Fatalf("decoded %q, net/http/httputil decodes %q", out, ref)
			}
		}
		fuzzRoundTrip(t, data)
	})
}

// fuzzRoundTrip encodes data with the response-side chunked encoder, both
// ways the library uses it, and decodes it again.
func fuzzRoundTrip(t *testing.T, data []byte) {
	t.Helper()
	for _, stream := range []bool{false, true} {
		var enc bytes.Buffer
		bw := bufio.NewWriter(&enc)
		cw := chunkedWriter{bw}
		if stream {
			if _, err := copyChunked(cw, bytes.NewReader(data), make([]byte, responseChunkSize)); err != nil {
				t.Fatalf("copyChunked: %v", err)
			}
		} else if _, err := cw.Write(data); err != nil {
			t.Fatalf("chunkedWriter.Write: %v", err)
		}
		if err := cw.Close(); err != nil {
			t.Fatalf("chunkedWriter.Close: %v", err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		dec, err := io.ReadAll(newChunkedReader(bufio.NewReader(&enc), fuzzChunkLimits))
		if err != nil || !bytes.Equal(dec, data) {
			t.Fatalf("round trip (stream=%v) of %q: got %q, %v", stream, data, dec, err)
		}
	}
}

// FuzzConnection writes the input to a served connection and half-closes it:
// the server must answer with well-formed responses and close within
// wiretest.Timeout, and must never panic.
func FuzzConnection(f *testing.F) {
	for _, s := range fuzzRequestSeeds {
		f.Add([]byte(s))
	}
	ts := startWireServer(f, ServerConfig{
		ReadHeaderTimeout: time.Second,
		BodyReadTimeout:   time.Second,
		IdleTimeout:       time.Second,
		MaxHeaderBytes:    4 << 10,
		MaxBodyBytes:      64 << 10,
	}, wireRoute)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ts.dial(t)
		c.Conn.SetWriteDeadline(time.Now().Add(wiretest.Timeout))
		c.Conn.Write(data) // the server may close early: a failed write is fine
		c.Conn.(*net.TCPConn).CloseWrite()
		if bytes.Contains(data, []byte("HEAD")) {
			// Response framing depends on which requests were HEAD: only
			// check that the server closes.
			c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
			if _, err := io.Copy(io.Discard, c.R); err != nil && !wiretest.IsReset(err) {
				t.Fatalf("the server did not close: %v", err)
			}
		} else {
			res := c.ReadAll()
			if res.Err != nil {
				t.Fatalf("input %q: %v\n%v", data, res.Err, res)
			}
			if !res.Closed {
				// After a 101 the stream is raw: it must still end.
				c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
				if _, err := io.Copy(io.Discard, c.R); err != nil && !wiretest.IsReset(err) {
					t.Fatalf("input %q: the upgraded stream did not end: %v", data, err)
				}
			}
		}
		if l := ts.log.String(); strings.Contains(l, "panic") {
			t.Fatalf("input %q: the server panicked:\n%s", data, l)
		}
	})
}

// FuzzHeadPaths checks readHead's fast path (a head whole in the buffer)
// against its general path (the same bytes arriving one at a time): both
// accept the same heads with the same lines, and refuse the others.
func FuzzHeadPaths(f *testing.F) {
	for _, s := range fuzzRequestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow headBuffer
		errFast := readHead(bufio.NewReaderSize(bytes.NewReader(data), 4096), &fast, fuzzHeadLimits, noBlocker{})
		errSlow := readHead(bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(data)), 4096), &slow, fuzzHeadLimits, noBlocker{})
		// Both refusing is enough: which fault a malformed head is refused
		// for first (a bare CR or the length limit) depends on how its bytes
		// arrive, on either path.
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%q: fast path %v, general path %v", data, errFast, errSlow)
		}
		if errFast != nil {
			return
		}
		if string(fast.buf) != string(slow.buf) || !slices.Equal(fast.lines, slow.lines) || fast.reqLine != slow.reqLine {
			t.Fatalf("%q: fast path %q %v %+v, general path %q %v %+v", data, fast.buf, fast.lines, fast.reqLine, slow.buf, slow.lines, slow.reqLine)
		}
	})
}
