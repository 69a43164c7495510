// Package tests holds tinyhttp's black-box integration tests: tiny-http's own
// integration tests (tests/*.rs of the tiny_http 0.12 crate) re-expressed in
// Go, and tests of the pull API. Every test talks to a real server over a
// loopback socket with raw wire bytes, checks that the server leaves no
// goroutine behind, and is bounded in time: a hang fails, it never stalls.
package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// testTimeout bounds every step that should happen at once (a response to
// arrive, a receiver to return, a goroutine to exit). It is generous: it is
// there so that a hang fails, not to measure speed.
const testTimeout = 5 * time.Second

// leakTimeout is how long the leak check waits for the goroutine count to
// return to its baseline after the server is closed.
const leakTimeout = 5 * time.Second

// server is a tinyhttp server on 127.0.0.1:0 under test, with the
// goroutines the test started for it (workers, helpers), which are waited
// for when the test ends.
type server struct {
	*tinyhttp.Server
	t  testing.TB
	wg sync.WaitGroup
}

// newServer starts a server with the default configuration on 127.0.0.1:0.
// See newServerConfig.
func newServer(t testing.TB) *server {
	t.Helper()
	return newServerConfig(t, tinyhttp.ServerConfig{})
}

// newServerConfig starts a server configured by cfg (its Addr defaults to
// 127.0.0.1:0). When the test ends, the server is closed, the goroutines
// started with s.goroutine or s.serve are waited for, and the number of
// goroutines must fall back to what it was before the server started (see
// checkNoLeak). Cleanups the test registers after this call run before it,
// so clients closed in cleanups are closed before the server.
func newServerConfig(t testing.TB, cfg tinyhttp.ServerConfig) *server {
	t.Helper()
	baseline := runtime.NumGoroutine()
	if cfg.Addr == "" && (cfg.Network == "" || strings.HasPrefix(cfg.Network, "tcp")) {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := tinyhttp.NewServer(cfg)
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	return adoptServer(t, srv, baseline)
}

// adoptServer takes charge of a server the test started: when the test
// ends, the server is closed (within testTimeout), the goroutines started
// with s.goroutine or s.serve are waited for, and the goroutine count must
// fall back to baseline (taken before the server started; see checkNoLeak).
func adoptServer(t testing.TB, srv *tinyhttp.Server, baseline int) *server {
	t.Helper()
	s := &server{Server: srv, t: t}
	t.Cleanup(func() {
		if !within(t, testTimeout, "Server.Close", func() { srv.Close() }) {
			return
		}
		if !waitGroupTimeout(&s.wg, testTimeout) {
			t.Errorf("test goroutines did not exit within %v after Close\n%s", testTimeout, goroutineDump())
			return
		}
		checkNoLeak(t, baseline)
	})
	return s
}

// goroutine runs f on a new goroutine that the end of the test waits for
// (after the server is closed, before the leak check).
func (s *server) goroutine(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// serve starts n worker goroutines that pull requests with Recv and pass
// each to handle, until Recv returns an error (the server closed, or
// Unblock).
func (s *server) serve(n int, handle func(*tinyhttp.Request)) {
	for range n {
		s.goroutine(func() {
			for {
				r, err := s.Recv()
				if err != nil {
					return
				}
				handle(r)
			}
		})
	}
}

// helloWorld answers every request with "hello world", like the server of
// tiny-http's support::new_client_to_hello_world_server.
func helloWorld(r *tinyhttp.Request) {
	r.Respond(tinyhttp.FromString("hello world"))
}

// newHelloServer starts a server whose two workers answer every request
// with "hello world" (tiny-http's support::new_client_to_hello_world_server,
// without its 3-second lifetime: the test's end closes it).
func newHelloServer(t testing.TB) *server {
	t.Helper()
	s := newServer(t)
	s.serve(2, helloWorld)
	return s
}

// recv pulls the next request, failing the test if none arrives within
// testTimeout or Recv fails. Call it from the test goroutine only.
func (s *server) recv() *tinyhttp.Request {
	s.t.Helper()
	r, err := s.RecvTimeout(testTimeout)
	if err != nil {
		s.t.Fatalf("RecvTimeout: %v", err)
	}
	if r == nil {
		s.t.Fatalf("no request received within %v", testTimeout)
	}
	return r
}

// dial opens a raw TCP client connection to the server. It is closed when
// the test ends (before the server is).
func (s *server) dial() *client {
	s.t.Helper()
	return dialClient(s.t, "tcp", s.Addr().String())
}

// checkNoLeak polls until runtime.NumGoroutine is back to at most baseline,
// failing with a dump of every goroutine if it is not within leakTimeout.
func checkNoLeak(t testing.TB, baseline int) {
	t.Helper()
	deadline := time.Now().Add(leakTimeout)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutine leak: %d goroutines, %d before the server started\n%s", n, baseline, goroutineDump())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// goroutineDump returns the stacks of all goroutines.
func goroutineDump() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitGroupTimeout waits for wg, reporting false if d passes first.
func waitGroupTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// within runs f on a new goroutine and fails the test if it does not return
// within d. f must not call t.FailNow. It returns false on a timeout; f's
// goroutine is then left running (the leak check will report it).
func within(t testing.TB, d time.Duration, what string, f func()) bool {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		t.Errorf("%s did not finish within %v", what, d)
		return false
	}
}

// client is a raw client connection: it writes bytes as given and reads
// responses with a deadline of testTimeout per operation.
type client struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

// dialClient connects to addr on network ("tcp" or "unix") and registers
// the connection's close as a test cleanup.
func dialClient(t testing.TB, network, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// write writes s to the connection as it is.
func (c *client) write(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("writing %q: %v", truncate(s), err)
	}
}

// closeWrite half-closes the connection (shutdown(SHUT_WR)).
func (c *client) closeWrite() {
	c.t.Helper()
	if err := c.conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		c.t.Fatalf("CloseWrite: %v", err)
	}
}

// close closes the connection.
func (c *client) close() { c.conn.Close() }

// readResponse reads one response to a request other than HEAD, failing
// the test if none arrives within testTimeout.
func (c *client) readResponse() *response {
	c.t.Helper()
	return c.readResponseTo("GET")
}

// readResponseTo reads one response to a request with the given method
// (which matters for HEAD: no body follows its header section).
func (c *client) readResponseTo(method string) *response {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	r, err := readResponse(c.br, method == "HEAD")
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	return r
}

// readAll reads until the server closes the connection, failing the test
// if it does not within testTimeout, and returns everything read.
func (c *client) readAll() string {
	c.t.Helper()
	b, err := c.readAllErr()
	if err != nil {
		c.t.Fatalf("reading to EOF (%d bytes read: %q): %v", len(b), truncate(b), err)
	}
	return b
}

// readAllErr is readAll for goroutines other than the test's: it returns
// the error instead of failing the test.
func (c *client) readAllErr() (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	b, err := io.ReadAll(c.br)
	return string(b), err
}

// expectEOF checks that the server closes the connection without sending
// anything more. A reset counts as a close.
func (c *client) expectEOF() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	b, err := io.ReadAll(c.br)
	if len(b) > 0 {
		c.t.Errorf("expected the connection to close, got %d more bytes: %q", len(b), truncate(string(b)))
	}
	if err != nil && !isReset(err) {
		c.t.Errorf("expected the connection to close, got %v", err)
	}
}

// isReset reports whether err is a connection reset or a write to a closed
// connection, which count as the server closing.
func isReset(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// field is one header field of a parsed response.
type field struct{ Name, Value string }

// response is a parsed response.
type response struct {
	Proto    string  // "HTTP/1.1"
	Status   int     // 200
	Reason   string  // "OK"
	Header   []field // wire order
	Body     []byte
	Chunked  bool    // the body was chunked
	Trailers []field // chunked trailer fields
}

// get returns the first value of the named header field (case-insensitive).
func (r *response) get(name string) (string, bool) {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// values returns every value of the named header field (case-insensitive).
func (r *response) values(name string) []string {
	var vs []string
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// closes reports whether the response announces "Connection: close".
func (r *response) closes() bool {
	for _, v := range r.values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "close") {
				return true
			}
		}
	}
	return false
}

// String summarizes the response for failure messages.
func (r *response) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s\n", r.Proto, r.Status, r.Reason)
	for _, f := range r.Header {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
	}
	fmt.Fprintf(&b, "\n%s", truncate(string(r.Body)))
	return b.String()
}

// maxResponseBody bounds the body the parser accepts, so that a runaway
// response fails instead of exhausting memory.
const maxResponseBody = 64 << 20

// readResponse parses one response from br: status line, header section,
// and the body framed by Transfer-Encoding: chunked, Content-Length, or the
// end of the connection. head says the request was HEAD (no body follows);
// 1xx, 204 and 304 responses have no body either. Lines must end in CRLF.
func readResponse(br *bufio.Reader, head bool) (*response, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("status line: %w", err)
	}
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/") {
		return nil, fmt.Errorf("malformed status line %q", line)
	}
	code, reason, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 {
		return nil, fmt.Errorf("malformed status code in %q", line)
	}
	r := &response{Proto: proto, Status: status, Reason: reason}
	if r.Header, err = readFields(br); err != nil {
		return nil, fmt.Errorf("header section: %w", err)
	}
	if head || status/100 == 1 || status == 204 || status == 304 {
		return r, nil
	}
	te, hasTE := r.get("Transfer-Encoding")
	cl, hasCL := r.get("Content-Length")
	switch {
	case hasTE:
		if !strings.EqualFold(strings.TrimSpace(te), "chunked") {
			return nil, fmt.Errorf("unexpected Transfer-Encoding %q", te)
		}
		r.Chunked = true
		r.Body, r.Trailers, err = readChunked(br)
	case hasCL:
		n, perr := strconv.ParseInt(cl, 10, 64)
		if perr != nil || n < 0 || n > maxResponseBody {
			return nil, fmt.Errorf("bad Content-Length %q", cl)
		}
		r.Body = make([]byte, n)
		_, err = io.ReadFull(br, r.Body)
	default:
		r.Body, err = io.ReadAll(io.LimitReader(br, maxResponseBody))
	}
	if err != nil {
		return nil, fmt.Errorf("body of %d response: %w", status, err)
	}
	return r, nil
}

// readLine reads one CRLF-terminated line and returns it without the CRLF.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		if err == io.EOF && line == "" {
			return "", io.EOF
		}
		return "", fmt.Errorf("after %q: %w", line, err)
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("line %q does not end in CRLF", line)
	}
	return line[:len(line)-2], nil
}

// readFields reads header (or trailer) field lines up to the empty line.
func readFields(br *bufio.Reader) ([]field, error) {
	var fs []field
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return fs, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("malformed field line %q", line)
		}
		fs = append(fs, field{Name: name, Value: strings.Trim(value, " \t")})
	}
}

// readChunked decodes a chunked body and its trailer section.
func readChunked(br *bufio.Reader) ([]byte, []field, error) {
	var body bytes.Buffer
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, nil, fmt.Errorf("chunk size: %w", err)
		}
		sizeText, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseUint(strings.TrimSpace(sizeText), 16, 63)
		if err != nil {
			return nil, nil, fmt.Errorf("bad chunk size line %q", line)
		}
		if size == 0 {
			trailers, err := readFields(br)
			return body.Bytes(), trailers, err
		}
		if int64(body.Len())+int64(size) > maxResponseBody {
			return nil, nil, errors.New("chunked body too large")
		}
		if _, err := io.CopyN(&body, br, int64(size)); err != nil {
			return nil, nil, fmt.Errorf("chunk data: %w", err)
		}
		if crlf, err := readLine(br); err != nil || crlf != "" {
			return nil, nil, fmt.Errorf("chunk data not followed by CRLF (%q, %v)", crlf, err)
		}
	}
}

// parseResponses parses every response in data (responses to non-HEAD
// requests, as read until the connection closed).
func parseResponses(data string) ([]*response, error) {
	br := bufio.NewReader(strings.NewReader(data))
	var rs []*response
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return rs, nil
		}
		r, err := readResponse(br, false)
		if err != nil {
			return rs, err
		}
		rs = append(rs, r)
	}
}

// truncate shortens s for failure messages.
// answerHelloAlone answers r "hello world", checks that no other request
// is queued, and reads the connection to its end: the response must close
// with the hello world body (tiny-http's simple and unix tests).
func answerHelloAlone(t *testing.T, s *server, r *tinyhttp.Request, c *client) {
	t.Helper()
	if err := r.Respond(tinyhttp.FromString("hello world")); err != nil {
		t.Errorf("Respond: %v", err)
	}
	if extra, err := s.TryRecv(); extra != nil || err != nil {
		t.Errorf("TryRecv() = %v, %v; want nil, nil", extra, err)
	}
	content := c.readAll()
	if !strings.HasSuffix(content, "hello world") {
		t.Errorf("response %q does not end with hello world", truncate(content))
	}
}

func truncate(s string) string {
	const max = 512
	if len(s) > max {
		return s[:max] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}
