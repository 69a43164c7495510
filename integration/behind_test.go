package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// startPull starts a tinyhttp server whose requests go to handle on
// workers goroutines, and returns its address; it shuts down when the
// test ends, and the goroutine count must come back.
func startPull(t *testing.T, cfg tinyhttp.ServerConfig, workers int, handle func(*tinyhttp.Request)) string {
	t.Helper()
	return startServer(t, cfg, func(s *tinyhttp.Server) error { return s.Serve(workers, handle) })
}

// TestBehindReverseProxy: tinyhttp behind net/http's httputil.ReverseProxy
// (a Go gateway in front of a pull-API service): a POST body streamed
// through, a chunked answer, the client's address from X-Forwarded-For
// with the proxy trusted, and keep-alive between the proxy and tinyhttp.
func TestBehindReverseProxy(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	var conns atomic.Int32
	backend := startPull(t, tinyhttp.ServerConfig{
		Addr: "127.0.0.1:0",
		ConnState: func(_ net.Conn, st tinyhttp.ConnState) {
			if st == tinyhttp.StateNew {
				conns.Add(1)
			}
		},
	}, 4, func(r *tinyhttp.Request) {
		switch r.URL() {
		case "/upload":
			n, _ := io.Copy(io.Discard, r.Body())
			r.Respond(tinyhttp.FromString(fmt.Sprintf("got %d from %v", n, tinyhttp.ClientAddr(r, loopback))))
		case "/stream":
			w, err := r.IntoWriter()
			if err != nil {
				return
			}
			io.WriteString(w, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\npart1\r\n5\r\npart2\r\n0\r\n\r\n")
			w.Close()
		default:
			r.Respond(tinyhttp.FromString("hello " + r.URL()))
		}
	})
	target, _ := url.Parse("http://" + backend)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(proxy.Close)

	body := strings.Repeat("u", 3<<20)
	req, _ := http.NewRequest("POST", proxy.URL+"/upload", io.MultiReader(strings.NewReader(body))) // chunked
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	res, got := fetch(t, req)
	// The proxy appends its peer (127.0.0.1), which is trusted: the client
	// is the address the proxy was given.
	expect(t, "upload through the proxy", res, got, 200, fmt.Sprintf("got %d from 203.0.113.7", len(body)))
	for i := range 20 {
		res, got = get(t, fmt.Sprintf("%s/n%d", proxy.URL, i))
		expect(t, "GET through the proxy", res, got, 200, fmt.Sprintf("hello /n%d", i))
	}
	res, got = get(t, proxy.URL+"/stream")
	expect(t, "chunked answer through the proxy", res, got, 200, "part1part2")
	if n := conns.Load(); n > 3 {
		t.Errorf("the proxy opened %d connections to tinyhttp for 22 sequential requests: keep-alive is not working", n)
	}
}

// TestMaxBodyBytesExpectContinue: with MaxBodyBytes, Go's client that
// sends Expect: 100-continue gets the 413 without sending its body, and a
// body within the limit goes through after the 100 Continue.
func TestMaxBodyBytesExpectContinue(t *testing.T) {
	base := "http://" + startPull(t, tinyhttp.ServerConfig{Addr: "127.0.0.1:0", MaxBodyBytes: 1 << 10}, 2, func(r *tinyhttp.Request) {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			r.Respond(tinyhttp.Empty(400))
			return
		}
		r.Respond(tinyhttp.FromString(fmt.Sprintf("read %d", len(b))))
	})
	tr := &http.Transport{ExpectContinueTimeout: testTimeout}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, Timeout: testTimeout}
	for _, tc := range []struct {
		size     int
		status   int
		body     string
		wantRead bool
	}{{512, 200, "read 512", true}, {1 << 20, 413, "", false}, {1 << 10, 200, "read 1024", true}} {
		src := &countingReader{r: strings.NewReader(strings.Repeat("e", tc.size))}
		req, _ := http.NewRequest("PUT", base+"/", src)
		req.ContentLength = int64(tc.size)
		req.Header.Set("Expect", "100-continue")
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%d bytes: %v", tc.size, err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || (tc.body != "" && string(got) != tc.body) {
			t.Errorf("%d bytes: %d %q, want %d %q", tc.size, res.StatusCode, got, tc.status, tc.body)
		}
		if read := src.n.Load() > 0; read != tc.wantRead {
			t.Errorf("%d bytes: the client sent %d body bytes; want some: %v", tc.size, src.n.Load(), tc.wantRead)
		}
	}
}

// countingReader counts what the client read of a request body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestPullAndHandleOnOneConnection: on one connection, pipelined requests
// answered some by Respond and some by net/http handlers through Handle,
// from several workers at once, leave in request order.
func TestPullAndHandleOnOneConnection(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/h/", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond) // the handler finishes after later pull answers are ready
		fmt.Fprintf(w, "handler %s", r.URL.Path)
	})
	addr := startPull(t, tinyhttp.ServerConfig{Addr: "127.0.0.1:0"}, 8, func(r *tinyhttp.Request) {
		if strings.HasPrefix(r.URL(), "/h/") {
			r.Handle(mux)
			return
		}
		r.Respond(tinyhttp.FromString("pull " + r.URL()))
	})
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(testTimeout))
	const n = 60
	var batch strings.Builder
	for i := range n {
		prefix := "/p/"
		if i%3 == 0 {
			prefix = "/h/"
		}
		fmt.Fprintf(&batch, "GET %s%d HTTP/1.1\r\nHost: x\r\n\r\n", prefix, i)
	}
	if _, err := io.WriteString(nc, batch.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	for i := range n {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		got, _ := io.ReadAll(res.Body)
		want := fmt.Sprintf("pull /p/%d", i)
		if i%3 == 0 {
			want = fmt.Sprintf("handler /h/%d", i)
		}
		if string(got) != want {
			t.Fatalf("response %d: %q, want %q (out of order)", i, got, want)
		}
	}
}
