package integration

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// testTimeout bounds every request and wait: a hang fails the test.
const testTimeout = 20 * time.Second

// serve starts tinyhttp on a loopback port with every request through h
// (ServeHandler) and returns its base URL. When the test ends the server
// shuts down and the goroutine count must come back to where it was.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	return "http://" + startServer(t, tinyhttp.ServerConfig{Addr: "127.0.0.1:0"}, func(s *tinyhttp.Server) error {
		return s.ServeHandler(4, h)
	})
}

// startServer starts a tinyhttp server with cfg, runs run (Serve or
// ServeHandler) on it, and returns its address. When the test ends the
// server shuts down, run must return, and the goroutine count must come
// back to where it was.
func startServer(t *testing.T, cfg tinyhttp.ServerConfig, run func(*tinyhttp.Server) error) string {
	t.Helper()
	before := runtime.NumGoroutine()
	s, err := tinyhttp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(s)
	}()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case <-done:
		case <-time.After(testTimeout):
			t.Fatal("the server did not return after Shutdown")
		}
		checkGoroutines(t, before)
	})
	return s.Addr().String()
}

// checkGoroutines waits (boundedly) for the goroutine count to fall back to
// before; more means a leak.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d after the test, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond) // polling the goroutine count
	}
}

// client is the tests' HTTP client; every request is bounded.
var client = &http.Client{Timeout: testTimeout}

// fetch sends req and returns the response with its body read.
func fetch(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s body: %v", req.Method, req.URL, err)
	}
	return res, string(b)
}

// get fetches url with GET and optional header pairs.
func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return fetch(t, req)
}

// expect checks a response's status and body.
func expect(t *testing.T, what string, res *http.Response, body string, status int, want string) {
	t.Helper()
	if res.StatusCode != status || body != want {
		t.Errorf("%s: %d %q, want %d %q", what, res.StatusCode, body, status, want)
	}
}
