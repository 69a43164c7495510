package tests

// Tests from tiny_http 0.12, tests/unix-test.rs, then tests of HTTPUnix:
// a net/http client and curl over the socket, stale and live socket files,
// the socket file's removal, and an upgrade over a Unix socket.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// TestUnix_UnixBasicHandling is unix-test.rs unix_basic_handling: a server
// on a Unix stream socket receives and answers a request.
//
// Adjusted: the socket lives in the test's temporary directory instead of
// the fixed /tmp/tiny-http-test.sock; RemoteAddr is nil on a Unix socket
// (API.md) and the socket file is removed by Close.
func TestUnix_UnixBasicHandling(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny-http-test.sock")
	s := newServerConfig(t, tinyhttp.ServerConfig{Network: "unix", Addr: path})
	if got := s.Addr().String(); got != path {
		t.Errorf("Addr() = %q, want %q", got, path)
	}
	c := wiretest.Dial(t, "unix", path)
	c.Send("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")

	r := s.recv()
	if r.Method() != tinyhttp.MethodGet {
		t.Errorf("Method() = %q, want GET", r.Method())
	}
	if r.URL() != "/" {
		t.Errorf("URL() = %q, want /", r.URL())
	}
	if addr := r.RemoteAddr(); addr != nil {
		t.Errorf("RemoteAddr() = %v, want nil on a Unix socket", addr)
	}
	answerHelloAlone(t, s, r, c)

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file %s still there after Close (Lstat: %v)", path, err)
	}
}

// unixHTTPClient returns a net/http client whose every request goes to the
// Unix socket at path, with a timeout of wiretest.Timeout.
func unixHTTPClient(t *testing.T, path string) *http.Client {
	t.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: wiretest.Timeout}
}

// startUnix starts a server with tinyhttp.HTTPUnix at path, answering each
// request with its method, URL, RemoteAddr and Secure.
func startUnix(t *testing.T, path string) *server {
	t.Helper()
	baseline := wiretest.Goroutines()
	srv, err := tinyhttp.HTTPUnix(path)
	if err != nil {
		t.Fatalf("HTTPUnix(%s): %v", path, err)
	}
	s := adoptServer(t, srv, baseline)
	s.serve(2, describeRequest)
	return s
}

// describeRequest answers with the request's method, URL, remote address
// and whether it is secure.
func describeRequest(r *tinyhttp.Request) {
	r.Respond(tinyhttp.FromString(fmt.Sprintf("%s %s remote=%v secure=%v", r.Method(), r.URL(), r.RemoteAddr(), r.Secure())))
}

// unixGet fetches url over the socket at path and returns the body.
func unixGet(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return string(b)
}

// TestUnix_HTTPClient serves with HTTPUnix in a temporary directory and
// fetches with net/http over the socket, several requests on one
// keep-alive connection: RemoteAddr is nil, Secure false, and Close removes
// the socket file.
func TestUnix_HTTPClient(t *testing.T) {
	path := unixSocketPath(t)
	s := startUnix(t, path)
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket file: %v, %v", fi, err)
	}
	if s.Addr().Network() != "unix" || s.Addr().String() != path {
		t.Errorf("Addr() = %s %q, want unix %q", s.Addr().Network(), s.Addr(), path)
	}
	c := unixHTTPClient(t, path)
	for i := range 3 {
		url := fmt.Sprintf("http://localhost/get/%d?q=1", i)
		want := fmt.Sprintf("GET /get/%d?q=1 remote=<nil> secure=false", i)
		if got := unixGet(t, c, url); got != want {
			t.Errorf("request %d: %q, want %q", i, got, want)
		}
	}
	c.CloseIdleConnections()
	if !wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() }) {
		return
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file still there after Close (Lstat: %v)", err)
	}
}

// TestUnix_ShutdownRemovesSocket checks that Shutdown removes the socket file too.
func TestUnix_ShutdownRemovesSocket(t *testing.T) {
	path := unixSocketPath(t)
	s := startUnix(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), wiretest.Timeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file still there after Shutdown (Lstat: %v)", err)
	}
}

// TestUnix_AddressInUse starts a second server on the path of a live one:
// ErrAddressInUse, and the live server keeps its socket file and serves on.
func TestUnix_AddressInUse(t *testing.T) {
	path := unixSocketPath(t)
	startUnix(t, path)
	for _, start := range []struct {
		name string
		f    func() (*tinyhttp.Server, error)
	}{
		{"HTTPUnix", func() (*tinyhttp.Server, error) { return tinyhttp.HTTPUnix(path) }},
		{"NewServer", func() (*tinyhttp.Server, error) {
			return tinyhttp.NewServer(tinyhttp.ServerConfig{Network: "unix", Addr: path})
		}},
	} {
		second, err := start.f()
		if second != nil {
			second.Close()
		}
		if !errors.Is(err, tinyhttp.ErrAddressInUse) {
			t.Errorf("%s on a live server's path: %v, want ErrAddressInUse", start.name, err)
		}
	}
	if got := unixGet(t, unixHTTPClient(t, path), "http://localhost/still"); !strings.HasPrefix(got, "GET /still") {
		t.Errorf("the live server after the failed starts: %q", got)
	}
}

// TestUnix_StaleSocket starts a server on the path of a socket whose
// listener is gone (a crashed process leaves such a file): the stale file
// is replaced and the server works.
func TestUnix_StaleSocket(t *testing.T) {
	path := unixSocketPath(t)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("stale socket file not left behind: %v, %v", fi, err)
	}
	startUnix(t, path)
	if got := unixGet(t, unixHTTPClient(t, path), "http://localhost/fresh"); !strings.HasPrefix(got, "GET /fresh remote=<nil>") {
		t.Errorf("server on a stale socket path: %q", got)
	}
}

// TestUnix_NotASocket refuses a path that is a regular file, and leaves the
// file alone.
func TestUnix_NotASocket(t *testing.T) {
	path := unixSocketPath(t)
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := tinyhttp.HTTPUnix(path)
	if err == nil {
		s.Close()
		t.Fatal("HTTPUnix on a regular file succeeded")
	}
	if b, rerr := os.ReadFile(path); rerr != nil || string(b) != "precious" {
		t.Errorf("the regular file was changed: %q, %v", b, rerr)
	}
}

// TestUnix_FromListener adopts a Unix listener: RemoteAddr is nil there too.
func TestUnix_FromListener(t *testing.T) {
	path := unixSocketPath(t)
	baseline := wiretest.Goroutines()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tinyhttp.FromListener(ln, nil)
	if err != nil {
		ln.Close()
		t.Fatalf("FromListener: %v", err)
	}
	s := adoptServer(t, srv, baseline)
	s.serve(1, describeRequest)
	if got := unixGet(t, unixHTTPClient(t, path), "http://localhost/adopted"); got != "GET /adopted remote=<nil> secure=false" {
		t.Errorf("got %q", got)
	}
}

// TestUnix_WebSocket runs the websocket example over a Unix socket.
func TestUnix_WebSocket(t *testing.T) {
	path := unixSocketPath(t)
	startEchoServer(t, tinyhttp.ServerConfig{Network: "unix", Addr: path}, nil)
	ws := dialWS(t, "unix", path, "/ws")
	ws.send(true, wsText, []byte("over a unix socket"), true)
	if m := ws.recv(); m.Op != wsText || string(m.Payload) != "over a unix socket" {
		t.Errorf("echo = %v", m)
	}
	ws.send(true, wsClose, wsCloseBody(1000, ""), true)
	if m := ws.recv(); m.Op != wsClose || m.closeCode() != 1000 {
		t.Errorf("answer to close = %v", m)
	}
	ws.ExpectClosed()
}

// TestUnix_Curl fetches over the socket with curl --unix-socket, when curl
// is installed.
func TestUnix_Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	path := unixSocketPath(t)
	startUnix(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), curlTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "-sS", "--max-time", "5", "--unix-socket", path,
		"-w", "\n%{http_code}", "http://localhost/via-curl").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if want := "GET /via-curl remote=<nil> secure=false\n200"; string(out) != want {
		t.Errorf("curl printed %q, want %q", out, want)
	}
}
