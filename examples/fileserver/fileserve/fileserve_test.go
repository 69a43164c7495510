package fileserve

import (
	"slices"
	"testing"
)

// TestDecodePath checks the path policy on raw request paths, without a
// file system.
func TestDecodePath(t *testing.T) {
	tests := []struct {
		raw      string
		segs     []string
		trailing bool
		ok       bool
	}{
		{"/", nil, true, true},
		{"/a/b.txt", []string{"a", "b.txt"}, false, true},
		{"/a/b/", []string{"a", "b"}, true, true},
		{"//a/./b", []string{"a", "b"}, false, true},
		{"/caf%C3%A9%20menu.txt", []string{"café menu.txt"}, false, true},
		{"/100%25", []string{"100%"}, false, true},
		{"/a+b", []string{"a+b"}, false, true},
		{"/%252e%252e", []string{"%2e%2e"}, false, true}, // decoded once: a name, not ".."
		{"/...", []string{"..."}, false, true},
		{"/..a", []string{"..a"}, false, true},
		{"/..", nil, false, false},
		{"/../x", nil, false, false},
		{"/a/../b", nil, false, false},
		{"/%2e%2e/x", nil, false, false},
		{"/%2E./x", nil, false, false},
		{"/a%2fb", nil, false, false},
		{"/a%2Fb", nil, false, false},
		{`/a\b`, nil, false, false},
		{"/a%5cb", nil, false, false},
		{"/a%00", nil, false, false},
		{"/%zz", nil, false, false},
		{"/%", nil, false, false},
		{"/%2", nil, false, false},
		{"a/b", nil, false, false},
		{"", nil, false, false},
	}
	for _, tt := range tests {
		segs, trailing, err := decodePath(tt.raw)
		if (err == nil) != tt.ok || !slices.Equal(segs, tt.segs) || trailing != tt.trailing {
			t.Errorf("decodePath(%q) = %q, %v, %v; want %q, %v, ok %v", tt.raw, segs, trailing, err, tt.segs, tt.trailing, tt.ok)
		}
	}
}

func TestSplitTarget(t *testing.T) {
	tests := []struct{ target, path, query string }{
		{"/a?b=c", "/a", "b=c"},
		{"/a", "/a", ""},
		{"http://h/a/b?q", "/a/b", "q"},
		{"HTTP://h", "/", ""},
		{"http://h?q=1", "/", "q=1"},
		{"/a#frag", "/a", ""},
	}
	for _, tt := range tests {
		p, q, err := splitTarget(tt.target)
		if err != nil || p != tt.path || q != tt.query {
			t.Errorf("splitTarget(%q) = %q, %q, %v; want %q, %q", tt.target, p, q, err, tt.path, tt.query)
		}
	}
	for _, bad := range []string{"*", "example.com:443", "ftp://h/a", "a"} {
		if _, _, err := splitTarget(bad); err == nil {
			t.Errorf("splitTarget(%q) accepted", bad)
		}
	}
}

func TestEscapePath(t *testing.T) {
	if got := escapePath([]string{"a b", "c?d", "é"}); got != "/a%20b/c%3Fd/%C3%A9" {
		t.Errorf("escapePath = %q", got)
	}
	if got := escapePath(nil); got != "/" {
		t.Errorf("escapePath(nil) = %q", got)
	}
}
