package tinyhttp

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/c0c8f223/tinyhttp/internal/testhook"
)

// The decoders in these tests are the standard library's, so that the
// library's output (klauspost/compress) is checked by an independent
// implementation.

// codingText returns n bytes of deterministic HTML, compressible like a
// real page: rows of a table built from a small vocabulary.
func codingText(n int) string {
	words := strings.Fields("order item price total user account status created updated name email city")
	rng := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><body><table>\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<tr id=\"r%d\"><td>%d</td><td>%s %s</td><td>%d.%02d</td></tr>\n",
			i, rng.IntN(1e6), words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.IntN(1000), rng.IntN(100))
	}
	return b.String()[:n]
}

func TestNegotiateEncoding(t *testing.T) {
	tests := []struct {
		accept string
		want   coding
	}{
		{"", codingIdentity},
		{"gzip", codingGzip},
		{"deflate", codingDeflate},
		{"gzip, deflate", codingGzip},
		{"deflate, gzip", codingGzip}, // tie: gzip
		{"gzip, deflate, br, zstd", codingGzip},
		{"br, zstd", codingIdentity},
		{"GZIP", codingGzip},
		{"Deflate", codingDeflate},
		{"x-gzip", codingGzip},
		{"X-Gzip;q=0.5, deflate;q=0.4", codingGzip},
		{"gzip;q=0", codingIdentity},
		{"gzip;q=0.000", codingIdentity},
		{"gzip;q=0, deflate", codingDeflate},
		{"gzip;q=0.5, deflate;q=0.8", codingDeflate},
		{"gzip;q=0.8, deflate;q=0.8", codingGzip},
		{"gzip ; q=0.5 , deflate ; q=0.6", codingDeflate},
		{"gzip;Q=0.5, deflate;q=0.4", codingGzip},
		{" , ,gzip,", codingGzip},
		{"gzip;q=0, gzip", codingGzip}, // listed twice: highest weight
		// "*"
		{"*", codingGzip},
		{"*;q=0", codingIdentity},
		{"*;q=0, deflate", codingDeflate},
		{"gzip;q=0, *", codingDeflate},
		{"*;q=0.5, gzip;q=0.1", codingDeflate},
		{"br;q=1.0, gzip;q=0.8, *;q=0.1", codingGzip},
		// identity
		{"identity", codingIdentity},
		{"identity;q=0", codingIdentity}, // nothing acceptable: identity anyway, no 406
		{"identity;q=0, *;q=0", codingIdentity},
		{"identity;q=0, gzip;q=0", codingIdentity},
		{"identity, gzip;q=0.5", codingIdentity},
		{"identity;q=0.5, gzip", codingGzip},
		{"identity, gzip", codingGzip}, // tie: the coding
		{"identity;q=0, gzip;q=0.001", codingGzip},
		{"*;q=0.3, identity;q=0.5", codingIdentity},
		// malformed weights count as q=0
		{"gzip;q=abc", codingIdentity},
		{"gzip;q=", codingIdentity},
		{"gzip;q=2", codingIdentity},
		{"gzip;q=0.1234", codingIdentity},
		{"gzip;q=-1, deflate", codingDeflate},
		{"gzip;q=1.000", codingGzip},
		{"gzip;level=1", codingGzip}, // other parameters are ignored
	}
	for _, tt := range tests {
		if got := negotiateEncoding(tt.accept); got != tt.want {
			t.Errorf("negotiateEncoding(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func TestNegotiateEncodingAllocs(t *testing.T) {
	for _, accept := range []string{"", "gzip, deflate, br, zstd", "deflate, gzip;q=1.0, *;q=0.5", "identity;q=0, *;q=0"} {
		if n := testing.AllocsPerRun(100, func() { negotiateEncoding(accept) }); n != 0 {
			t.Errorf("negotiateEncoding(%q): %v allocations, want 0", accept, n)
		}
	}
}

// coded is a response rendered for a content-coding test, body decoded.
type coded struct {
	res        *http.Response
	body       string // decoded
	closeAfter bool
	err        error
}

// renderCoded writes resp for a request with the given method, version and
// Accept-Encoding under policy p, and parses and decodes the result.
func renderCoded(t *testing.T, resp *Response, method string, v HTTPVersion, accept string, p *compressPolicy) coded {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	x := exchange{head: method == "HEAD", version: v, keepAlive: true, teChunked: -1, acceptEnc: accept}
	closeAfter, err := writeResponse(w, resp, &x, &responsePolicy{server: "tinyhttp", compress: p})
	w.Flush()
	out := coded{closeAfter: closeAfter, err: err}
	if err != nil {
		return out
	}
	res, perr := http.ReadResponse(bufio.NewReader(&buf), &http.Request{Method: method})
	if perr != nil {
		t.Fatalf("parsing %q: %v", buf.String(), perr)
	}
	out.res = res
	raw, rerr := io.ReadAll(res.Body)
	if rerr != nil {
		t.Fatalf("reading body: %v", rerr)
	}
	if len(res.TransferEncoding) > 0 && len(res.Header.Values("Content-Length")) > 0 {
		t.Errorf("both Transfer-Encoding and Content-Length:\n%s", buf.String())
	}
	switch ce := res.Header.Get("Content-Encoding"); {
	case method == "HEAD", ce != "" && ce != "gzip" && ce != "deflate":
		out.body = string(raw)
	default:
		out.body = decodeAs(t, ce, raw)
	}
	return out
}

// decodeAs decodes raw in coding ce with the standard library.
func decodeAs(t *testing.T, ce string, raw []byte) string {
	t.Helper()
	var zr io.Reader
	var err error
	switch ce {
	case "":
		return string(raw)
	case "gzip":
		zr, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		zr, err = zlib.NewReader(bytes.NewReader(raw))
	default:
		t.Fatalf("unexpected Content-Encoding %q", ce)
	}
	if err != nil {
		t.Fatalf("%s header: %v", ce, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s body: %v", ce, err)
	}
	return string(b)
}

func TestContentCodingEligibility(t *testing.T) {
	text := codingText(4 << 10)
	html := func() *Response {
		return FromString(text).WithHeader(Header{Field: "Content-Type", Value: "text/html; charset=utf-8"})
	}
	withType := func(ct string) func() *Response {
		return func() *Response { return FromString(text).WithHeader(Header{Field: "Content-Type", Value: ct}) }
	}
	optIn := func() *Response { return FromData([]byte(text)).WithCompression() }
	def := (&CompressionConfig{}).policy()
	tests := []struct {
		name     string
		resp     func() *Response
		method   string
		v        HTTPVersion
		accept   string
		p        *compressPolicy
		wantCE   string // Content-Encoding; "" none
		wantVary bool
	}{
		{"opt-in gzip", optIn, "GET", v11, "gzip", nil, "gzip", true},
		{"opt-in deflate", optIn, "GET", v11, "deflate", nil, "deflate", true},
		{"opt-in no Accept-Encoding", optIn, "GET", v11, "", nil, "", true},
		{"opt-in unknown codings", optIn, "GET", v11, "br, zstd", nil, "", true},
		{"opt-in refused", optIn, "GET", v11, "gzip;q=0, deflate;q=0", nil, "", true},
		{"opt-in below the policy's minimum", func() *Response { return FromString("tiny").WithCompression() }, "GET", v11, "gzip", def, "gzip", true},
		{"opt-in any type", func() *Response { return withType("image/png")().WithCompression() }, "GET", v11, "gzip", def, "gzip", true},
		{"not opted in, no policy", html, "GET", v11, "gzip", nil, "", false},
		{"policy text/html", html, "GET", v11, "gzip", def, "gzip", true},
		{"policy identity chosen", html, "GET", v11, "identity", def, "", true},
		{"policy application/json", withType("Application/JSON"), "GET", v11, "gzip", def, "gzip", true},
		{"policy +json suffix", withType("application/problem+json"), "GET", v11, "gzip", def, "gzip", true},
		{"policy image/svg+xml", withType("image/svg+xml"), "GET", v11, "deflate", def, "deflate", true},
		{"policy image/png", withType("image/png"), "GET", v11, "gzip", def, "", false},
		{"policy text/event-stream", withType("text/event-stream"), "GET", v11, "gzip", def, "", false},
		{"policy no Content-Type", func() *Response { return FromData([]byte(text)) }, "GET", v11, "gzip", def, "", false},
		{"policy below MinSize", func() *Response { return FromString(text[:100]) }, "GET", v11, "gzip", def, "", false},
		{"policy at MinSize", func() *Response { return FromString(text[:DefaultCompressionMinSize]) }, "GET", v11, "gzip", def, "gzip", true},
		{"policy negative MinSize", func() *Response { return FromString("tiny") }, "GET", v11, "gzip", (&CompressionConfig{MinSize: -1}).policy(), "gzip", true},
		{"policy unknown length", func() *Response {
			return NewResponse(200, []Header{{Field: "Content-Type", Value: "text/plain"}}, strings.NewReader("short"), -1)
		}, "GET", v11, "gzip", def, "gzip", true},
		{"policy custom types", withType("application/x-custom"), "GET", v11, "gzip", (&CompressionConfig{Types: []string{"application/x-custom"}}).policy(), "gzip", true},
		{"policy custom types exclude text", html, "GET", v11, "gzip", (&CompressionConfig{Types: []string{"application/x-custom"}}).policy(), "", false},
		{"policy */*", withType("image/png"), "GET", v11, "gzip", (&CompressionConfig{Types: []string{"*/*"}}).policy(), "gzip", true},
		{"policy level 1", html, "GET", v11, "gzip", (&CompressionConfig{Level: 1}).policy(), "gzip", true},
		{"policy level 9", html, "GET", v11, "deflate", (&CompressionConfig{Level: 9}).policy(), "deflate", true},
		{"policy level 42", html, "GET", v11, "gzip", (&CompressionConfig{Level: 42}).policy(), "gzip", true},
		// never double-encode, never transform what must not be
		{"already encoded", func() *Response {
			return optIn().WithHeader(Header{Field: "Content-Encoding", Value: "br"})
		}, "GET", v11, "gzip", def, "", false},
		{"no-transform", func() *Response {
			return html().WithHeader(Header{Field: "Cache-Control", Value: "public, No-Transform"})
		}, "GET", v11, "gzip", def, "", false},
		{"Content-Range", func() *Response {
			return optIn().WithHeader(Header{Field: "Content-Range", Value: "bytes 0-4095/9999"})
		}, "GET", v11, "gzip", def, "", false},
		{"Content-Digest", func() *Response {
			return optIn().WithHeader(Header{Field: "Content-Digest", Value: "sha-256=:x:"})
		}, "GET", v11, "gzip", def, "", false},
		{"206", func() *Response { return optIn().WithStatusCode(StatusPartialContent) }, "GET", v11, "gzip", def, "", false},
		{"empty body", func() *Response { return Empty(200).WithCompression() }, "GET", v11, "gzip", def, "", false},
		{"404 page", func() *Response { return html().WithStatusCode(StatusNotFound) }, "GET", v11, "gzip", def, "gzip", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderCoded(t, tt.resp(), tt.method, tt.v, tt.accept, tt.p)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if ce := got.res.Header.Get("Content-Encoding"); ce != tt.wantCE && !(tt.name == "already encoded" && ce == "br") {
				t.Errorf("Content-Encoding = %q, want %q", ce, tt.wantCE)
			}
			vary := strings.Join(got.res.Header.Values("Vary"), ",")
			if gotVary := valueHasToken(vary, "Accept-Encoding"); gotVary != tt.wantVary {
				t.Errorf("Vary = %q, want Accept-Encoding: %v", vary, tt.wantVary)
			}
			if tt.wantCE != "" {
				if got.res.ContentLength != -1 || len(got.res.TransferEncoding) == 0 {
					t.Errorf("encoded body: Content-Length %d, Transfer-Encoding %v; want chunked", got.res.ContentLength, got.res.TransferEncoding)
				}
				want := text
				switch tt.name {
				case "opt-in below the policy's minimum", "policy negative MinSize":
					want = "tiny"
				case "policy unknown length":
					want = "short"
				case "policy at MinSize":
					want = text[:DefaultCompressionMinSize]
				}
				if got.body != want {
					t.Errorf("decoded body differs: %d bytes, want %d", len(got.body), len(want))
				}
			}
		})
	}
}

// TestContentCodingNoBodyStatuses: 1xx, 204 and 304 are never encoded, and
// get no Vary from the coding either.
func TestContentCodingNoBodyStatuses(t *testing.T) {
	for _, status := range []StatusCode{103, StatusNoContent, StatusNotModified} {
		resp := FromString(codingText(2048)).WithStatusCode(status).WithCompression()
		x := exchange{version: v11, keepAlive: true, teChunked: -1, acceptEnc: "gzip"}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if _, err := writeResponse(w, resp, &x, &responsePolicy{compress: (&CompressionConfig{}).policy()}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if s := buf.String(); strings.Contains(s, "Content-Encoding") || strings.Contains(s, "Vary") {
			t.Errorf("%d: coded:\n%s", status, s)
		}
	}
}

// TestContentCodingHead: HEAD gets the headers a GET would, and no body.
func TestContentCodingHead(t *testing.T) {
	rc := &closeRecorder{Reader: strings.NewReader(codingText(3000))}
	got := renderCoded(t, NewResponse(200, nil, rc, 3000).WithCompression(), "HEAD", v11, "gzip", nil)
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.res.Header.Get("Content-Encoding") != "gzip" || got.res.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("HEAD headers: %v", got.res.Header)
	}
	if got.res.Header.Get("Content-Length") != "" {
		t.Errorf("HEAD has Content-Length %q", got.res.Header.Get("Content-Length"))
	}
	if got.body != "" {
		t.Errorf("HEAD has a body")
	}
	if !rc.closed {
		t.Error("HEAD: the body was not closed")
	}
	// An application that answers HEAD with an empty body and a declared length.
	got = renderCoded(t, Empty(200).WithHeader(Header{Field: "Content-Length", Value: "5000"}).WithCompression(), "HEAD", v11, "gzip", nil)
	if got.err != nil || got.res.Header.Get("Content-Encoding") != "gzip" || got.res.Header.Get("Content-Length") != "" {
		t.Errorf("HEAD with declared length: %v, %v", got.err, got.res.Header)
	}
}

// TestContentCodingHTTP10: HTTP/1.0 gets a close-delimited encoded body.
func TestContentCodingHTTP10(t *testing.T) {
	text := codingText(50 << 10)
	got := renderCoded(t, FromString(text).WithCompression(), "GET", v10, "gzip", nil)
	if got.err != nil {
		t.Fatal(got.err)
	}
	if len(got.res.TransferEncoding) > 0 || got.res.Header.Get("Content-Length") != "" || !got.closeAfter {
		t.Errorf("HTTP/1.0: Transfer-Encoding %v, Content-Length %q, close %v; want close-delimited",
			got.res.TransferEncoding, got.res.Header.Get("Content-Length"), got.closeAfter)
	}
	if got.body != text {
		t.Error("HTTP/1.0: decoded body differs")
	}
}

// TestContentCodingHeaders: ETag, Accept-Ranges and Vary are adjusted.
func TestContentCodingHeaders(t *testing.T) {
	text := codingText(2048)
	tests := []struct {
		name    string
		headers []Header
		accept  string
		want    map[string][]string
	}{
		{"strong ETag weakened", []Header{{Field: "ETag", Value: `"abc"`}}, "gzip",
			map[string][]string{"Etag": {`W/"abc"`}, "Vary": {"Accept-Encoding"}}},
		{"weak ETag kept", []Header{{Field: "ETag", Value: `W/"abc"`}}, "gzip",
			map[string][]string{"Etag": {`W/"abc"`}}},
		{"ETag untouched for identity", []Header{{Field: "ETag", Value: `"abc"`}}, "br",
			map[string][]string{"Etag": {`"abc"`}, "Vary": {"Accept-Encoding"}}},
		{"Accept-Ranges removed", []Header{{Field: "Accept-Ranges", Value: "bytes"}}, "gzip",
			map[string][]string{"Accept-Ranges": nil}},
		{"Accept-Ranges kept for identity", []Header{{Field: "Accept-Ranges", Value: "bytes"}}, "",
			map[string][]string{"Accept-Ranges": {"bytes"}}},
		{"other Vary kept", []Header{{Field: "Vary", Value: "Origin"}}, "gzip",
			map[string][]string{"Vary": {"Origin", "Accept-Encoding"}}},
		{"Vary not repeated", []Header{{Field: "Vary", Value: "origin, accept-encoding"}}, "gzip",
			map[string][]string{"Vary": {"origin, accept-encoding"}}},
		{"Vary *", []Header{{Field: "Vary", Value: "*"}}, "gzip",
			map[string][]string{"Vary": {"*"}}},
	}
	for _, tt := range tests {
		resp := NewResponse(200, tt.headers, strings.NewReader(text), int64(len(text))).WithCompression()
		got := renderCoded(t, resp, "GET", v11, tt.accept, nil)
		if got.err != nil {
			t.Fatalf("%s: %v", tt.name, got.err)
		}
		for k, want := range tt.want {
			if diff := cmp.Diff(want, got.res.Header.Values(k), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", tt.name, k, diff)
			}
		}
		if got.body != text {
			t.Errorf("%s: decoded body differs", tt.name)
		}
	}
}

// TestContentCodingDeclaredLength: the declared length applies to the
// unencoded body: it cuts a longer in-memory body, and a streamed body that
// is shorter or longer is an error, as without coding; the body is closed.
func TestContentCodingDeclaredLength(t *testing.T) {
	got := renderCoded(t, FromString("abcdef").WithHeader(Header{Field: "Content-Length", Value: "3"}).WithCompression(), "GET", v11, "gzip", nil)
	if got.err != nil || got.body != "abc" || got.res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("cut in-memory body: %v, %q", got.err, got.body)
	}
	got = renderCoded(t, FromString("abc").WithHeader(Header{Field: "Content-Length", Value: "6"}).WithCompression(), "GET", v11, "gzip", nil)
	if !errors.Is(got.err, ErrBodyLength) {
		t.Errorf("short in-memory body: err %v, want ErrBodyLength", got.err)
	}
	for _, tt := range []struct {
		body     string
		declared int64
	}{{"abc", 6}, {"abcdef", 3}} {
		rc := &closeRecorder{Reader: strings.NewReader(tt.body)}
		got := renderCoded(t, NewResponse(200, nil, rc, tt.declared).WithCompression(), "GET", v11, "gzip", nil)
		if !errors.Is(got.err, ErrBodyLength) {
			t.Errorf("%q declared %d: err %v, want ErrBodyLength", tt.body, tt.declared, got.err)
		}
		if !rc.closed {
			t.Errorf("%q declared %d: body not closed", tt.body, tt.declared)
		}
	}
	rc := &closeRecorder{Reader: strings.NewReader("abcdef")}
	got = renderCoded(t, NewResponse(200, nil, rc, 6).WithCompression(), "GET", v11, "deflate", nil)
	if got.err != nil || got.body != "abcdef" || !rc.closed {
		t.Errorf("exact streamed body: %v, %q, closed %v", got.err, got.body, rc.closed)
	}
}

// errAfter is a body that fails after n bytes.
type errAfter struct {
	n   int
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, e.err
	}
	n := min(len(p), e.n)
	clear(p[:n])
	e.n -= n
	return n, nil
}

// TestContentCodingBodyError: a failing body fails the write.
func TestContentCodingBodyError(t *testing.T) {
	boom := errors.New("boom")
	got := renderCoded(t, NewResponse(200, nil, &errAfter{n: 100 << 10, err: boom}, -1).WithCompression(), "GET", v11, "gzip", nil)
	if !errors.Is(got.err, boom) {
		t.Errorf("err = %v, want boom", got.err)
	}
}

// TestContentCodingStreams: a large streamed body is compressed in steps,
// never buffered whole: the compressed bytes waiting to be read stay
// around one step even for incompressible input.
func TestContentCodingStreams(t *testing.T) {
	const size = 4 << 20
	src := io.LimitReader(rand.NewChaCha8([32]byte{1}), size) // incompressible: the worst case
	resp := NewResponse(200, nil, src, -1).WithCompression()
	x := exchange{version: v11, keepAlive: true, teChunked: -1, acceptEnc: "gzip"}
	resp = applyContentCoding(resp, &x, nil)
	e, ok := resp.reader.(*encoder)
	if !ok {
		t.Fatalf("body is %T, want *encoder", resp.reader)
	}
	pr, pw := io.Pipe()
	done := make(chan int64)
	go func() {
		zr, err := gzip.NewReader(pr)
		var n int64
		if err == nil {
			n, _ = io.Copy(io.Discard, zr)
		}
		io.Copy(io.Discard, pr)
		done <- n
	}()
	maxOut := 0
	buf := make([]byte, 8<<10)
	for {
		n, err := e.Read(buf)
		if e.st != nil {
			maxOut = max(maxOut, cap(e.st.out.b))
		}
		pw.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pw.Close()
	if n := <-done; n != size {
		t.Errorf("decoded %d bytes, want %d", n, size)
	}
	if maxOut > 4*encodeStep {
		t.Errorf("compressed output buffered up to %d bytes, want at most %d", maxOut, 4*encodeStep)
	}
	resp.closeBody()
}

// TestContentCodingPoolReuse: a pooled compressor is reset between
// responses, so that streams never mix.
func TestContentCodingPoolReuse(t *testing.T) {
	for i := range 20 {
		text := codingText(1000 + 997*i)
		for _, accept := range []string{"gzip", "deflate"} {
			got := renderCoded(t, FromString(text).WithCompression(), "GET", v11, accept, nil)
			if got.err != nil || got.body != text {
				t.Fatalf("response %d (%s): %v, decoded body differs", i, accept, got.err)
			}
		}
	}
	// A response closed before its body was read returns its compressor
	// unfinished; the next one must still be correct.
	for range 3 {
		resp := FromString(codingText(100 << 10)).WithCompression()
		resp = applyContentCoding(resp, &exchange{version: v11, acceptEnc: "gzip"}, nil)
		resp.reader.Read(make([]byte, 10))
		resp.closeBody()
		if n, err := resp.reader.Read(make([]byte, 10)); n != 0 || err == nil {
			t.Errorf("Read after Close = %d, %v", n, err)
		}
	}
	text := codingText(10 << 10)
	if got := renderCoded(t, FromString(text).WithCompression(), "GET", v11, "gzip", nil); got.body != text {
		t.Error("after abandoned streams: decoded body differs")
	}
}

// detached builds a request with the given Content-Encoding values and body.
func detached(body []byte, encodings ...string) *Request {
	spec := testhook.Spec{Method: "POST", Target: "/", Major: 1, Minor: 1,
		Headers: [][2]string{{"Host", "example.com"}}, Body: bytes.NewReader(body), BodyLen: int64(len(body))}
	for _, e := range encodings {
		spec.Headers = append(spec.Headers, [2]string{"Content-Encoding", e})
	}
	return newDetachedRequest(spec).(*Request)
}

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zlibbed(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func rawDeflated(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func TestDecodedBody(t *testing.T) {
	text := codingText(20 << 10)
	gz := gzipped(t, text)
	badSum := append([]byte(nil), gz...)
	badSum[len(badSum)-5] ^= 0xff // CRC-32
	tests := []struct {
		name       string
		body       []byte
		encodings  []string
		want       string
		wantErr    error // from DecodedBody
		wantReadIs error // from reading
		wantStatus StatusCode
	}{
		{"none", []byte(text), nil, text, nil, nil, 200},
		{"identity", []byte(text), []string{"identity"}, text, nil, nil, 200},
		{"gzip", gz, []string{"gzip"}, text, nil, nil, 200},
		{"GZIP", gz, []string{"GZIP"}, text, nil, nil, 200},
		{"x-gzip", gz, []string{"x-gzip"}, text, nil, nil, 200},
		{"identity, gzip", gz, []string{"identity, gzip"}, text, nil, nil, 200},
		{"deflate (zlib)", zlibbed(text), []string{"deflate"}, text, nil, nil, 200},
		{"deflate (raw)", rawDeflated(text), []string{"deflate"}, text, nil, nil, 200},
		{"gzip multistream", append(gzipped(t, "abc"), gzipped(t, "def")...), []string{"gzip"}, "abcdef", nil, nil, 200},
		{"br", []byte("x"), []string{"br"}, "", ErrUnsupportedContentEncoding, nil, 415},
		{"gzip, gzip", gz, []string{"gzip, gzip"}, "", ErrUnsupportedContentEncoding, nil, 415},
		{"two fields", gz, []string{"gzip", "deflate"}, "", ErrUnsupportedContentEncoding, nil, 415},
		{"not gzip", []byte("hello, world"), []string{"gzip"}, "", nil, ErrMalformedRequest, 400},
		{"truncated gzip", gz[:len(gz)/2], []string{"gzip"}, "", nil, ErrMalformedRequest, 400},
		{"bad checksum", badSum, []string{"gzip"}, "", nil, ErrMalformedRequest, 400},
		{"empty gzip", nil, []string{"gzip"}, "", nil, nil, 200},
		{"empty deflate", nil, []string{"deflate"}, "", nil, nil, 200},
		{"corrupt deflate", []byte{0x78, 0x9c, 0xff, 0xff, 0xff}, []string{"deflate"}, "", nil, ErrMalformedRequest, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := detached(tt.body, tt.encodings...).DecodedBody()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || body != nil {
					t.Fatalf("DecodedBody = %v, %v; want %v", body, err, tt.wantErr)
				}
				if s := StatusForError(err); s != tt.wantStatus {
					t.Errorf("StatusForError = %d, want %d", s, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(body)
			if tt.wantReadIs != nil {
				if !errors.Is(err, tt.wantReadIs) {
					t.Fatalf("read error %v, want %v", err, tt.wantReadIs)
				}
				if s := StatusForError(err); s != tt.wantStatus {
					t.Errorf("StatusForError = %d, want %d", s, tt.wantStatus)
				}
				if n, err2 := body.Read(make([]byte, 10)); n != 0 || err2 == nil {
					t.Errorf("Read after the error = %d, %v", n, err2)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("decoded %d bytes, %v; want %d bytes", len(got), err, len(tt.want))
			}
		})
	}
}

// TestDecodedBodyLimit: the decoded size is bounded, exactly.
func TestDecodedBodyLimit(t *testing.T) {
	text := codingText(10000)
	for _, tt := range []struct {
		limit   int64
		wantErr bool
	}{{0, false}, {10000, false}, {9999, true}, {100, true}, {1, true}} {
		d := &decoder{src: sourceReader{r: bytes.NewReader(gzipped(t, text))}, coding: codingGzip, limit: tt.limit}
		got, err := io.ReadAll(d)
		if tt.wantErr {
			if !errors.Is(err, ErrBodyTooLarge) || StatusForError(err) != StatusRequestEntityTooLarge {
				t.Errorf("limit %d: err %v, want ErrBodyTooLarge", tt.limit, err)
			}
			if int64(len(got)) != tt.limit || string(got) != text[:tt.limit] {
				t.Errorf("limit %d: %d bytes before the error, want the first %d", tt.limit, len(got), tt.limit)
			}
			continue
		}
		if err != nil || string(got) != text {
			t.Errorf("limit %d: %d bytes, %v", tt.limit, len(got), err)
		}
	}
	if decodedLimit(0) != DefaultMaxDecodedBodyBytes || decodedLimit(-1) != 0 || decodedLimit(5) != 5 {
		t.Error("decodedLimit: wrong defaults")
	}
}

// TestDecodedBodySourceError: a failure of the body itself (a timeout,
// MaxBodyBytes) is passed through, not blamed on the coding.
func TestDecodedBodySourceError(t *testing.T) {
	gz := gzipped(t, codingText(50<<10))
	for _, cause := range []error{ErrBodyTooLarge, io.ErrUnexpectedEOF, errors.New("boom")} {
		src := io.MultiReader(bytes.NewReader(gz[:len(gz)/2]), &errAfter{err: cause})
		d := &decoder{src: sourceReader{r: src}, coding: codingGzip}
		_, err := io.ReadAll(d)
		if !errors.Is(err, cause) || (cause != ErrMalformedRequest && errors.Is(err, ErrMalformedRequest)) {
			t.Errorf("cause %v: got %v", cause, err)
		}
	}
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestStatusForError(t *testing.T) {
	var _ net.Error = timeoutErr{}
	tests := []struct {
		err  error
		want StatusCode
	}{
		{nil, StatusOK},
		{ErrBodyTooLarge, 413},
		{fmt.Errorf("reading: %w", ErrBodyTooLarge), 413},
		{ErrUnsupportedContentEncoding, 415},
		{ErrMalformedRequest, 400},
		{ErrMalformedChunk, 400},
		{io.ErrUnexpectedEOF, 400},
		{ErrRequestLineTooLong, 414},
		{ErrHeaderTooLarge, 431},
		{ErrUnsupportedTransferCoding, 501},
		{ErrVersionNotSupported, 505},
		{ErrExpectationFailed, 417},
		{fmt.Errorf("read: %w", timeoutErr{}), 408},
		{ErrBodyClosed, 500},
		{errors.New("anything"), 500},
	}
	for _, tt := range tests {
		if got := StatusForError(tt.err); got != tt.want {
			t.Errorf("StatusForError(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if StatusCode(415).DefaultReasonPhrase() != "Unsupported Media Type" {
		t.Error("415 has no reason phrase")
	}
}

// bombMember is one gzip member of bombMemberSize zeros; bombMembers of them
// back to back are a valid gzip stream (RFC 1952 §2.2) of 1 GiB that is
// about 1 MiB on the wire.
const (
	bombMemberSize = 1 << 20
	bombMembers    = 1 << 10
)

func bombMember(t testing.TB) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(make([]byte, bombMemberSize))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// repeatReader yields b n times, never holding more than b.
type repeatReader struct {
	b   []byte
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	c := copy(p, r.b[r.off:])
	if r.off += c; r.off == len(r.b) {
		r.off, r.n = 0, r.n-1
	}
	return c, nil
}

// TestCompressionEndToEnd runs a server with the default compression policy
// on a loopback port and checks real clients decode what it sends.
func TestCompressionEndToEnd(t *testing.T) {
	s := startServer(t, ServerConfig{Compression: &CompressionConfig{}, ErrorLog: discardLog()})
	page := codingText(64 << 10)
	type upload struct {
		n   int64
		err error
	}
	uploads := make(chan upload, 10)
	go func() {
		for r := range s.Incoming() {
			var resp *Response
			switch r.URL() {
			case "/html":
				resp = FromString(page).WithHeader(Header{Field: "Content-Type", Value: "text/html; charset=utf-8"})
			case "/stream":
				resp = NewResponse(200, []Header{{Field: "Content-Type", Value: "text/plain"}}, strings.NewReader(page), -1)
			case "/png":
				resp = FromData([]byte(page)).WithHeader(Header{Field: "Content-Type", Value: "image/png"})
			case "/upload":
				body, err := r.DecodedBody()
				var data []byte
				if err == nil {
					data, err = io.ReadAll(body) // a naive application: the bound protects it
				}
				uploads <- upload{int64(len(data)), err}
				if err != nil {
					resp = Empty(StatusForError(err))
				} else {
					sum := sha256.Sum256(data)
					resp = FromString(hex.EncodeToString(sum[:]))
				}
			default:
				resp = Empty(StatusNotFound)
			}
			r.Respond(resp)
		}
	}()
	base := "http://" + s.Addr().String()
	pageSum := sha256.Sum256([]byte(page))

	t.Run("net/http transparent gzip", func(t *testing.T) {
		tr := &http.Transport{DisableCompression: false}
		t.Cleanup(tr.CloseIdleConnections)
		c := &http.Client{Transport: tr, Timeout: testTimeout}
		for _, path := range []string{"/html", "/stream"} {
			res, err := c.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || !res.Uncompressed || string(b) != page {
				t.Errorf("%s: err %v, uncompressed %v, %d bytes; want the page decoded", path, err, res.Uncompressed, len(b))
			}
			if res.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: Vary = %q", path, res.Header.Get("Vary"))
			}
		}
	})

	t.Run("manual gzip and deflate", func(t *testing.T) {
		tr := &http.Transport{DisableCompression: true}
		t.Cleanup(tr.CloseIdleConnections)
		c := &http.Client{Transport: tr, Timeout: testTimeout}
		for _, tt := range []struct{ path, accept, wantCE string }{
			{"/html", "gzip", "gzip"}, {"/html", "deflate", "deflate"}, {"/html", "br", ""},
			{"/html", "gzip;q=0, *;q=0", ""}, {"/png", "gzip", ""},
		} {
			req, _ := http.NewRequest("GET", base+tt.path, nil)
			req.Header.Set("Accept-Encoding", tt.accept)
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if ce := res.Header.Get("Content-Encoding"); ce != tt.wantCE {
				t.Errorf("%s %q: Content-Encoding %q, want %q", tt.path, tt.accept, ce, tt.wantCE)
				continue
			}
			if got := decodeAs(t, tt.wantCE, raw); got != page {
				t.Errorf("%s %q: decoded body differs", tt.path, tt.accept)
			}
			if tt.wantCE != "" && len(raw) > len(page)/3 {
				t.Errorf("%s %q: %d bytes for %d: not compressed", tt.path, tt.accept, len(raw), len(page))
			}
		}
	})

	t.Run("HTTP/1.0 close-delimited", func(t *testing.T) {
		c := dial(t, s)
		io.WriteString(c, "GET /html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(res.Body) // to the close
		if err != nil {
			t.Fatal(err)
		}
		if len(res.TransferEncoding) > 0 || res.Header.Get("Content-Length") != "" || !res.Close {
			t.Errorf("HTTP/1.0: Transfer-Encoding %v, Content-Length %q, close %v", res.TransferEncoding, res.Header.Get("Content-Length"), res.Close)
		}
		if decodeAs(t, res.Header.Get("Content-Encoding"), raw) != page || res.Header.Get("Content-Encoding") != "gzip" {
			t.Error("HTTP/1.0: not the gzipped page")
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		c := dial(t, s)
		io.WriteString(c, "HEAD /html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"+
			"GET /png HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" || res.Header.Get("Content-Length") != "" {
			t.Errorf("HEAD headers: %v", res.Header)
		}
		res, err = http.ReadResponse(br, nil) // right behind the HEAD's header block
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(b) != page || res.Header.Get("Content-Encoding") != "" {
			t.Errorf("after HEAD: %d, %d bytes, %v", res.StatusCode, len(b), res.Header)
		}
	})

	t.Run("curl --compressed", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("no curl")
		}
		dir := t.TempDir()
		hdr, out := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if b, err := exec.CommandContext(ctx, curl, "-sS", "--compressed", "-D", hdr, "-o", out, base+"/html").CombinedOutput(); err != nil {
			t.Fatalf("curl: %v: %s", err, b)
		}
		h, _ := os.ReadFile(hdr)
		b, _ := os.ReadFile(out)
		if !strings.Contains(strings.ToLower(string(h)), "content-encoding: gzip") || string(b) != page {
			t.Errorf("curl: headers %q, %d bytes (want %d)", h, len(b), len(page))
		}
	})

	t.Run("python http.client", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("no python3")
		}
		host, port, _ := net.SplitHostPort(s.Addr().String())
		script := `
import gzip, hashlib, http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
c.request("GET", "/html", headers={"Accept-Encoding": "gzip"})
r = c.getresponse()
body = r.read()
assert r.getheader("Content-Encoding") == "gzip", r.getheaders()
print(hashlib.sha256(gzip.decompress(body)).hexdigest(), len(body))
`
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		b, err := exec.CommandContext(ctx, py, "-c", script, host, port).CombinedOutput()
		if err != nil {
			t.Fatalf("python: %v: %s", err, b)
		}
		f := strings.Fields(string(b))
		if len(f) != 2 || f[0] != hex.EncodeToString(pageSum[:]) {
			t.Errorf("python: %q, want sha256 %x", b, pageSum)
		}
		if n, _ := strconv.Atoi(f[1]); n == 0 || n > len(page)/3 {
			t.Errorf("python: %d compressed bytes for %d", n, len(page))
		}
	})

	t.Run("gzip upload", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/upload", bytes.NewReader(gzipped(t, page)))
		req.Header.Set("Content-Encoding", "gzip")
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		res, err := (&http.Client{Transport: tr, Timeout: testTimeout}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if u := <-uploads; u.err != nil || string(b) != hex.EncodeToString(pageSum[:]) {
			t.Errorf("upload: %v, %q", u.err, b)
		}
	})

	t.Run("unsupported upload", func(t *testing.T) {
		c := dial(t, s)
		io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if u := <-uploads; res.StatusCode != 415 || !errors.Is(u.err, ErrUnsupportedContentEncoding) {
			t.Errorf("br upload: %d, %v", res.StatusCode, u.err)
		}
	})

	t.Run("gzip bomb", func(t *testing.T) {
		member := bombMember(t)
		size := int64(len(member)) * bombMembers
		t.Logf("bomb: %d bytes on the wire inflate to %d", size, int64(bombMemberSize)*bombMembers)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		c := dial(t, s)
		go func() {
			fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", size)
			io.Copy(c, &repeatReader{b: member, n: bombMembers}) // fails once the server stops reading: fine
		}()
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		u := <-uploads
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if res.StatusCode != int(StatusRequestEntityTooLarge) || !errors.Is(u.err, ErrBodyTooLarge) {
			t.Errorf("bomb: %d, %v; want 413 and ErrBodyTooLarge", res.StatusCode, u.err)
		}
		if u.n != DefaultMaxDecodedBodyBytes {
			t.Errorf("bomb: the application got %d bytes, want the limit %d", u.n, DefaultMaxDecodedBodyBytes)
		}
		// io.ReadAll up to 16 MiB allocates about twice that; 1 GiB would
		// be far beyond this bound.
		const memBound = 128 << 20
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("bomb: %d MiB allocated while it was read", alloc>>20)
		if alloc > memBound {
			t.Errorf("bomb: %d MiB allocated while it was read, want under %d MiB", alloc>>20, memBound>>20)
		}
		c.SetReadDeadline(time.Now().Add(testTimeout))
	})
}

// TestCompressionConfigResolve: the ServerConfig fields and their zero values.
func TestCompressionConfigResolve(t *testing.T) {
	for _, tt := range []struct {
		cfg         ServerConfig
		wantPolicy  bool
		wantLevel   int
		wantMin     int64
		wantDecoded int64
	}{
		{ServerConfig{}, false, 0, 0, DefaultMaxDecodedBodyBytes},
		{ServerConfig{Compression: &CompressionConfig{}, MaxDecodedBodyBytes: -1}, true, DefaultCompressionLevel, DefaultCompressionMinSize, 0},
		{ServerConfig{Compression: &CompressionConfig{Level: 9, MinSize: 10}, MaxDecodedBodyBytes: 1000}, true, 9, 10, 1000},
		{ServerConfig{Compression: &CompressionConfig{Level: -3, MinSize: -1}}, true, DefaultCompressionLevel, 0, DefaultMaxDecodedBodyBytes},
	} {
		c, err := tt.cfg.resolve()
		if err != nil {
			t.Fatal(err)
		}
		p := c.server.compress
		if (p != nil) != tt.wantPolicy || c.maxDecodedBodyBytes != tt.wantDecoded {
			t.Errorf("%+v: policy %v, decoded limit %d", tt.cfg, p, c.maxDecodedBodyBytes)
			continue
		}
		if p != nil && (p.level != tt.wantLevel || p.minSize != tt.wantMin || len(p.types) != len(DefaultCompressibleTypes())) {
			t.Errorf("%+v: level %d, min %d, %d types", tt.cfg, p.level, p.minSize, len(p.types))
		}
	}
}

// TestDecodedBodyServerLimit: ServerConfig.MaxDecodedBodyBytes reaches
// DecodedBody on a real connection.
func TestDecodedBodyServerLimit(t *testing.T) {
	s := startServer(t, ServerConfig{MaxDecodedBodyBytes: 1000, ErrorLog: discardLog()})
	go func() {
		for r := range s.Incoming() {
			body, err := r.DecodedBody()
			if err == nil {
				_, err = io.Copy(io.Discard, body)
			}
			r.Respond(Empty(StatusForError(err)))
		}
	}()
	for _, tt := range []struct {
		size int
		want int
	}{{1000, 200}, {1001, 413}} {
		gz := gzipped(t, codingText(tt.size))
		c := dial(t, s)
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(gz), gz)
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != tt.want {
			t.Errorf("%d decoded bytes: %d, want %d", tt.size, res.StatusCode, tt.want)
		}
	}
}
