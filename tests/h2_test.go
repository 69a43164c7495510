package tests

// HTTP/2 on the pull model: h2 over TLS (ALPN) and h2c with prior
// knowledge, driven by Go's own client and by curl.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// h2Handler answers the requests of the HTTP/2 tests.
func h2Handler(file string, waiting chan<- error) func(*tinyhttp.Request) {
	return func(r *tinyhttp.Request) {
		switch {
		case r.URL() == "/upload":
			h := sha256.New()
			n, err := io.Copy(h, r.Body())
			if err != nil {
				r.Respond(tinyhttp.FromString(err.Error()).WithStatusCode(400))
				return
			}
			r.Respond(tinyhttp.FromString(fmt.Sprintf("%d %x", n, h.Sum(nil))))
		case r.URL() == "/file":
			tinyhttp.ServeFile(r, file)
		case r.URL() == "/gzip":
			r.Respond(tinyhttp.FromString(strings.Repeat("compress me ", 1000)).
				WithHeader(tinyhttp.Header{Field: "Content-Type", Value: "text/plain"}).WithCompression())
		case r.URL() == "/handler":
			r.Handle(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
				fmt.Fprintf(w, "handler %s %d", hr.Proto, hr.ProtoMajor)
			}))
		case r.URL() == "/close":
			r.Respond(tinyhttp.FromString("fields").
				WithHeader(tinyhttp.Header{Field: "Connection", Value: "close"}).
				WithHeader(tinyhttp.Header{Field: "Keep-Alive", Value: "timeout=5"}))
		case r.URL() == "/raw":
			w, err := r.IntoWriter()
			if err != nil {
				return
			}
			io.WriteString(w, "HTTP/1.1 201 Created\r\nX-Raw: yes\r\n\r\nraw ")
			io.WriteString(w, "body")
			w.Close()
		case r.URL() == "/drop":
			// dropped without an answer: the drop watch answers 500
		case r.URL() == "/wait":
			waiting <- nil
			select {
			case <-r.Context().Done():
				waiting <- context.Cause(r.Context())
			case <-time.After(wiretest.Timeout):
				waiting <- errors.New("not cancelled")
			}
			r.Respond(tinyhttp.Empty(503))
		default:
			host, _ := r.Header("Host")
			r.Respond(tinyhttp.FromString(fmt.Sprintf("%s %s %s host=%s secure=%v", r.Method(), r.URL(), r.HTTPVersion(), host, r.Secure())))
		}
	}
}

// h2Fixture is a server and a Go client speaking HTTP/2 to it.
type h2Fixture struct {
	s       *server
	client  *http.Client
	base    string
	file    string
	data    []byte
	waiting chan error // /wait: nil when it waits, then its context's cause
}

// newH2Fixture starts an HTTP/2 server: over TLS, or h2c when tlsOn is false.
func newH2Fixture(t *testing.T, tlsOn bool) *h2Fixture {
	t.Helper()
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	file := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f := &h2Fixture{file: file, data: data, waiting: make(chan error, 2)}
	tr := &http.Transport{}
	if tlsOn {
		cert := newTestCert(t, keyECDSAPKCS8)
		f.s = newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
		cfg := cert.clientConfig()
		cfg.NextProtos = nil
		tr.TLSClientConfig = cfg
		tr.ForceAttemptHTTP2 = true
		f.base = "https://" + f.s.Addr().String()
	} else {
		f.s = newServerConfig(t, tinyhttp.ServerConfig{H2C: true})
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		tr.Protocols = &p
		f.base = "http://" + f.s.Addr().String()
	}
	f.client = &http.Client{Transport: tr, Timeout: wiretest.Timeout}
	t.Cleanup(tr.CloseIdleConnections)
	f.s.serve(8, h2Handler(file, f.waiting))
	return f
}

// get fetches path and returns the response with its body read.
func (f *h2Fixture) get(t *testing.T, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s body: %v", path, err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("GET %s went over %s", path, resp.Proto)
	}
	return resp, body
}

// TestHTTP2 drives every kind of answer over h2 and h2c with Go's client.
func TestHTTP2(t *testing.T) {
	for _, mode := range []struct {
		name  string
		tlsOn bool
	}{{"h2", true}, {"h2c", false}} {
		t.Run(mode.name, func(t *testing.T) {
			f := newH2Fixture(t, mode.tlsOn)
			_, body := f.get(t, "/hello")
			if want := fmt.Sprintf("GET /hello 2.0 host=%s secure=%v", f.s.Addr(), mode.tlsOn); string(body) != want {
				t.Errorf("hello: %q, want %q", body, want)
			}

			big := bytes.Repeat([]byte("x"), 10<<20)
			resp, err := f.client.Post(f.base+"/upload", "application/octet-stream", bytes.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := fmt.Sprintf("%d %x", len(big), sha256.Sum256(big)); string(got) != want {
				t.Errorf("10 MiB upload: %q", got)
			}

			resp, body = f.get(t, "/file", "Range", "bytes=100-199")
			if resp.StatusCode != 206 || !bytes.Equal(body, f.data[100:200]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(f.data)) {
				t.Errorf("range: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Range"), body)
			}
			resp, body = f.get(t, "/file")
			if resp.StatusCode != 200 || !bytes.Equal(body, f.data) || resp.ContentLength != int64(len(f.data)) {
				t.Errorf("file: %d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
			}
			resp, _ = f.get(t, "/file", "If-None-Match", resp.Header.Get("ETag"))
			if resp.StatusCode != 304 {
				t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
			}

			req, _ := http.NewRequest("GET", f.base+"/gzip", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err = f.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("gzip: %v, Content-Encoding %q", err, resp.Header.Get("Content-Encoding"))
			}
			plain, _ := io.ReadAll(zr)
			resp.Body.Close()
			if string(plain) != strings.Repeat("compress me ", 1000) {
				t.Errorf("gzip body: %d bytes", len(plain))
			}

			if _, body = f.get(t, "/handler"); string(body) != "handler HTTP/2.0 2" {
				t.Errorf("Handle: %q", body)
			}
			resp, body = f.get(t, "/close")
			if string(body) != "fields" || resp.Header.Get("Connection") != "" || resp.Header.Get("Keep-Alive") != "" {
				t.Errorf("connection-specific fields sent: %v", resp.Header)
			}
			resp, body = f.get(t, "/raw")
			if resp.StatusCode != 201 || resp.Header.Get("X-Raw") != "yes" || string(body) != "raw body" {
				t.Errorf("IntoWriter: %d %v %q", resp.StatusCode, resp.Header, body)
			}
		})
	}
}

// TestHTTP2ConcurrentStreams: 100 streams at once on one connection, each
// answered in whatever order the application gets to them.
func TestHTTP2ConcurrentStreams(t *testing.T) {
	f := newH2Fixture(t, true)
	f.get(t, "/warm") // one connection for all
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			resp, err := f.client.Get(fmt.Sprintf("%s/s%d", f.base, i))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if !strings.HasPrefix(string(body), fmt.Sprintf("GET /s%d 2.0", i)) {
				errs <- fmt.Errorf("stream %d: %q", i, body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestHTTP2DroppedRequest: a stream whose request the application drops
// without answering gets 500 once the request is collected, over h2 and
// h2c, and the connection's other streams go on.
func TestHTTP2DroppedRequest(t *testing.T) {
	for _, tlsOn := range []bool{true, false} {
		f := newH2Fixture(t, tlsOn)
		got := make(chan int, 1)
		go func() {
			resp, err := f.client.Get(f.base + "/drop")
			if err != nil {
				got <- -1
				return
			}
			resp.Body.Close()
			got <- resp.StatusCode
		}()
		deadline := time.After(wiretest.Timeout)
	collect:
		for {
			runtime.GC() // the drop watch runs after collections
			select {
			case status := <-got:
				if status != 500 {
					t.Fatalf("tls %v: dropped request got %d, want 500", tlsOn, status)
				}
				break collect
			case <-deadline:
				t.Fatalf("tls %v: no answer to a dropped request within %v", tlsOn, wiretest.Timeout)
			case <-time.After(10 * time.Millisecond): // the next collection
			}
		}
		if _, body := f.get(t, "/hello"); !strings.HasPrefix(string(body), "GET /hello") {
			t.Fatalf("tls %v: the next stream got %q", tlsOn, body)
		}
	}
}

// TestHTTP2ContextOnReset: a stream the client cancels ends its request's
// context.
func TestHTTP2ContextOnReset(t *testing.T) {
	f := newH2Fixture(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.base+"/wait", nil)
	done := make(chan error, 1)
	go func() {
		_, err := f.client.Do(req)
		done <- err
	}()
	<-f.waiting // the application has the request and waits on its context
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	if err := <-f.waiting; err == nil || err.Error() == "not cancelled" {
		t.Fatalf("the request's context did not end on RST_STREAM: %v", err)
	}
}

// TestHTTP2Curl: curl over h2 (ALPN) and h2c (prior knowledge).
func TestHTTP2Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	for _, mode := range []struct {
		name  string
		tlsOn bool
		flag  string
	}{{"h2", true, "--http2"}, {"h2c", false, "--http2-prior-knowledge"}} {
		t.Run(mode.name, func(t *testing.T) {
			f := newH2Fixture(t, mode.tlsOn)
			ctx, cancel := context.WithTimeout(context.Background(), curlTimeout)
			defer cancel()
			out, err := exec.CommandContext(ctx, curl, "-sS", "-k", mode.flag, "--max-time", "5",
				"-w", "\n%{http_code} %{http_version}", f.base+"/curl").CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			if want := fmt.Sprintf("GET /curl 2.0 host=%s secure=%v\n200 2", f.s.Addr(), mode.tlsOn); string(out) != want {
				t.Errorf("curl printed %q, want %q", out, want)
			}
		})
	}
}

// TestHTTP2Disabled: with DisableHTTP2, ALPN offers only http/1.1; without
// H2C, a cleartext preface gets the 400 of CONFORMANCE's preface row.
func TestHTTP2Disabled(t *testing.T) {
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{DisableHTTP2: true})
	cfg := cert.clientConfig()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: wiretest.Timeout}, "tcp", s.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if p := tc.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("ALPN chose %q with DisableHTTP2", p)
	}

	plain := newServer(t)
	c := plain.dial()
	c.Send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	if resp := c.ReadResponse(false); resp.Status != 400 {
		t.Errorf("preface without H2C: %d, want 400", resp.Status)
	}
}

// TestHTTP2ServeHandler: under ServeHandler, HTTP/2 streams run the handler
// on their own goroutines (two requests are in the handler at once with one
// worker), and a handler that panics has its stream reset while the
// connection serves on.
func TestHTTP2ServeHandler(t *testing.T) {
	s := newServerConfig(t, tinyhttp.ServerConfig{H2C: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	inside := make(chan struct{}, 2)
	s.goroutine(func() {
		s.ServeHandler(1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/panic":
				panic("boom")
			case "/together":
				inside <- struct{}{}
				for len(inside) < 2 { // both requests in the handler at once
					select {
					case <-r.Context().Done():
						return
					case <-time.After(time.Millisecond): // polling the barrier
					}
				}
			}
			fmt.Fprintf(w, "%s %s", r.Proto, r.URL.Path)
		}))
	})
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: wiretest.Timeout}
	base := "http://" + s.Addr().String()
	get := func(path string) (string, error) {
		res, err := client.Get(base + path)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.Status + " " + string(b), err
	}
	var wg sync.WaitGroup
	got := make([]string, 2)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if got[i], err = get("/together"); err != nil {
				got[i] = err.Error()
			}
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != "200 OK HTTP/2.0 /together" {
			t.Errorf("concurrent stream: %q", g)
		}
	}
	if g, err := get("/panic"); err == nil {
		t.Errorf("a panicking handler's stream answered %q, want a reset", g)
	}
	if g, err := get("/after"); err != nil || g != "200 OK HTTP/2.0 /after" {
		t.Errorf("after the panic: %q, %v", g, err)
	}
}
