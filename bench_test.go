package tinyhttp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// pipeListener is an in-memory listener: Dial returns the client end of a
// net.Pipe whose server end Accept returns.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// Dial connects a new in-memory client.
func (l *pipeListener) Dial() (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, errors.New("listener closed")
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// Request heads used by the benchmarks: what wrk, curl and a browser send.
const (
	wrkRequest  = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
	curlRequest = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
	browserReq  = "GET /static/app.js?v=3 HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\n" +
		"sec-ch-ua: \"Chromium\";v=\"156\"\r\nsec-ch-ua-mobile: ?0\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36\r\n" +
		"sec-ch-ua-platform: \"Linux\"\r\nAccept: */*\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: script\r\n" +
		"Referer: https://example.com/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n"
)

func BenchmarkParseHead(b *testing.B) {
	lim := headLimits{maxLine: DefaultMaxRequestLine, maxHeader: DefaultMaxHeaderBytes, maxFields: DefaultMaxHeaderFields}
	for _, bc := range []struct{ name, req string }{{"wrk", wrkRequest}, {"curl", curlRequest}, {"browser", browserReq}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.req)))
			src := strings.NewReader(bc.req)
			br := bufio.NewReaderSize(src, readBufferSize)
			var hb headBuffer
			for b.Loop() {
				src.Reset(bc.req)
				br.Reset(src)
				var r Request
				r.head.headers = r.hdrs[:0]
				if err := readHead(br, &hb, lim, noBlocker{}); err != nil {
					b.Fatal(err)
				}
				if err := parseHead(&r.head, string(hb.buf), &hb, lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchServer serves hello world over in-memory connections.
func benchServer(b *testing.B) (*Server, *pipeListener) {
	b.Helper()
	ln := newPipeListener()
	s, err := NewServerFromListener(ln, ServerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	for range 4 {
		go func() {
			for r := range s.Incoming() {
				r.Respond(FromString("hello world"))
			}
		}()
	}
	b.Cleanup(func() { s.Close() })
	return s, ln
}

// BenchmarkHelloWorld is one keep-alive request and its response, end to end.
func BenchmarkHelloWorld(b *testing.B) {
	_, ln := benchServer(b)
	c, err := ln.Dial()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	benchKeepAlive(b, c)
}

// benchKeepAlive sends one request at a time on c and reads its response.
func benchKeepAlive(b *testing.B, c net.Conn) {
	br := bufio.NewReader(c)
	req := []byte(wrkRequest)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		readHelloResponse(b, br)
	}
}

// BenchmarkPipelined16 is a batch of 16 pipelined requests and responses.
func BenchmarkPipelined16(b *testing.B) {
	_, ln := benchServer(b)
	c, err := ln.Dial()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	batch := []byte(strings.Repeat(wrkRequest, 16))
	b.ReportAllocs()
	for b.Loop() {
		go c.Write(batch) // net.Pipe is unbuffered: write while reading
		for range 16 {
			readHelloResponse(b, br)
		}
	}
}

// readHelloResponse consumes one hello-world response without allocating,
// so that allocs/op counts the server's allocations.
func readHelloResponse(b *testing.B, br *bufio.Reader) {
	if err := readHello(br); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHelloWorldTCP is BenchmarkHelloWorld over loopback TCP, whose
// deadlines do not allocate as net.Pipe's do: allocs/op is what the server
// allocates per request, the application's Response included.
func BenchmarkHelloWorldTCP(b *testing.B) {
	benchKeepAlive(b, dialHelloTCP(b))
}

func BenchmarkChunkedDecode(b *testing.B) {
	var wire bytes.Buffer
	w := bufio.NewWriter(&wire)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	cw := chunkedWriter{w}
	cw.Write(payload)
	cw.Close()
	w.Flush()
	lim := chunkLimits{maxLine: DefaultMaxChunkLineBytes, maxTrailers: DefaultMaxHeaderBytes, maxFields: DefaultMaxHeaderFields}
	src := bytes.NewReader(wire.Bytes())
	br := bufio.NewReaderSize(src, readBufferSize)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(wire.Bytes())
		br.Reset(src)
		cr := chunkedReader{br: br, lim: lim}
		for {
			_, err := cr.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkChunkedEncode(b *testing.B) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	w := bufio.NewWriterSize(io.Discard, writeBufferSize)
	buf := make([]byte, responseChunkSize)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := copyChunked(chunkedWriter{w}, bytes.NewReader(payload), buf); err != nil {
			b.Fatal(err)
		}
		chunkedWriter{w}.Close()
		w.Flush()
	}
}

// helloHandler is the hello world of the net/http benchmarks.
var helloHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	io.WriteString(w, "hello world")
})

// BenchmarkHandlerHelloTCP is BenchmarkHelloWorldTCP answered by an
// http.Handler through Handle.
func BenchmarkHandlerHelloTCP(b *testing.B) {
	benchKeepAlive(b, dialHelloWith(b, func(r *Request) { r.Handle(helloHandler) }))
}

// BenchmarkNetHTTPHelloTCP is the same handler and client on net/http's
// own server, for comparison in the same run.
func BenchmarkNetHTTPHelloTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: helloHandler}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	benchKeepAlive(b, c)
}
