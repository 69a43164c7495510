package tinyhttp

// Shared helpers for the package's wire-level tests: a test server whose
// application goroutines record and echo what they receive, a raw loopback
// client, a strict HTTP/1.1 response parser, and a goroutine-leak check.
//
// Every wait is bounded by wireTimeout, so that a server that hangs fails the
// test instead of stalling it. wireTimeout is an upper bound only: no test
// asserts that anything happens quickly.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// wireTimeout bounds every wait of a test on the network or on the server.
const wireTimeout = 5 * time.Second

// wireLeakTimeout is how long the server's goroutines get to exit after Close.
const wireLeakTimeout = 5 * time.Second

// wireWorkers is the number of application goroutines pulling requests.
const wireWorkers = 4

// maxWireLine bounds one line of a response read by the strict parser.
const maxWireLine = 1 << 20

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
	calls atomic.Int64 // requests handed to the application

	mu          sync.Mutex
	seen        []wireSeen
	respondErrs []error

	workers sync.WaitGroup
	log     wireLog
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
	baseline := wireGoroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	ts := &wireServer{tb: tb}
	cfg.ErrorLog = log.New(&ts.log, "", 0)
	srv, err := NewServerFromListener(ln, cfg)
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
		wireWaitBounded(tb, "Server.Close", func() {
			if err := srv.Close(); err != nil {
				tb.Errorf("Server.Close: %v", err)
			}
		})
		wireWaitBounded(tb, "the application goroutines after Close", ts.workers.Wait)
		if l := ts.log.String(); strings.Contains(l, "panic") {
			tb.Errorf("the server logged a panic:\n%s", l)
		}
		wireCheckLeaks(tb, baseline)
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

// recv pulls one request in a test without workers, failing after wireTimeout.
func (ts *wireServer) recv(tb testing.TB) *Request {
	tb.Helper()
	r, err := ts.srv.RecvTimeout(wireTimeout)
	if err != nil {
		tb.Fatalf("Recv: %v", err)
	}
	if r == nil {
		tb.Fatalf("no request arrived within %v", wireTimeout)
	}
	return r
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
	conn.SetDeadline(time.Now().Add(wireTimeout))
	io.Copy(conn, conn)
}

// wireWaitBounded runs fn and fails with a goroutine dump if it does not return
// within wireTimeout (fn is then left running).
func wireWaitBounded(tb testing.TB, what string, fn func()) bool {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	t := time.NewTimer(wireTimeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		tb.Errorf("%s did not return within %v; goroutines:\n%s", what, wireTimeout, wireStacks())
		return false
	}
}

// wireCheckLeaks polls until the goroutine count is back to baseline,
// failing with a dump of every goroutine when it is not within
// wireLeakTimeout.
func wireCheckLeaks(tb testing.TB, baseline int) {
	tb.Helper()
	deadline := time.Now().Add(wireLeakTimeout)
	for {
		n := wireGoroutines()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			tb.Errorf("goroutine leak: %d goroutines %v after Close, %d before the server started:\n%s",
				n, wireLeakTimeout, baseline, wireStacks())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wireGoroutines counts the goroutines, leaving out the os/signal loop that
// the fuzzing engine starts (once, for the process) while a target runs.
func wireGoroutines() int {
	n := 0
	for _, g := range strings.Split(wireStacks(), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") && !strings.Contains(g, "os/signal.signal_recv") {
			n++
		}
	}
	return n
}

func wireStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// wireClient is a raw loopback connection to a test server.
type wireClient struct {
	tb     testing.TB
	conn   *net.TCPConn
	br     *bufio.Reader
	http10 bool // the requests are HTTP/1.0: no chunked response is allowed
}

// dial connects to the server; cleanup closes the connection.
func (ts *wireServer) dial(tb testing.TB) *wireClient {
	tb.Helper()
	c, err := net.DialTimeout("tcp", ts.srv.Addr().String(), wireTimeout)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	wc := &wireClient{tb: tb, conn: c.(*net.TCPConn), br: bufio.NewReaderSize(c, 64<<10)}
	tb.Cleanup(func() { c.Close() })
	return wc
}

// send writes raw bytes, all at once.
func (c *wireClient) send(raw string) {
	c.tb.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(wireTimeout))
	if _, err := io.WriteString(c.conn, raw); err != nil {
		c.tb.Fatalf("write: %v", err)
	}
}

// closeWrite half-closes the connection: the server reads EOF after what was sent.
func (c *wireClient) closeWrite() {
	c.tb.Helper()
	if err := c.conn.CloseWrite(); err != nil {
		c.tb.Fatalf("CloseWrite: %v", err)
	}
}

// wireResponse is one response as it appeared on the wire.
type wireResponse struct {
	Status   int
	Reason   string
	Header   []Header // in wire order
	Body     []byte
	Chunked  bool // Transfer-Encoding: chunked
	UntilEOF bool // close-delimited body
	Trailers []Header
}

// values returns every value of the named field.
func (r *wireResponse) values(name string) []string {
	var vs []string
	for _, h := range r.Header {
		if strings.EqualFold(string(h.Field), name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// get returns the first value of the named field.
func (r *wireResponse) get(name string) (string, bool) {
	vs := r.values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// has reports whether the named field is present.
func (r *wireResponse) has(name string) bool { return len(r.values(name)) > 0 }

// hasToken reports whether a comma-separated value of the named field holds
// token (case-insensitive).
func (r *wireResponse) hasToken(name, token string) bool {
	for _, v := range r.values(name) {
		for _, elem := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(elem), token) {
				return true
			}
		}
	}
	return false
}

// closes reports whether the response announces Connection: close.
func (r *wireResponse) closes() bool { return r.hasToken("Connection", "close") }

func (r *wireResponse) String() string {
	return fmt.Sprintf("%d %s %v body=%q", r.Status, r.Reason, r.Header, wireTruncate(r.Body, 200))
}

func wireTruncate(b []byte, n int) []byte {
	if len(b) > n {
		return append(b[:n:n], "..."...)
	}
	return b
}

// wireResult is everything a client read until the server closed.
type wireResult struct {
	Resps  []*wireResponse // in wire order, 1xx included
	Closed bool            // the server closed the connection (FIN, or a reset)
	Reset  bool            // the close was a reset, not a FIN
	Err    error           // a malformed response, or the deadline passed first
}

// finals returns the final (non-1xx) responses.
func (w wireResult) finals() []*wireResponse {
	var out []*wireResponse
	for _, r := range w.Resps {
		if r.Status >= 200 {
			out = append(out, r)
		}
	}
	return out
}

func (w wireResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "closed=%v reset=%v err=%v, %d responses", w.Closed, w.Reset, w.Err, len(w.Resps))
	for i, r := range w.Resps {
		fmt.Fprintf(&b, "\n  [%d] %v", i, r)
	}
	return b.String()
}

// readAll reads and strictly parses responses until the server closes the
// connection, a response is malformed, or wireTimeout passes. methods, when
// given, are the request methods in order, so that responses to HEAD are
// read without a body. Each response's invariants are checked (see
// wireCheckInvariants). A 101 response ends the HTTP exchange.
func (c *wireClient) readAll(methods ...string) wireResult {
	c.tb.Helper()
	var res wireResult
	c.conn.SetReadDeadline(time.Now().Add(wireTimeout))
	defer c.conn.SetReadDeadline(time.Time{})
	finals := 0
	for {
		if _, err := c.br.Peek(1); err != nil {
			switch {
			case err == io.EOF:
				res.Closed = true
			case errors.Is(err, syscall.ECONNRESET):
				res.Closed, res.Reset = true, true
			default:
				res.Err = fmt.Errorf("after %d responses, the server neither sent more nor closed: %w", len(res.Resps), err)
			}
			return res
		}
		if n := len(res.Resps); n > 0 && res.Resps[n-1].Status >= 200 && res.Resps[n-1].closes() {
			res.Err = errors.New("bytes follow a response that said Connection: close")
			return res
		}
		head := finals < len(methods) && methods[finals] == "HEAD"
		r, err := readWireResponse(c.br, head)
		if err != nil {
			res.Err = fmt.Errorf("response %d: %w", len(res.Resps), err)
			return res
		}
		wireCheckInvariants(c.tb, fmt.Sprintf("response %d", len(res.Resps)), r, c.http10)
		res.Resps = append(res.Resps, r)
		if r.Status >= 200 {
			finals++
		}
		if r.UntilEOF {
			res.Closed = true
			return res
		}
		if r.Status == int(StatusSwitchingProtocols) {
			return res
		}
	}
}

// readResponse reads and strictly parses the next response (1xx included),
// within wireTimeout.
func (c *wireClient) readResponse(head bool) *wireResponse {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(wireTimeout))
	defer c.conn.SetReadDeadline(time.Time{})
	r, err := readWireResponse(c.br, head)
	if err != nil {
		c.tb.Fatalf("reading a response: %v", err)
	}
	wireCheckInvariants(c.tb, "response", r, c.http10)
	return r
}

// expectFIN checks that the server closes the connection gracefully (FIN,
// not a reset) without sending a byte, within wireTimeout.
func (c *wireClient) expectFIN() {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(wireTimeout))
	defer c.conn.SetReadDeadline(time.Time{})
	var buf [512]byte
	n, err := c.br.Read(buf[:])
	switch {
	case n > 0:
		c.tb.Errorf("expected a close without bytes, got %q", buf[:n])
	case err == io.EOF:
	case errors.Is(err, syscall.ECONNRESET):
		c.tb.Errorf("the server reset the connection instead of closing it gracefully")
	default:
		c.tb.Errorf("expected the server to close the connection, got %v", err)
	}
}

// expectOpenFor checks that the server neither sends nor closes anything
// for d: a read that long times out.
func (c *wireClient) expectOpenFor(d time.Duration) {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(d))
	defer c.conn.SetReadDeadline(time.Time{})
	var buf [512]byte
	n, err := c.br.Read(buf[:])
	if ne, ok := err.(net.Error); n > 0 || !ok || !ne.Timeout() {
		c.tb.Fatalf("expected nothing for %v, got %q and %v", d, buf[:n], err)
	}
}

// readExactly reads n raw bytes within wireTimeout.
func (c *wireClient) readExactly(n int) []byte {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(wireTimeout))
	defer c.conn.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if _, err := io.ReadFull(c.br, b); err != nil {
		c.tb.Fatalf("reading %d raw bytes: %v (got %q)", n, err, b)
	}
	return b
}

// wireCheckInvariants checks the rules every response must follow: an HTTP/1.1
// status line (enforced by the parser), a valid Date on 2xx–4xx (C15), no
// chunked framing to HTTP/1.0 (C06, C07, C16). The parser itself rejects
// both Content-Length and Transfer-Encoding (C16) and framing fields on 1xx
// and 204 (C13, C14).
func wireCheckInvariants(tb testing.TB, where string, r *wireResponse, http10 bool) {
	tb.Helper()
	if r.Status >= 200 && r.Status < 500 {
		dates := r.values("Date")
		if len(dates) != 1 {
			tb.Errorf("C15: %s (%d) has %d Date fields, want 1", where, r.Status, len(dates))
		} else if err := wireCheckDate(dates[0]); err != nil {
			tb.Errorf("C15: %s: %v", where, err)
		}
	}
	if http10 && r.has("Transfer-Encoding") {
		tb.Errorf("C16: %s to an HTTP/1.0 request carries Transfer-Encoding: %v", where, r.values("Transfer-Encoding"))
	}
}

// wireCheckDate checks that v is an IMF-fixdate (RFC 9110 §5.6.7).
func wireCheckDate(v string) error {
	t, err := time.Parse(http.TimeFormat, v)
	if err != nil {
		return fmt.Errorf("Date %q is not an IMF-fixdate: %w", v, err)
	}
	if got := t.UTC().Format(http.TimeFormat); got != v {
		return fmt.Errorf("Date %q is not in canonical IMF-fixdate form (%q)", v, got)
	}
	return nil
}

// readWireResponse parses one response strictly: "HTTP/1.1 DDD reason",
// CRLF line endings, token field names, values without control bytes,
// and exactly one framing (RFC 9112 §6.3): none for 1xx, 204, 304 and
// responses to HEAD; chunked; Content-Length; or until EOF, which requires
// Connection: close. It returns io.EOF when the stream ends before a response.
func readWireResponse(br *bufio.Reader, head bool) (*wireResponse, error) {
	line, err := readCRLFLine(br)
	if err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(line, "HTTP/1.1 ")
	if !ok {
		return nil, fmt.Errorf("status line %q does not start with \"HTTP/1.1 \"", line)
	}
	code, reason, ok := strings.Cut(rest, " ")
	if !ok || len(code) != 3 || !wireDigits(code) || code[0] == '0' {
		return nil, fmt.Errorf("malformed status line %q", line)
	}
	r := &wireResponse{Reason: reason}
	r.Status, _ = strconv.Atoi(code)
	if r.Header, err = readWireFields(br); err != nil {
		return nil, fmt.Errorf("%d response: %w", r.Status, err)
	}
	cls, tes := r.values("Content-Length"), r.values("Transfer-Encoding")
	if len(cls) > 0 && len(tes) > 0 {
		return nil, fmt.Errorf("C16: %d response has both Content-Length and Transfer-Encoding", r.Status)
	}
	if len(cls) > 1 {
		return nil, fmt.Errorf("%d response has %d Content-Length fields", r.Status, len(cls))
	}
	if (r.Status < 200 || r.Status == 204) && (len(cls) > 0 || len(tes) > 0) {
		return nil, fmt.Errorf("C13/C14: %d response carries Content-Length %v / Transfer-Encoding %v", r.Status, cls, tes)
	}
	if r.Status < 200 || r.Status == 204 || r.Status == 304 || head {
		return r, nil
	}
	switch {
	case len(tes) > 0:
		if len(tes) != 1 || tes[0] != "chunked" {
			return nil, fmt.Errorf("unexpected Transfer-Encoding %q", tes)
		}
		r.Chunked = true
		r.Body, r.Trailers, err = readWireChunked(br)
	case len(cls) > 0:
		if !wireDigits(cls[0]) || cls[0] == "" {
			return nil, fmt.Errorf("invalid Content-Length %q", cls[0])
		}
		n, perr := strconv.ParseInt(cls[0], 10, 64)
		if perr != nil || n > 1<<30 {
			return nil, fmt.Errorf("invalid Content-Length %q", cls[0])
		}
		r.Body = make([]byte, n)
		if _, err = io.ReadFull(br, r.Body); err != nil {
			err = fmt.Errorf("body shorter than Content-Length %d: %w", n, err)
		}
	default:
		if !r.closes() {
			return nil, fmt.Errorf("%d response has no framing and no Connection: close", r.Status)
		}
		r.UntilEOF = true
		r.Body, err = io.ReadAll(br)
	}
	if err != nil {
		return nil, fmt.Errorf("%d response body: %w", r.Status, err)
	}
	return r, nil
}

// readWireFields reads field lines up to the empty line.
func readWireFields(br *bufio.Reader) ([]Header, error) {
	var hs []Header
	for {
		line, err := readCRLFLine(br)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		if line == "" {
			return hs, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !wireIsToken(name) {
			return nil, fmt.Errorf("malformed field line %q", line)
		}
		value = strings.Trim(value, " \t")
		for i := 0; i < len(value); i++ {
			if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
				return nil, fmt.Errorf("control byte %#x in field %q", c, name)
			}
		}
		hs = append(hs, Header{Field: HeaderField(name), Value: value})
	}
}

// readWireChunked decodes a chunked body strictly (no extensions expected).
func readWireChunked(br *bufio.Reader) (body []byte, trailers []Header, err error) {
	for {
		line, err := readCRLFLine(br)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, nil, err
		}
		if line == "" || len(line) > 16 {
			return nil, nil, fmt.Errorf("malformed chunk-size line %q", line)
		}
		size, perr := strconv.ParseUint(line, 16, 64)
		if perr != nil || size > 1<<30 {
			return nil, nil, fmt.Errorf("malformed chunk-size line %q", line)
		}
		if size == 0 {
			trailers, err = readWireFields(br)
			return body, trailers, err
		}
		chunk := make([]byte, size+2)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, nil, fmt.Errorf("chunk of %d bytes: %w", size, err)
		}
		if !bytes.HasSuffix(chunk, []byte("\r\n")) {
			return nil, nil, fmt.Errorf("chunk data not followed by CRLF")
		}
		body = append(body, chunk[:size]...)
	}
}

// readCRLFLine reads one line ending in CRLF and returns it without the CRLF;
// a bare CR or LF is an error. io.EOF means the stream ended before the line.
func readCRLFLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxWireLine {
			return "", errors.New("line too long")
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return "", fmt.Errorf("stream ends inside line %q: %w", line, io.ErrUnexpectedEOF)
			}
			return "", err
		}
		break
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("line %q does not end in CRLF", line)
	}
	content := line[:len(line)-2]
	if bytes.ContainsAny(content, "\r\n") {
		return "", fmt.Errorf("bare CR or LF in line %q", content)
	}
	return string(content), nil
}

func wireDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// wireIsToken reports whether s is an RFC 9110 token; the tests keep their
// own copy rather than trusting the code under test.
func wireIsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
