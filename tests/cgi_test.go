package tests

// Request.IntoWriter: the CGI example (examples/cgi, whose handler is
// package rawcgi) end to end over a socket, and the raw writer's place in
// the connection's response order.

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/cgi/rawcgi"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// startCGIServer starts a server whose two workers run h.
func startCGIServer(t *testing.T, h *rawcgi.Handler) *server {
	t.Helper()
	s := newServer(t)
	s.serve(2, h.ServeRequest)
	return s
}

// readCGIResponse reads everything until the server closes the connection
// and parses it as one response.
func readCGIResponse(t *testing.T, c *wiretest.Client) *wiretest.Response {
	t.Helper()
	raw := c.ReadToEOF()
	rs, err := wiretest.ParseResponses(raw)
	if err != nil || len(rs) != 1 {
		t.Fatalf("want one response ended by the close, got %d (%v):\n%s", len(rs), err, wiretest.Truncate(raw))
	}
	return rs[0]
}

// TestCGI_Get runs the example's default script for a GET: a raw 200 with
// the script's headers and Connection: close, the body ended by the close.
func TestCGI_Get(t *testing.T) {
	s := startCGIServer(t, rawcgi.Shell(rawcgi.DefaultScript))
	c := s.dial()
	c.Send("GET /some/path?name=tiny HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cgi-test\r\n\r\n")
	resp := readCGIResponse(t, c)
	if resp.Proto != "HTTP/1.1" || resp.Status != 200 || resp.Reason != "OK" {
		t.Errorf("status line %s %d %s, want HTTP/1.1 200 OK", resp.Proto, resp.Status, resp.Reason)
	}
	if !resp.Closes() {
		t.Errorf("no Connection: close:\n%s", resp)
	}
	for name, want := range map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-CGI": "tinyhttp example"} {
		if got, _ := resp.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := resp.Get("Date"); !ok {
		t.Error("no Date field")
	}
	body := string(resp.Body)
	for _, want := range []string{"method: GET\n", "path: /some/path\n", "query: name=tiny\n",
		"remote: 127.0.0.1\n", "user agent: cgi-test\n", "date: 20"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// TestCGI_PostBody hands the request body to the script's stdin.
func TestCGI_PostBody(t *testing.T) {
	s := startCGIServer(t, rawcgi.Shell(rawcgi.DefaultScript))
	c := s.dial()
	c.Send("POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello body")
	resp := readCGIResponse(t, c)
	if body := string(resp.Body); !strings.Contains(body, "method: POST\n") || !strings.Contains(body, "body: hello body\n") {
		t.Errorf("body:\n%s", body)
	}
}

// TestCGI_Environment checks the CGI variables the script sees.
func TestCGI_Environment(t *testing.T) {
	s := startCGIServer(t, rawcgi.Shell(`printf 'Content-Type: text/plain\n\n'; env | sort`))
	c := s.dial()
	c.Send("GET /env?a=b HTTP/1.1\r\nHost: example.test:8080\r\nX-Custom: 1\r\nX-Custom: 2\r\nProxy: http://evil\r\n\r\n")
	resp := readCGIResponse(t, c)
	env := string(resp.Body)
	for _, want := range []string{"GATEWAY_INTERFACE=CGI/1.1", "REQUEST_METHOD=GET", "PATH_INFO=/env",
		"QUERY_STRING=a=b", "REQUEST_URI=/env?a=b", "SERVER_NAME=example.test", "SERVER_PORT=8080",
		"SERVER_PROTOCOL=HTTP/1.1", "HTTP_X_CUSTOM=1, 2", "REMOTE_ADDR=127.0.0.1"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("environment lacks %s:\n%s", want, env)
		}
	}
	if strings.Contains(env, "HTTP_PROXY=") {
		t.Errorf("HTTP_PROXY set from a request field (httpoxy):\n%s", env)
	}
}

// TestCGI_Head sends only the head for HEAD.
func TestCGI_Head(t *testing.T) {
	s := startCGIServer(t, rawcgi.Shell(rawcgi.DefaultScript))
	c := s.dial()
	c.Send("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	raw := c.ReadToEOF()
	head, body, ok := strings.Cut(raw, "\r\n\r\n")
	if !ok || !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || body != "" {
		t.Errorf("HEAD answered %q", wiretest.Truncate(raw))
	}
}

// TestCGI_StatusAndLocation maps the script's Status and Location lines.
func TestCGI_StatusAndLocation(t *testing.T) {
	tests := []struct {
		name, script string
		status       int
	}{
		{"Status", `printf 'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnothing here'`, 404},
		{"Location", `printf 'Location: /elsewhere\n\n'`, 302},
		{"Location with Status", `printf 'Status: 301\nLocation: /moved\n\n'`, 301},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startCGIServer(t, rawcgi.Shell(tt.script))
			c := s.dial()
			c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
			if resp := readCGIResponse(t, c); resp.Status != tt.status {
				t.Errorf("status %d, want %d:\n%s", resp.Status, tt.status, resp)
			}
		})
	}
}

// TestCGI_Failures covers scripts that cannot answer: an ordinary error
// response (through Respond) instead of a raw one.
func TestCGI_Failures(t *testing.T) {
	tests := []struct {
		name    string
		handler *rawcgi.Handler
		status  int
	}{
		{"missing program", &rawcgi.Handler{Path: "/nonexistent/program"}, 500},
		{"no header section", rawcgi.Shell(`printf 'just text, no header'`), 502},
		{"malformed header line", rawcgi.Shell(`printf 'not a header\n\nbody'`), 502},
		{"header injection", rawcgi.Shell(`printf 'X-A: a\rInjected: yes\n\n'`), 502},
		{"too slow", &rawcgi.Handler{Path: "/bin/sh", Args: []string{"-c", "sleep 30"}, Timeout: 200 * time.Millisecond}, 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startCGIServer(t, tt.handler)
			c := s.dial()
			c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
			resp := c.ReadResponse(false)
			if resp.Status != tt.status {
				t.Errorf("status %d, want %d:\n%s", resp.Status, tt.status, resp)
			}
		})
	}
}

// TestCGI_TooLargeBody refuses a body above MaxBodyBytes with 413.
func TestCGI_TooLargeBody(t *testing.T) {
	h := rawcgi.Shell(rawcgi.DefaultScript)
	h.MaxBodyBytes = 8
	s := startCGIServer(t, h)
	c := s.dial()
	c.Send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\n\r\n123456789")
	if resp := c.ReadResponse(false); resp.Status != 413 {
		t.Errorf("status %d, want 413", resp.Status)
	}
}

// TestCGI_AfterEarlierResponse pipelines a plain request and a CGI one: the
// raw writer waits for the earlier response, then the CGI output follows.
func TestCGI_AfterEarlierResponse(t *testing.T) {
	s := newServer(t)
	h := rawcgi.Shell(rawcgi.DefaultScript)
	s.serve(2, func(r *tinyhttp.Request) {
		if r.URL() == "/plain" {
			// Answer once the CGI request's raw writer waits for this response.
			wiretest.WaitParked(t, 1, "tinyhttp.(*Request).IntoWriter(")
			r.Respond(tinyhttp.FromString("plain first"))
			return
		}
		h.ServeRequest(r)
	})
	c := s.dial()
	c.Send("GET /plain HTTP/1.1\r\nHost: h\r\n\r\nGET /cgi HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp := c.ReadResponse(false); string(resp.Body) != "plain first" {
		t.Fatalf("first response %q, want plain first", resp.Body)
	}
	resp := readCGIResponse(t, c)
	if resp.Status != 200 || !strings.Contains(string(resp.Body), "path: /cgi\n") {
		t.Errorf("second response:\n%s", resp)
	}
}

// TestCGI_QueuedBehindRawWriter checks the rule of IntoWriter: once its
// writer is closed, the connection closes after the responses already
// queued behind it are written. Request 2 is answered (and queued) while
// request 1 has no answer yet; request 1 is answered with a raw, correctly
// framed response; both responses arrive, in order, then the close.
func TestCGI_QueuedBehindRawWriter(t *testing.T) {
	s := newServer(t)
	c := s.dial()
	c.Send("GET /raw HTTP/1.1\r\nHost: h\r\n\r\nGET /queued HTTP/1.1\r\nHost: h\r\n\r\n")
	first, second := s.recv(), s.recv()
	if err := second.Respond(tinyhttp.FromString("queued behind")); err != nil {
		t.Fatalf("Respond to request 2 (queued): %v", err)
	}
	w, err := first.IntoWriter()
	if err != nil {
		t.Fatalf("IntoWriter: %v", err)
	}
	if _, err := io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nraw"); err != nil {
		t.Fatalf("raw write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("closing the raw writer: %v", err)
	}
	raw := c.ReadToEOF()
	rs, err := wiretest.ParseResponses(raw)
	if err != nil {
		t.Fatalf("parsing %q: %v", wiretest.Truncate(raw), err)
	}
	if len(rs) != 2 || string(rs[0].Body) != "raw" || string(rs[1].Body) != "queued behind" {
		t.Errorf("got %d responses, want the raw one then the queued one, then the close:\n%s", len(rs), wiretest.Truncate(raw))
	}
}

// TestCGI_Curl fetches from the CGI example with curl, when it is installed.
func TestCGI_Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	s := startCGIServer(t, rawcgi.Shell(rawcgi.DefaultScript))
	ctx, cancel := context.WithTimeout(context.Background(), curlTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "-sS", "--max-time", "5", "--data", "from curl",
		"http://"+s.Addr().String()+"/curl?q=1").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	for _, want := range []string{"method: POST\n", "query: q=1\n", "body: from curl\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("curl output lacks %q:\n%s", want, out)
		}
	}
}
