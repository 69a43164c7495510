package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// TestReverseProxy: httputil.ReverseProxy on tinyhttp in front of a
// net/http backend: headers both ways, X-Forwarded-For, a POST body, and a
// streamed (flushed, chunked) answer.
func TestReverseProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "yes")
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s xff=%s hdr=%s", r.Method, b, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Client"))
		case "/stream":
			for i := range 3 {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(backend.Close)
	target, _ := url.Parse(backend.URL)
	base := serve(t, httputil.NewSingleHostReverseProxy(target))

	req, _ := http.NewRequest("POST", base+"/echo", strings.NewReader("payload"))
	req.Header.Set("X-Client", "c1")
	res, body := fetch(t, req)
	expect(t, "proxied POST", res, body, 200, "POST payload xff=127.0.0.1 hdr=c1")
	if res.Header.Get("X-Backend") != "yes" {
		t.Error("the backend's header did not come back")
	}
	res, body = get(t, base+"/stream")
	expect(t, "streamed", res, body, 200, "part0;part1;part2;")
	if res.ContentLength != -1 {
		t.Errorf("a flushed answer has Content-Length %d, want chunked", res.ContentLength)
	}
}
