package tinyhttp

import (
	"strconv"
	"testing"
)

// TestAppendDecimal: the fast path for small lengths formats like strconv.
func TestAppendDecimal(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456789, 1 << 62} {
		if got, want := string(appendDecimal(nil, n)), strconv.FormatInt(n, 10); got != want {
			t.Errorf("appendDecimal(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestAppendStatusLine: codes with a phrase come from the table, others
// are formatted, both alike.
func TestAppendStatusLine(t *testing.T) {
	for _, tt := range []struct {
		code StatusCode
		want string
	}{
		{200, "HTTP/1.1 200 OK\r\n"},
		{404, "HTTP/1.1 404 Not Found\r\n"},
		{299, "HTTP/1.1 299 Unknown\r\n"},
		{999, "HTTP/1.1 999 Unknown\r\n"},
	} {
		if got := string(appendStatusLine(nil, tt.code)); got != tt.want {
			t.Errorf("status line of %d: %q, want %q", tt.code, got, tt.want)
		}
	}
}
