package wiretest

import (
	"strings"
	"testing"
	"time"
)

// Timeout bounds every wait of the harness on the network or on the server:
// a response to arrive, a call to return, a goroutine to block. It is
// generous; it is there so that a hang fails, not to measure speed.
const Timeout = 5 * time.Second

// pollInterval is how often the polling waits look at their condition.
const pollInterval = 2 * time.Millisecond

// Within runs fn on a new goroutine and fails the test, with a dump of
// every goroutine, if it does not return within d. fn must not call
// FailNow. It reports whether fn returned; on a timeout fn is left running
// (a leak check will then report it).
func Within(tb testing.TB, d time.Duration, what string, fn func()) bool {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		tb.Errorf("%s did not return within %v; goroutines:\n%s", what, d, Stacks())
		return false
	}
}

// PollUntil polls cond until it holds or Timeout passes, and reports
// whether it held. The short sleeps between polls are not synchronisation:
// cond is the signal waited for.
func PollUntil(cond func() bool) bool {
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}

// WaitParked waits until at least n goroutines with frame on their stack are
// parked on a channel: blocked in a receive, a send or a select. frame is
// matched as a substring of the stack's function lines, such as
// "tinyhttp.(*Server).Recv(" for a goroutine blocked in Server.Recv.
// Inlined calls are listed too, but an inlined function literal is named
// after the function it is inlined into ("pkg.TestX.func2.(*Server).Incoming.1"),
// so match such frames without their package. It is the signal that
// receivers are waiting before a test releases them. It fails the test
// (without FailNow) and reports false if Timeout passes first.
func WaitParked(tb testing.TB, n int, frame string) bool {
	tb.Helper()
	if PollUntil(func() bool { return countParked(Stacks(), frame) >= n }) {
		return true
	}
	tb.Errorf("%d goroutines parked in %s within %v, want %d; goroutines:\n%s",
		countParked(Stacks(), frame), frame, Timeout, n, Stacks())
	return false
}

// countParked counts the goroutines of stacks (runtime.Stack's format) that
// are parked on a channel with frame on their stack.
func countParked(stacks, frame string) int {
	n := 0
	for _, g := range strings.Split(stacks, "\n\n") {
		header, body, _ := strings.Cut(g, "\n")
		if parkedOnChannel(header) && strings.Contains(body, frame) {
			n++
		}
	}
	return n
}

// parkedOnChannel reports whether a goroutine header line ("goroutine 7
// [chan receive, 2 minutes]:") shows a goroutine blocked on a channel.
func parkedOnChannel(header string) bool {
	_, state, ok := strings.Cut(header, " [")
	if !ok {
		return false
	}
	return strings.HasPrefix(state, "chan receive") || strings.HasPrefix(state, "chan send") ||
		strings.HasPrefix(state, "select")
}
