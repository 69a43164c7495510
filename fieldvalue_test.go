package tinyhttp

import (
	"testing"

	"golang.org/x/net/http/httpguts"
)

// FuzzFieldValue checks validFieldValue against httpguts.
func FuzzFieldValue(f *testing.F) {
	for _, s := range []string{"", "a", "127.0.0.1:8000", "text/html; charset=utf-8", "a\tb", "abcdefg\x7f", "abcdefgh\x01", "\x80\xff obs-text", "abcdefghijklmnop\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := validFieldValue(v), httpguts.ValidHeaderFieldValue(v); got != want {
			t.Fatalf("validFieldValue(%q) = %v, httpguts says %v", v, got, want)
		}
	})
}

// TestFieldKind: the framing fields are found whatever their case, and
// names of the same length are not mistaken for them.
func TestFieldKind(t *testing.T) {
	for name, want := range map[HeaderField]int{
		"host": fieldHost, "HOST": fieldHost, "Hest": fieldOther,
		"content-length": fieldContentLength, "Content-Lengtx": fieldOther,
		"Transfer-Encoding": fieldTransferEncoding, "te": fieldTE, "TF": fieldOther,
		"Connection": fieldConnection, "Upgrade": fieldUpgrade, "expect": fieldExpect,
		"Accept-Encoding": fieldAcceptEncoding, "Accept-Language": fieldOther, "X": fieldOther,
	} {
		if got := fieldKind(name); got != want {
			t.Errorf("fieldKind(%q) = %d, want %d", name, got, want)
		}
	}
}
