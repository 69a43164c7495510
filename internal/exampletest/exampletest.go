// Package exampletest helps the example programs' tests: it collects what
// an example's run function prints, line by line, so that a test can wait
// for the URL it serves on.
package exampletest

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// lineTimeout bounds the wait for the next line: an example that prints
// nothing must fail its test, not stall it.
const lineTimeout = 5 * time.Second

// Lines is an io.Writer that splits what is written into lines.
type Lines struct {
	mu      sync.Mutex
	partial string
	ch      chan string
}

// NewLines returns an empty Lines.
func NewLines() *Lines { return &Lines{ch: make(chan string, 16)} }

// Write collects p; every complete line becomes available to Next.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial += string(p)
	for {
		line, rest, ok := strings.Cut(l.partial, "\n")
		if !ok {
			return len(p), nil
		}
		l.partial = rest
		select {
		case l.ch <- line:
		default:
		}
	}
}

// Next returns the next line printed, failing the test after lineTimeout.
func (l *Lines) Next(t *testing.T) string {
	t.Helper()
	select {
	case line := <-l.ch:
		return line
	case <-time.After(lineTimeout):
		t.Fatalf("the example printed nothing within %v", lineTimeout)
		return ""
	}
}
