package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/exampletest"
)

// TestCGIExample_Run runs the example on a free port and fetches through its CGI script.
func TestCGIExample_Run(t *testing.T) {
	_, url, stop := exampletest.Start(t, run, "-addr", "127.0.0.1:0")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed URL %q", url)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Post(url+"p?q=1", "text/plain", strings.NewReader("posted"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"method: POST\n", "path: /p\n", "query: q=1\n", "body: posted\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}
