package wiretest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// Result is everything a client read from a connection until the server
// closed it (or something went wrong first).
type Result struct {
	Resps  []*Response // in wire order, 1xx included
	Closed bool        // the server closed the connection (FIN, or a reset)
	Reset  bool        // the close was a reset, not a FIN
	Err    error       // a malformed response, or the deadline passed first
}

// Finals returns the final (non-1xx) responses.
func (res Result) Finals() []*Response {
	var out []*Response
	for _, r := range res.Resps {
		if r.Status >= 200 {
			out = append(out, r)
		}
	}
	return out
}

// String describes the result, one response a line, for failure messages.
func (res Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "closed=%v reset=%v err=%v, %d responses", res.Closed, res.Reset, res.Err, len(res.Resps))
	for i, r := range res.Resps {
		fmt.Fprintf(&b, "\n  [%d] %v", i, r)
	}
	return b.String()
}

// noteEnd records why no further response came: the server closed the
// connection (with a FIN or a reset), or the read failed or timed out.
func (res *Result) noteEnd(err error) {
	switch {
	case err == io.EOF:
		res.Closed = true
	case errors.Is(err, syscall.ECONNRESET):
		res.Closed, res.Reset = true, true
	default:
		res.Err = fmt.Errorf("after %d responses, the server neither sent more nor closed: %w", len(res.Resps), err)
	}
}
