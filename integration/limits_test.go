package integration

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTimeoutHandler: http.TimeoutHandler answers 503 with its message for
// a handler that takes too long, and passes a fast one through.
func TestTimeoutHandler(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done(): // TimeoutHandler cancels it
			case <-time.After(testTimeout):
			}
			return
		}
		fmt.Fprint(w, "fast")
	})
	base := serve(t, http.TimeoutHandler(slow, 100*time.Millisecond, "too slow"))
	res, body := get(t, base+"/slow")
	expect(t, "slow", res, body, 503, "too slow")
	res, body = get(t, base+"/fast")
	expect(t, "fast", res, body, 200, "fast")
}

// TestMaxBytesReader: http.MaxBytesReader stops an oversized body with
// *http.MaxBytesError; the handler's 413 reaches the client, and a body
// within the limit is read whole. The oversized body is 64 KiB, which the
// server drains after the handler: with 1 MiB, which it does not drain
// but closes on, Go's client sometimes saw EOF instead of the 413 while it
// was still sending (a lingering-close race left for later; see the notes).
func TestMaxBytesReader(t *testing.T) {
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1024)
		b, err := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("limit %d", tooBig.Limit), http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprintf(w, "read %d", len(b))
	}))
	for _, c := range []struct {
		size   int
		status int
		body   string
	}{{1024, 200, "read 1024"}, {64 << 10, 413, "limit 1024\n"}, {10, 200, "read 10"}} {
		req, _ := http.NewRequest("POST", base+"/", strings.NewReader(strings.Repeat("b", c.size)))
		res, body := fetch(t, req)
		expect(t, fmt.Sprintf("%d-byte body", c.size), res, body, c.status, c.body)
	}
}
