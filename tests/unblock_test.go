package tests

// Tests from tiny_http 0.12, tests/unblock-test.rs.

import (
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// TestUnblock_UnblockServer is unblock-test.rs unblock_server: an Unblock
// from another goroutine ends a range over Incoming that would otherwise
// wait forever.
func TestUnblock_UnblockServer(t *testing.T) {
	s := newServer(t)
	s.goroutine(s.Unblock)

	wiretest.Within(t, wiretest.Timeout, "range over Incoming after Unblock", func() {
		for r := range s.Incoming() {
			t.Errorf("unexpected request %s %s", r.Method(), r.URL())
		}
	})
}

// TestUnblock_UnblockThreads is unblock-test.rs unblock_threads: two
// goroutines ranging over Incoming both end after two Unblock calls (one
// each).
func TestUnblock_UnblockThreads(t *testing.T) {
	s := newServer(t)
	done := make(chan struct{}, 2)
	for range 2 {
		s.goroutine(func() {
			for r := range s.Incoming() {
				t.Errorf("unexpected request %s %s", r.Method(), r.URL())
			}
			done <- struct{}{}
		})
	}

	// Graceful shutdown; removing even one of the Unblock calls prevents
	// termination.
	s.Unblock()
	s.Unblock()
	for i := range 2 {
		select {
		case <-done:
		case <-time.After(wiretest.Timeout):
			t.Fatalf("%d of 2 receivers still blocked after two Unblock calls", 2-i)
		}
	}
}
