package tinyhttp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
	"github.com/google/go-cmp/cmp"
)

// startHandlerServer serves h through Handle on a wire server.
func startHandlerServer(tb testing.TB, h http.Handler) *wireServer {
	return startWireServer(tb, ServerConfig{}, func(_ *wireServer, r *Request) { r.Handle(h) })
}

// seenRequest is what a handler saw of its *http.Request.
type seenRequest struct {
	Method, Path, RawPath, RawQuery, Scheme, URLHost string
	RequestURI, Proto, Host, RemoteHost              string
	ProtoMajor, ProtoMinor                           int
	Header                                           http.Header
	ContentLength                                    int64
	TransferEncoding                                 []string
	Close                                            bool
	Body                                             string
	Trailer                                          http.Header
	NoBody                                           bool
}

// TestHandleRequestFields: the *http.Request a handler sees for raw bytes
// is net/http's for the same bytes.
func TestHandleRequestFields(t *testing.T) {
	seen := make(chan seenRequest, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		host, _, _ := strings.Cut(r.RemoteAddr, ":")
		seen <- seenRequest{
			Method: r.Method, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery,
			Scheme: r.URL.Scheme, URLHost: r.URL.Host, RequestURI: r.RequestURI, Proto: r.Proto,
			Host: r.Host, RemoteHost: host, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
			Header: r.Header, ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
			Close: r.Close, Body: string(body), Trailer: r.Trailer, NoBody: r.Body == http.NoBody,
		}
	})
	ts := startHandlerServer(t, h)
	base := seenRequest{Method: "GET", Path: "/", RequestURI: "/", Proto: "HTTP/1.1", Host: "a", RemoteHost: "127.0.0.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, NoBody: true}
	with := func(f func(*seenRequest)) seenRequest { s := base; s.Header = http.Header{}; f(&s); return s }
	tests := []struct {
		name string
		raw  string
		want seenRequest
	}{
		{"origin-form", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", base},
		{"query and escaped slash", "GET /a%2Fb/c?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n\r\n", with(func(s *seenRequest) {
			s.Path, s.RawPath, s.RawQuery, s.RequestURI = "/a/b/c", "/a%2Fb/c", "x=1&y=%20", "/a%2Fb/c?x=1&y=%20"
		})},
		{"absolute-form takes its host", "GET http://example.com/p HTTP/1.1\r\nHost: other\r\n\r\n", with(func(s *seenRequest) {
			s.Path, s.Scheme, s.URLHost, s.Host, s.RequestURI = "/p", "http", "example.com", "example.com", "http://example.com/p"
		})},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", with(func(s *seenRequest) { s.Method, s.Path, s.RequestURI = "OPTIONS", "*", "*" })},
		{"connect authority", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", with(func(s *seenRequest) {
			s.Method, s.Path, s.URLHost, s.Host, s.RequestURI = "CONNECT", "", "example.com:443", "example.com:443", "example.com:443"
		})},
		{"repeated fields in order, names canonical", "GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\r\nX-A: 2\r\naccept: */*\r\n\r\n", with(func(s *seenRequest) {
			s.Header = http.Header{"X-A": {"1", "2"}, "Accept": {"*/*"}}
		})},
		{"pragma no-cache", "GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\n", with(func(s *seenRequest) {
			s.Header = http.Header{"Pragma": {"no-cache"}, "Cache-Control": {"no-cache"}}
		})},
		{"content-length body", "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", with(func(s *seenRequest) {
			s.Method, s.Path, s.RequestURI, s.ContentLength, s.Body, s.NoBody = "POST", "/u", "/u", 5, "hello", false
			s.Header = http.Header{"Content-Length": {"5"}}
		})},
		{"chunked body with trailers", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n", with(func(s *seenRequest) {
			s.Method, s.ContentLength, s.TransferEncoding, s.Body, s.NoBody = "POST", -1, []string{"chunked"}, "abc", false
			s.Trailer = http.Header{"X-Sum": {"9"}}
		})},
		{"http/1.0", "GET / HTTP/1.0\r\n\r\n", with(func(s *seenRequest) {
			s.Proto, s.ProtoMinor, s.Host, s.Close = "HTTP/1.0", 0, "", true
		})},
		{"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", with(func(s *seenRequest) {
			s.Proto, s.ProtoMinor, s.Host = "HTTP/1.0", 0, ""
			s.Header = http.Header{"Connection": {"keep-alive"}}
		})},
		{"connection close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", with(func(s *seenRequest) {
			s.Close = true
			s.Header = http.Header{"Connection": {"close"}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ts.dial(t)
			c.Send(tt.raw)
			c.ReadResponse(false)
			select {
			case got := <-seen:
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("request seen (-want +got):\n%s", d)
				}
			case <-time.After(wiretest.Timeout):
				t.Fatal("the handler did not run")
			}
		})
	}
}

// TestHandleResponses: what a handler writes goes out as net/http sends it.
func TestHandleResponses(t *testing.T) {
	big := strings.Repeat("x", 3000)
	tests := []struct {
		name    string
		method  string
		handler http.HandlerFunc
		status  int
		fields  map[string]string // "" value: must be absent
		body    string
		chunked bool
		trailer []wiretest.Field
	}{
		{"implicit 200, sniffed type, Content-Length", "GET", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hi</html>") },
			200, map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Length": "15", "Server": ""}, "<html>hi</html>", false, nil},
		{"nothing written", "GET", func(w http.ResponseWriter, r *http.Request) {},
			200, map[string]string{"Content-Length": "0", "Content-Type": ""}, "", false, nil},
		{"large body chunked", "GET", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) },
			200, map[string]string{"Content-Length": "", "Content-Type": "text/plain; charset=utf-8"}, big, true, nil},
		{"flush makes it chunked", "GET", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b")
		}, 200, map[string]string{"Content-Length": ""}, "ab", true, nil},
		{"declared length streams with it", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "3000")
			io.WriteString(w, big)
		}, 200, map[string]string{"Content-Length": "3000"}, big, false, nil},
		{"explicit type kept", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			io.WriteString(w, "{}")
		}, 201, map[string]string{"Content-Type": "application/json"}, "{}", false, nil},
		{"head gets length, no body", "HEAD", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") },
			200, map[string]string{"Content-Length": "5"}, "", false, nil},
		{"head without body: no framing fields", "HEAD", func(w http.ResponseWriter, r *http.Request) {},
			200, map[string]string{"Content-Length": "", "Transfer-Encoding": ""}, "", false, nil},
		{"204 refuses a body", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(204)
			if _, err := io.WriteString(w, "x"); !errors.Is(err, http.ErrBodyNotAllowed) {
				panic(fmt.Sprintf("Write on 204: %v", err))
			}
		}, 204, map[string]string{"Content-Length": ""}, "", false, nil},
		{"header map frozen at WriteHeader", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(200)
			w.Header().Set("X-After", "1")
		}, 200, map[string]string{"X-Before": "1", "X-After": ""}, "", false, nil},
		{"line breaks in a value become spaces", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Bad", "a\r\nInjected: yes")
		}, 200, map[string]string{"X-Bad": "a  Injected: yes", "Injected": ""}, "", false, nil},
		{"declared trailers", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Sum")
			io.WriteString(w, "data")
			w.Header().Set("X-Sum", "42")
		}, 200, map[string]string{"Trailer": "X-Sum", "Content-Length": ""}, "data", true, []wiretest.Field{{Name: "X-Sum", Value: "42"}}},
		{"trailer prefix", "GET", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "data")
			w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
		}, 200, map[string]string{"Content-Length": ""}, "data", true, []wiretest.Field{{Name: "X-Late", Value: "yes"}}},
		{"write past Content-Length", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "ok")
			if _, err := io.WriteString(w, "more"); !errors.Is(err, http.ErrContentLength) {
				panic(fmt.Sprintf("Write past the length: %v", err))
			}
		}, 200, map[string]string{"Content-Length": "2"}, "ok", false, nil},
		{"connection close from the handler", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
		}, 200, map[string]string{"Connection": "close"}, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startHandlerServer(t, tt.handler)
			c := ts.dial(t)
			c.Send(tt.method + " / HTTP/1.1\r\nHost: a\r\n\r\n")
			resp := c.ReadResponse(tt.method == "HEAD")
			if resp.Status != tt.status {
				t.Fatalf("status %d, want %d", resp.Status, tt.status)
			}
			for name, want := range tt.fields {
				got, ok := resp.Get(name)
				if want == "" && ok {
					t.Errorf("%s: %q, want none", name, got)
				} else if want != "" && got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if string(resp.Body) != tt.body || resp.Chunked != tt.chunked {
				t.Errorf("body %q chunked %v, want %q chunked %v", resp.Body, resp.Chunked, tt.body, tt.chunked)
			}
			if d := cmp.Diff(tt.trailer, resp.Trailers); d != "" {
				t.Errorf("trailers (-want +got):\n%s", d)
			}
			if !resp.HasToken("Connection", "close") {
				c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n") // the connection is still good
				if next := c.ReadResponse(false); next.Status != tt.status {
					t.Errorf("next response: %d", next.Status)
				}
			}
		})
	}
}

// TestHandleEarlyHints: a 1xx from WriteHeader goes out at once, ahead of
// the final response, with the header as it is then.
func TestHandleEarlyHints(t *testing.T) {
	release := make(chan struct{})
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		<-release
		io.WriteString(w, "page")
	}))
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	hints := c.ReadResponse(false)
	close(release)
	if v, _ := hints.Get("Link"); hints.Status != 103 || v != "</style.css>; rel=preload" {
		t.Fatalf("first response %d Link %q, want 103 with the Link", hints.Status, v)
	}
	if final := c.ReadResponse(false); final.Status != 200 || string(final.Body) != "page" {
		t.Fatalf("final response %d %q", final.Status, final.Body)
	}
}

// TestHandlePipelinedInParallel: pipelined requests run their handlers at
// the same time, and their responses leave in request order.
func TestHandlePipelinedInParallel(t *testing.T) {
	var started sync.WaitGroup
	started.Add(4)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Done()
		select {
		case <-all: // every handler is running: they run in parallel
		case <-time.After(wiretest.Timeout):
			w.WriteHeader(500)
			return
		}
		if r.URL.Path == "/0" {
			time.Sleep(10 * time.Millisecond) // the first finishes last
		}
		io.WriteString(w, r.URL.Path)
	}))
	c := ts.dial(t)
	c.Send("GET /0 HTTP/1.1\r\nHost: a\r\n\r\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
	for i := range 4 {
		if resp := c.ReadResponse(false); resp.Status != 200 || string(resp.Body) != fmt.Sprintf("/%d", i) {
			t.Fatalf("response %d: %d %q", i, resp.Status, resp.Body)
		}
	}
}

// TestHandleHijack: Hijack hands over the connection of a plain request
// (the read loop is waiting for the next one), of a CONNECT and of an
// upgrade request, with the bytes the client sent ahead after the last
// two; writes after it fail with ErrHijacked.
func TestHandleHijack(t *testing.T) {
	for _, tt := range []struct{ name, raw string }{
		{"plain", "GET /plain HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"connect", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nping\n"},
		{"upgrade", "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := make(chan error, 1)
			ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				nc, brw, err := w.(http.Hijacker).Hijack()
				if err != nil {
					errs <- err
					return
				}
				defer nc.Close()
				_, werr := w.Write([]byte("x"))
				brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
				brw.Flush()
				line, _ := brw.ReadString('\n')
				brw.WriteString("echo: " + line)
				brw.Flush()
				errs <- werr
			}))
			c := ts.dial(t)
			c.Invariants = false
			c.Send(tt.raw)
			br := bufio.NewReader(c.Conn)
			c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 101 {
				t.Fatalf("read 101: %v %v", resp, err)
			}
			if tt.name == "plain" {
				c.Send("ping\n") // sent ahead, it would have been read as the next request
			}
			if line, err := br.ReadString('\n'); err != nil || line != "echo: ping\n" {
				t.Fatalf("echo %q, %v", line, err)
			}
			if err := <-errs; !errors.Is(err, http.ErrHijacked) {
				t.Fatalf("Write after Hijack: %v, want http.ErrHijacked", err)
			}
		})
	}
}

// TestHandleHijackAfter101: WriteHeader(101) then Hijack, as
// coder/websocket's Accept does: the 101 head with the handler's fields
// goes out first (net/http flushes it in Hijack), then the connection is
// the handler's.
func TestHandleHijackAfter101(t *testing.T) {
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Upgrade", "echo")
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("X-Accept", "yes")
		w.WriteHeader(http.StatusSwitchingProtocols)
		nc, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	c := ts.dial(t)
	c.Invariants = false
	c.Send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping\n")
	br := bufio.NewReader(c.Conn)
	c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "echo" || resp.Header.Get("X-Accept") != "yes" {
		t.Fatalf("101 head: %+v %v", resp, err)
	}
	if line, err := br.ReadString('\n'); err != nil || line != "echo: ping\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
}

// waitForCause is a handler that signals running, then sends the cause
// of its request's context once it ends (or an error after the timeout).
func waitForCause() (h http.Handler, running chan struct{}, causes chan error) {
	running, causes = make(chan struct{}), make(chan error, 1)
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(running)
		select {
		case <-r.Context().Done():
			causes <- context.Cause(r.Context())
		case <-time.After(wiretest.Timeout):
			causes <- errors.New("not cancelled")
		}
	})
	return h, running, causes
}

// TestHandleContextCancelled: the request's context ends, with its cause,
// when the client hangs up mid-handler, when the server closes, and once
// the handler returns.
func TestHandleContextCancelled(t *testing.T) {
	for name, raw := range map[string]string{
		"client hangs up":                         "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"client hangs up after Connection: close": "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		"http/1.0 client hangs up":                "GET / HTTP/1.0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			h, running, causes := waitForCause()
			c := startHandlerServer(t, h).dial(t)
			c.Send(raw)
			<-running
			c.Close()
			if err := <-causes; !errors.Is(err, ErrClientDisconnected) {
				t.Fatalf("cause %v, want ErrClientDisconnected", err)
			}
		})
	}
	t.Run("client hangs up, derived context", func(t *testing.T) {
		running, causes := make(chan struct{}), make(chan error, 1)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), derivedKey{}, 1), time.Hour)
			defer cancel()
			close(running)
			select {
			case <-ctx.Done():
				causes <- context.Cause(ctx)
			case <-time.After(wiretest.Timeout):
				causes <- errors.New("not cancelled")
			}
		})
		c := startHandlerServer(t, h).dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		<-running
		c.Close()
		if err := <-causes; !errors.Is(err, ErrClientDisconnected) {
			t.Fatalf("cause %v, want ErrClientDisconnected", err)
		}
	})
	t.Run("server closes", func(t *testing.T) {
		h, running, causes := waitForCause()
		ts := startHandlerServer(t, h)
		c := ts.dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		<-running
		go ts.srv.Close()
		if err := <-causes; !errors.Is(err, ErrServerClosed) {
			t.Fatalf("cause %v, want ErrServerClosed", err)
		}
	})
	t.Run("hijacked, then server closes", func(t *testing.T) {
		causes := make(chan error, 2)
		ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nc, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				causes <- err
				return
			}
			defer nc.Close()
			brw.ReadString('\n')        // the client's line: the read loop has long let go
			causes <- r.Context().Err() // still alive after the hand-over
			nc.Write([]byte("go\n"))
			select {
			case <-r.Context().Done():
				causes <- context.Cause(r.Context())
			case <-time.After(wiretest.Timeout):
				causes <- errors.New("not cancelled")
			}
		}))
		c := ts.dial(t)
		c.Invariants = false
		c.Send("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\nline\n")
		if err := <-causes; err != nil {
			t.Fatalf("context after Hijack: %v", err)
		}
		c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
		bufio.NewReader(c.Conn).ReadString('\n')
		go ts.srv.Close()
		if err := <-causes; !errors.Is(err, ErrServerClosed) {
			t.Fatalf("cause %v, want ErrServerClosed", err)
		}
	})
	t.Run("answered", func(t *testing.T) {
		ctxs := make(chan context.Context, 1)
		ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Context().Err() != nil {
				panic("context ended before the handler returned")
			}
			if r.Context().Value(http.LocalAddrContextKey) == nil || r.Context().Value(http.ServerContextKey) == nil {
				panic("context lacks net/http's values")
			}
			ctxs <- r.Context()
		}))
		c := ts.dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		c.ReadResponse(false)
		ctx := <-ctxs
		select {
		case <-ctx.Done():
		case <-time.After(wiretest.Timeout):
			t.Fatal("context not ended after the handler returned")
		}
		if err := context.Cause(ctx); !errors.Is(err, ErrAlreadyAnswered) {
			t.Fatalf("cause %v, want ErrAlreadyAnswered", err)
		}
	})
}

// TestRequestContextPull: the pull API's requests have contexts too, ended
// by Respond.
func TestRequestContextPull(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, nil)
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	r := ts.recv(t)
	ctx := r.Context()
	if ctx.Err() != nil {
		t.Fatal("context ended before the answer")
	}
	r.Respond(FromString("ok"))
	if ctx.Err() == nil || !errors.Is(context.Cause(ctx), ErrAlreadyAnswered) {
		t.Fatalf("after Respond: %v, cause %v", ctx.Err(), context.Cause(ctx))
	}
	c.ReadResponse(false)
}

// derivedKey is a context key of the tests.
type derivedKey struct{}

// TestRequestContextPipelinedHangUp: when the client hangs up, the contexts
// of every pipelined request not yet answered end with
// ErrClientDisconnected, those made before the hang-up and a context made
// after it alike; an answered request's context keeps its own cause.
func TestRequestContextPipelinedHangUp(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, nil)
	c := ts.dial(t)
	c.Send(strings.Repeat("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 4))
	rs := []*Request{ts.recv(t), ts.recv(t), ts.recv(t), ts.recv(t)}
	answered := rs[0].Context()
	rs[0].Respond(FromString("ok"))
	before := []context.Context{rs[1].Context(), rs[2].Context()}
	c.ReadResponse(false)
	c.Close()
	for i, ctx := range before {
		select {
		case <-ctx.Done():
		case <-time.After(wiretest.Timeout):
			t.Fatalf("request %d: context not ended after the hang-up", i+2)
		}
		if err := context.Cause(ctx); !errors.Is(err, ErrClientDisconnected) {
			t.Fatalf("request %d: cause %v, want ErrClientDisconnected", i+2, err)
		}
	}
	after := rs[3].Context()
	if err := context.Cause(after); !errors.Is(err, ErrClientDisconnected) {
		t.Fatalf("context made after the hang-up: cause %v, want ErrClientDisconnected", err)
	}
	if err := context.Cause(answered); !errors.Is(err, ErrAlreadyAnswered) {
		t.Fatalf("answered request: cause %v, want ErrAlreadyAnswered", err)
	}
	for _, r := range rs[1:] {
		r.Respond(FromString("late"))
	}
}

// TestRequestContextConcurrent: goroutines asking for a request's context
// at once all get the same one.
func TestRequestContextConcurrent(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, nil)
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	r := ts.recv(t)
	ctxs := make(chan context.Context, 8)
	for range cap(ctxs) {
		go func() { ctxs <- r.Context() }()
	}
	first := <-ctxs
	for range cap(ctxs) - 1 {
		if ctx := <-ctxs; ctx != first {
			t.Fatal("two contexts for one request")
		}
	}
	r.Respond(FromString("ok"))
	c.ReadResponse(false)
	if !errors.Is(context.Cause(first), ErrAlreadyAnswered) {
		t.Fatalf("cause %v", context.Cause(first))
	}
}

// TestHandlePanics: a panic before anything was sent gets 500 and the
// connection closes; after the head was sent the response is cut; the
// other connections are untouched.
func TestHandlePanics(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, func(_ *wireServer, r *Request) {
		r.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/before":
				panic(http.ErrAbortHandler) // silent: the server log stays clean
			case "/after":
				io.WriteString(w, strings.Repeat("y", 5000))
				panic(http.ErrAbortHandler)
			}
			io.WriteString(w, "fine")
		}))
	})
	c := ts.dial(t)
	c.Send("GET /before HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp := c.ReadResponse(false); resp.Status != 500 || !resp.HasToken("Connection", "close") {
		t.Fatalf("panic before the head: %d, Connection %v", resp.Status, resp.Values("Connection"))
	}
	c2 := ts.dial(t)
	c2.Invariants = false
	c2.Send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := c2.TryReadResponse(false); err == nil {
		t.Fatal("a response cut by a panic read as complete")
	}
	c3 := ts.dial(t)
	c3.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp := c3.ReadResponse(false); string(resp.Body) != "fine" {
		t.Fatalf("another connection: %q", resp.Body)
	}
}

// TestHandleFullDuplex: with EnableFullDuplex the handler reads the body
// after the response started; without it, the body is gone.
func TestHandleFullDuplex(t *testing.T) {
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.URL.Path == "/duplex" {
			if err := rc.EnableFullDuplex(); err != nil {
				panic(err)
			}
		}
		io.WriteString(w, "start;")
		rc.Flush()
		body, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s;%v", body, err)
	}))
	for path, want := range map[string]string{
		"/duplex":  "start;hello;<nil>",
		"/simplex": "start;;http: invalid Read on closed Body", // net/http discards the body when the response starts
	} {
		c := ts.dial(t)
		c.Send("POST " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
		if resp := c.ReadResponse(false); string(resp.Body) != want {
			t.Errorf("%s: %q, want %q", path, resp.Body, want)
		}
	}
}

// TestHandleServeContentSendfile: http.ServeFile through Handle sends the
// file through the connection's ReadFrom (sendfile on TCP), whole and by
// range, with Content-Length. Its first 512 bytes go through Write, for
// Content-Type sniffing, as in net/http.
func TestHandleServeContentSendfile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10_000) // 100 KB
	p := writeTestFile(t, "big.bin", data)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, p) })
	checkFileFetches(t, data, func(r *Request) error { return r.Handle(h) }, false)
}

// TestHandleUpgradeRequired: a 426 keeps the handler's Upgrade field and
// the "upgrade" connection option that must go with it (RFC 9110 §7.8),
// as net/http sends them.
func TestHandleUpgradeRequired(t *testing.T) {
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		http.Error(w, "upgrade", http.StatusUpgradeRequired)
	}))
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	resp, err := http.ReadResponse(bufio.NewReader(c.Conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 426 || resp.Header.Get("Upgrade") != "websocket" || !httpguts.HeaderValuesContainsToken(resp.Header["Connection"], "upgrade") {
		t.Errorf("426: Upgrade %q, Connection %q", resp.Header.Get("Upgrade"), resp.Header["Connection"])
	}
}

// FuzzRequestTarget: the allocation-free parse of plain origin-form
// targets gives exactly url.ParseRequestURI's URL, and passes on what it
// cannot parse that way.
func FuzzRequestTarget(f *testing.F) {
	for _, seed := range []string{
		"/", "/a/b?x=1", "/a?", "/a??", "/a?b?", "/%41", "/a b", "/!$&'()*+,;=:@",
		"//x/y", "/a#f", "*", "http://h/p", "/~u/._-", "/a/../b", "/?", "/;x=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		var fast url.URL
		if !parsePlainOrigin(target, &fast) {
			return
		}
		want, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatalf("%q: parsed plainly, but url.ParseRequestURI refuses it: %v", target, err)
		}
		if diff := cmp.Diff(want, &fast, cmp.AllowUnexported(url.URL{})); diff != "" {
			t.Fatalf("%q: URL differs from url.ParseRequestURI's (-want +got):\n%s", target, diff)
		}
	})
}

// TestHandle101WithoutHijack: a handler that sends 101 and returns without
// hijacking gets the 101 head on the wire, as from net/http, and the
// connection closes after it (the bytes after a 101 are not HTTP/1.1);
// without an Upgrade field the answer is 500.
func TestHandle101WithoutHijack(t *testing.T) {
	writeErrs := make(chan error, 1)
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/switch" {
			w.Header().Set("Upgrade", "foo")
			w.Header().Set("Connection", "Upgrade")
		}
		w.WriteHeader(http.StatusSwitchingProtocols)
		_, err := w.Write([]byte("after"))
		writeErrs <- err
	}))
	c := ts.dial(t)
	c.Invariants = false
	c.Send("GET /switch HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
	c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	got, err := io.ReadAll(c.Conn)
	if err != nil {
		t.Fatalf("read: %v (the connection did not close after the 101)", err)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 101 Switching Protocols\r\n") || !strings.Contains(string(got), "Upgrade: foo\r\n") ||
		!strings.HasSuffix(string(got), "\r\n\r\n") || strings.Count(string(got), "HTTP/1.1") != 1 {
		t.Fatalf("wire: %q, want the 101 head alone", got)
	}
	if err := <-writeErrs; !errors.Is(err, http.ErrBodyNotAllowed) {
		t.Fatalf("Write after 101: %v, want http.ErrBodyNotAllowed", err)
	}
	c2 := ts.dial(t)
	c2.Send("GET /noupgrade HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp := c2.ReadResponse(false); resp.Status != 500 {
		t.Fatalf("101 without Upgrade: %d, want 500", resp.Status)
	}
	<-writeErrs
}

// TestHandleBodyAfterReturn: r.Body read after the handler returned fails
// with http.ErrBodyReadAfterClose, as net/http's server closes it then,
// for a small body (read before queueing) as for a streamed one.
func TestHandleBodyAfterReturn(t *testing.T) {
	bodies := make(chan io.ReadCloser, 1)
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bodies <- r.Body
		io.WriteString(w, "x")
	}))
	for _, n := range []int{3, 2000} {
		c := ts.dial(t)
		c.Send(fmt.Sprintf("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s", n, strings.Repeat("b", n)))
		if resp := c.ReadResponse(false); resp.Status != 200 {
			t.Fatalf("status %d", resp.Status)
		}
		body := <-bodies
		if got, err := body.Read(make([]byte, 10)); got != 0 || !errors.Is(err, http.ErrBodyReadAfterClose) {
			t.Errorf("%d-byte body read after the handler: %d, %v; want http.ErrBodyReadAfterClose", n, got, err)
		}
	}
}

// TestHandleShortOfContentLength: a handler that declares a Content-Length
// and writes less gets, as from net/http, the head and what it wrote, then
// the connection closes (the client sees the body cut short).
func TestHandleShortOfContentLength(t *testing.T) {
	ts := startHandlerServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
	}))
	c := ts.dial(t)
	c.Invariants = false
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	got := c.ReadToEOF()
	head, body, _ := strings.Cut(got, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "\r\nContent-Length: 10") || body != "hello" {
		t.Fatalf("wire: %q, want the head with Content-Length: 10, then \"hello\" and the close", got)
	}
}
