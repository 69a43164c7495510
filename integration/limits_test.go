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
// within the limit is read whole. Bodies of every size, declared or
// chunked, go over one kept-alive client connection: a body the server
// drains (64 KiB) keeps the connection, a larger one closes it and the 413
// says so, so that Go's client never sends its next request on a
// connection that is going away (it used to see EOF there, one time in
// five).
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
	for round := range 10 {
		for _, c := range []struct {
			size   int
			status int
			body   string
		}{
			{1024, 200, "read 1024"}, {64 << 10, 413, "limit 1024\n"}, {1 << 20, 413, "limit 1024\n"},
			{8 << 20, 413, "limit 1024\n"}, {10, 200, "read 10"},
		} {
			for _, chunked := range []bool{false, true} {
				var body io.Reader = strings.NewReader(strings.Repeat("b", c.size))
				if chunked {
					body = io.MultiReader(body) // no length known: Go's client sends it chunked
				}
				req, _ := http.NewRequest("POST", base+"/", body)
				res, got := fetch(t, req)
				expect(t, fmt.Sprintf("round %d: %d-byte body (chunked %v)", round, c.size, chunked), res, got, c.status, c.body)
			}
		}
	}
}
