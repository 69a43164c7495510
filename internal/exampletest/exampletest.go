// Package exampletest helps the example programs' tests: it collects what
// an example's run function prints, line by line, so that a test can wait
// for the URL it serves on.
package exampletest

import (
	"context"
	"fmt"
	"io"
	"runtime"
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

// RunFunc is an example's run function: it serves until ctx ends, printing
// "listening on URL" to out once it listens.
type RunFunc func(ctx context.Context, args []string, out io.Writer) error

// stopTimeout bounds the wait for run to return once its context ends.
const stopTimeout = 10 * time.Second

// Start runs run with args and waits for the URL it prints. stop ends run
// and returns its error. When the test ends (after its deferred calls, so
// after it closed its clients), run is stopped if it still runs, and the
// goroutine count must come back to what it was before Start.
func Start(t *testing.T, run RunFunc, args ...string) (out *Lines, url string, stop func() error) {
	t.Helper()
	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	out = NewLines()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, out) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(stopTimeout):
				runErr = fmt.Errorf("run did not return within %v after its context ended", stopTimeout)
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		stop()
		WaitGoroutines(t, baseline)
	})
	line := out.Next(t)
	url, _, _ = strings.Cut(strings.TrimPrefix(line, "listening on "), " ")
	if !strings.HasPrefix(line, "listening on ") {
		t.Fatalf("printed %q, want the URL", line)
	}
	return out, url, stop
}

// leakTimeout bounds the wait for goroutines to exit.
const leakTimeout = 5 * time.Second

// WaitGoroutines polls until the goroutine count is back to at most
// baseline, failing the test with every goroutine's stack after leakTimeout.
func WaitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(leakTimeout)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Errorf("goroutine leak: %d goroutines, %d before\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
