package tinyhttp

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// maxHelloWorldAllocs is the allocation budget of one keep-alive
// hello-world exchange, server and application together: the *Request and
// the application's *Response; the head's bytes go into the connection's
// arena (storeHead), one allocation per few dozen requests. A change that
// adds an allocation to the hot path fails here, not in a benchmark nobody
// reads.
const maxHelloWorldAllocs = 2

// TestHelloWorldAllocations counts the heap allocations of one keep-alive
// exchange over loopback TCP, with a client that allocates nothing, so the
// count is the server's and the application's.
func TestHelloWorldAllocations(t *testing.T) {
	measureHelloAllocations(t, dialHelloTCP(t), maxHelloWorldAllocs)
}

// maxHandlerHelloAllocs bounds the allocations of a hello-world exchange
// through Handle (7.03 measured): the Request, the *http.Request (one
// copy, made by WithContext), its header map, one piece holding the
// ResponseWriter (with the final Response and a small body buffer), the
// URL, the body reader and the context (made only if the handler uses it:
// this one does not), and the handler's own header map with its one value
// (two). net/http's own server makes 17 for the same handler and client
// (BenchmarkNetHTTPHelloTCP). The budget keeps the adaptor from growing
// unnoticed.
const maxHandlerHelloAllocs = 7

// TestHandlerHelloAllocations: the same exchange answered by an
// http.Handler through Handle.
func TestHandlerHelloAllocations(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		io.WriteString(w, "hello world")
	})
	measureHelloAllocations(t, dialHelloWith(t, func(r *Request) { r.Handle(h) }), maxHandlerHelloAllocs)
}

// measureHelloAllocations counts the allocations of one hello-world
// exchange on c and fails above budget.
func measureHelloAllocations(t *testing.T, c net.Conn, budget float64) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	br := bufio.NewReader(c)
	req := []byte(wrkRequest)
	exchange := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if err := readHello(br); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 { // warm the pools and the connection's buffers
		exchange()
	}
	// AllocsPerRun rounds down; the exact mean is logged, for the record.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := testing.AllocsPerRun(1000, exchange)
	runtime.ReadMemStats(&after)
	t.Logf("%.3f allocations per hello-world exchange", float64(after.Mallocs-before.Mallocs)/1001)
	if got > budget {
		t.Errorf("%.2f allocations per hello-world exchange, want at most %v", got, budget)
	}
}

// dialHelloTCP starts a server on loopback TCP whose one receiver answers
// every request "hello world", and dials it. The cleanup closes the
// connection and the server, waits for the receiver to end and, in a test,
// checks that no goroutine outlives the server.
func dialHelloTCP(tb testing.TB) net.Conn {
	tb.Helper()
	return dialHelloWith(tb, func(r *Request) { r.Respond(FromString("hello world")) })
}

// dialHelloWith is dialHelloTCP with answer as the receiver's answer.
func dialHelloWith(tb testing.TB, answer func(*Request)) net.Conn {
	tb.Helper()
	base := wiretest.Goroutines()
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range s.Incoming() {
			answer(r)
		}
	}()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		s.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.Close()
		s.Close()
		<-done
		if t, ok := tb.(*testing.T); ok {
			wiretest.CheckLeaks(t, base)
		}
	})
	return c
}

// readHello consumes one hello-world response, checking its body, without
// allocating.
func readHello(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) == 2 {
			break
		}
	}
	body, err := br.Peek(len("hello world"))
	if err != nil || string(body) != "hello world" {
		return fmt.Errorf("body %q: %w", body, cmp.Or(err, errWrongBody))
	}
	_, err = br.Discard(len(body))
	return err
}

// errWrongBody is readHello's error for a body other than hello world.
var errWrongBody = errors.New("not hello world")
