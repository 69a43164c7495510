package tests

// Tests from tiny_http 0.12, tests/simple-test.rs.

import (
	"testing"

	"github.com/c0c8f223/tinyhttp"
)

// TestSimple_BasicHandling is simple-test.rs basic_handling: one request is
// received, answered, and nothing else is queued.
//
// Adjusted: the URL check, commented out in the Rust test, is made.
func TestSimple_BasicHandling(t *testing.T) {
	s := newServer(t)
	c := s.dial()
	c.Send("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")

	r := s.recv()
	if r.Method() != tinyhttp.MethodGet {
		t.Errorf("Method() = %q, want GET", r.Method())
	}
	if r.URL() != "/" {
		t.Errorf("URL() = %q, want /", r.URL())
	}
	answerHelloAlone(t, s, r, c)
}
