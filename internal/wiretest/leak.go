package wiretest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// LeakTimeout is how long CheckLeaks lets goroutines take to exit.
const LeakTimeout = 5 * time.Second

// leakPollInterval is how often CheckLeaks counts the goroutines (each count
// dumps every stack).
const leakPollInterval = 10 * time.Millisecond

// Goroutines counts the live goroutines, leaving out the os/signal loop
// that the fuzzing engine starts (once, for the process) while a target
// runs. Take it before starting a server, as CheckLeaks's baseline.
func Goroutines() int {
	n := 0
	for _, g := range strings.Split(Stacks(), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") && !strings.Contains(g, "os/signal.signal_recv") {
			n++
		}
	}
	return n
}

// CheckLeaks polls until Goroutines is back to at most baseline, failing
// with a dump of every goroutine when it is not within LeakTimeout.
func CheckLeaks(tb testing.TB, baseline int) {
	tb.Helper()
	deadline := time.Now().Add(LeakTimeout)
	for {
		n := Goroutines()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			tb.Errorf("goroutine leak: %d goroutines %v after Close, %d before the server started:\n%s",
				n, LeakTimeout, baseline, Stacks())
			return
		}
		time.Sleep(leakPollInterval)
	}
}

// Stacks returns the stacks of all goroutines, as a panic prints them.
func Stacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
