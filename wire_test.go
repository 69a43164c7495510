package tinyhttp

// The server side of the package's wire-level tests: a test server whose
// application goroutines record and echo what they receive. The client
// side (a raw loopback client, the strict response parser, the leak check,
// bounded waits) is package internal/wiretest, shared with the black-box
// tests of package tests.
//
// Every wait is bounded by wiretest.Timeout, so that a server that hangs
// fails the test instead of stalling it. The bound is an upper bound only:
// no test asserts that anything happens quickly.

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// wireWorkers is the number of application goroutines pulling requests.
const wireWorkers = 4

// wireSeen is what the test application saw of one request.
type wireSeen struct {
	Method   Method
	Target   string
	Version  HTTPVersion
	Headers  []Header
	Body     []byte
	BodyErr  error
	Trailers []Header
}

// header returns the first value of the named request field.
func (s wireSeen) header(name string) (string, bool) {
	for _, h := range s.Headers {
		if strings.EqualFold(string(h.Field), name) {
			return h.Value, true
		}
	}
	return "", false
}

// wireHandler answers one request for the test application.
type wireHandler func(ts *wireServer, r *Request)

// wireServer is a server on 127.0.0.1 with an application that records every
// request it receives.
type wireServer struct {
	tb    testing.TB
	srv   *Server
	reads *wiretest.ReadWatcher // the server's listener, watching its reads
	calls atomic.Int64          // requests handed to the application

	mu          sync.Mutex
	seen        []wireSeen
	respondErrs []error

	workers sync.WaitGroup
	log     wireLog
	states  *stateRecorder // ConnState calls, in tests that record them
}

// wireLog is a bytes.Buffer safe for concurrent use (the server's ErrorLog).
type wireLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *wireLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *wireLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startWireServer starts a server with cfg (its ErrorLog is replaced) and, when
// h is not nil, wireWorkers application goroutines that range over Incoming
// and call h. With a nil h the test pulls requests itself (ts.srv.Recv).
// Cleanup closes the server, waits for the application goroutines, fails on
// a panic logged by the server, and checks that no goroutine leaked.
func startWireServer(tb testing.TB, cfg ServerConfig, h wireHandler) *wireServer {
	tb.Helper()
	baseline := wiretest.Goroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	ts := &wireServer{tb: tb, reads: wiretest.WatchReads(ln)}
	cfg.ErrorLog = log.New(&ts.log, "", 0)
	srv, err := NewServerFromListener(ts.reads, cfg)
	if err != nil {
		ln.Close()
		tb.Fatalf("NewServerFromListener: %v", err)
	}
	ts.srv = srv
	if h != nil {
		for range wireWorkers {
			ts.workers.Add(1)
			go func() {
				defer ts.workers.Done()
				for r := range srv.Incoming() {
					ts.calls.Add(1)
					h(ts, r)
				}
			}()
		}
	}
	tb.Cleanup(func() {
		wiretest.Within(tb, wiretest.Timeout, "Server.Close", func() {
			if err := srv.Close(); err != nil {
				tb.Errorf("Server.Close: %v", err)
			}
		})
		wiretest.Within(tb, wiretest.Timeout, "the application goroutines after Close", ts.workers.Wait)
		if l := ts.log.String(); strings.Contains(l, "panic") {
			tb.Errorf("the server logged a panic:\n%s", l)
		}
		wiretest.CheckLeaks(tb, baseline)
	})
	return ts
}

// record notes a request the application saw.
func (ts *wireServer) record(s wireSeen) {
	ts.mu.Lock()
	ts.seen = append(ts.seen, s)
	ts.mu.Unlock()
}

// noteRespond notes the error Respond returned (nil included).
func (ts *wireServer) noteRespond(err error) {
	ts.mu.Lock()
	ts.respondErrs = append(ts.respondErrs, err)
	ts.mu.Unlock()
}

// requests returns the requests the application saw so far.
func (ts *wireServer) requests() []wireSeen {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]wireSeen(nil), ts.seen...)
}

// recv pulls one request in a test without workers, failing after
// wiretest.Timeout.
func (ts *wireServer) recv(tb testing.TB) *Request {
	tb.Helper()
	r, err := ts.srv.RecvTimeout(wiretest.Timeout)
	if err != nil {
		tb.Fatalf("Recv: %v", err)
	}
	if r == nil {
		tb.Fatalf("no request arrived within %v", wiretest.Timeout)
	}
	return r
}

// dial connects a raw client to the server, checking the invariants of
// every response it reads (wiretest.CheckInvariants); cleanup closes the
// connection.
func (ts *wireServer) dial(tb testing.TB) *wiretest.Client {
	tb.Helper()
	c := wiretest.Dial(tb, "tcp", ts.srv.Addr().String())
	c.Invariants = true
	return c
}

// readRequest reads r's body to its end and records what the application saw.
func (ts *wireServer) readRequest(r *Request) wireSeen {
	body, err := io.ReadAll(r.Body())
	s := wireSeen{
		Method:   r.Method(),
		Target:   r.URL(),
		Version:  r.HTTPVersion(),
		Headers:  append([]Header(nil), r.Headers()...),
		Body:     body,
		BodyErr:  err,
		Trailers: append([]Header(nil), r.Trailers()...),
	}
	ts.record(s)
	return s
}

// Resources of wireRoute, for the response-side rules.
const (
	wireTen        = "0123456789"
	wireBigLen     = 40000 // above DefaultChunkedThreshold
	wireStreamText = "a body of unknown length"
)

// wireBig is a deterministic body of wireBigLen bytes.
var wireBig = func() []byte {
	b := make([]byte, wireBigLen)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// wireStdMethod reports whether m is one of the methods the test
// application implements; others get its default reply, 501.
func wireStdMethod(m Method) bool {
	switch m {
	case MethodGet, MethodHead, MethodPost, MethodPut, MethodDelete,
		MethodConnect, MethodOptions, MethodTrace, MethodPatch:
		return true
	}
	return false
}

// wireRoute is the test application. By request-target path:
//
//	/ten        200, "0123456789" (Content-Length)
//	/big        200, wireBigLen bytes (chunked to 1.1, Content-Length to 1.0)
//	/stream     200, a body of unknown length
//	/204, /304  that status, with a body the server must not send
//	/204stream  204 with a body of unknown length
//	/301, /404  that status, empty
//	/te-field   "abc" with a Transfer-Encoding field set by the application
//	/cl-field   "abc" of unknown length with a Content-Length field set by the application
//	/noread...  200 without reading the request body
//	/upgrade    Upgrade("websocket", 101), then echo the raw stream
//	anything    echo: read the body, answer it with X-Method, X-Target,
//	            X-Version and X-Trailers fields
//
// Requests whose body read fails get 413 (ErrBodyTooLarge), 408 (timeout)
// or 400; methods other than the standard ones get 501, as an application's
// default reply. Every request is recorded.
func wireRoute(ts *wireServer, r *Request) {
	path := r.URL()
	if strings.HasPrefix(path, "/noread") {
		ts.record(wireSeen{Method: r.Method(), Target: path, Version: r.HTTPVersion(),
			Headers: append([]Header(nil), r.Headers()...)})
		ts.noteRespond(r.Respond(FromString("body left unread")))
		return
	}
	if path == "/upgrade" {
		wireUpgradeEcho(ts, r)
		return
	}
	s := ts.readRequest(r)
	if s.BodyErr != nil {
		ts.noteRespond(r.Respond(Empty(wireBodyErrStatus(s.BodyErr))))
		return
	}
	if !wireStdMethod(r.Method()) {
		ts.noteRespond(r.Respond(Empty(StatusNotImplemented)))
		return
	}
	var resp *Response
	switch path {
	case "/ten":
		resp = FromString(wireTen)
	case "/big":
		resp = FromData(wireBig)
	case "/stream":
		resp = NewResponse(StatusOK, nil, strings.NewReader(wireStreamText), -1)
	case "/204":
		resp = FromString("must not be sent").WithStatusCode(StatusNoContent)
	case "/204stream":
		resp = NewResponse(StatusNoContent, nil, strings.NewReader("must not be sent"), -1)
	case "/304":
		resp = FromString(wireTen).WithStatusCode(StatusNotModified)
	case "/301":
		resp = Empty(301).WithHeader(Header{Field: "Location", Value: "/ten"})
	case "/404":
		resp = Empty(StatusNotFound)
	case "/te-field":
		resp = FromString("abc").WithHeader(Header{Field: "Transfer-Encoding", Value: "chunked"})
	case "/cl-field":
		resp = NewResponse(StatusOK, []Header{{Field: "Content-Length", Value: "3"}}, strings.NewReader("abc"), -1)
	default:
		resp = FromData(s.Body).
			WithHeader(Header{Field: "X-Method", Value: string(s.Method)}).
			WithHeader(Header{Field: "X-Target", Value: s.Target}).
			WithHeader(Header{Field: "X-Version", Value: s.Version.String()}).
			WithHeader(Header{Field: "X-Trailers", Value: strconv.Itoa(len(s.Trailers))})
	}
	ts.noteRespond(r.Respond(resp))
}

// wireBodyErrStatus is what the test application answers a failed body read with.
func wireBodyErrStatus(err error) StatusCode {
	var ne net.Error
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return StatusRequestEntityTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return StatusRequestTimeout
	}
	return StatusBadRequest
}

// wireUpgradeEcho switches the connection to "websocket" and echoes the raw
// stream until the client half-closes; a request that cannot be upgraded is
// answered 200 "not upgraded".
func wireUpgradeEcho(ts *wireServer, r *Request) {
	ts.record(wireSeen{Method: r.Method(), Target: r.URL(), Version: r.HTTPVersion(),
		Headers: append([]Header(nil), r.Headers()...)})
	conn, err := r.Upgrade("websocket", Empty(StatusSwitchingProtocols))
	if err != nil {
		ts.noteRespond(r.Respond(FromString("not upgraded")))
		return
	}
	ts.noteRespond(nil)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wiretest.Timeout))
	io.Copy(conn, conn)
}
