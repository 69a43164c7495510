package wiretest

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// CheckInvariants checks the rules every response must follow, citing the
// CONFORMANCE.md rule each enforces: a valid Date on 2xx–4xx (C15), and no
// chunked framing to an HTTP/1.0 request (C06, C07, C16) when http10 is
// set. The parser itself enforces the HTTP/1.1 status line, refuses both
// Content-Length and Transfer-Encoding (C16) and framing fields on 1xx and
// 204 (C13, C14). where names the response in failure messages.
func CheckInvariants(tb testing.TB, where string, r *Response, http10 bool) {
	tb.Helper()
	if r.Status >= 200 && r.Status < 500 {
		dates := r.Values("Date")
		if len(dates) != 1 {
			tb.Errorf("C15: %s (%d) has %d Date fields, want 1", where, r.Status, len(dates))
		} else if err := CheckDate(dates[0]); err != nil {
			tb.Errorf("C15: %s: %v", where, err)
		}
	}
	if http10 && r.Has("Transfer-Encoding") {
		tb.Errorf("C16: %s to an HTTP/1.0 request carries Transfer-Encoding: %v", where, r.Values("Transfer-Encoding"))
	}
}

// CheckDate checks that v is an IMF-fixdate in canonical form (RFC 9110
// §5.6.7).
func CheckDate(v string) error {
	t, err := time.Parse(http.TimeFormat, v)
	if err != nil {
		return fmt.Errorf("the Date value %q is not an IMF-fixdate: %w", v, err)
	}
	if got := t.UTC().Format(http.TimeFormat); got != v {
		return fmt.Errorf("the Date value %q is not in canonical IMF-fixdate form (%q)", v, got)
	}
	return nil
}
