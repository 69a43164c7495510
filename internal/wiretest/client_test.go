package wiretest

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rawServer serves one connection on 127.0.0.1 with serve, and returns the
// address to dial. The test's end waits for serve to return.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		serve(conn)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// writeThenClose is a server that writes raw and closes the connection.
func writeThenClose(raw string) func(net.Conn) {
	return func(conn net.Conn) { io.WriteString(conn, raw) }
}

const okTen = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"

// TestClientReadAll reads responses until the server's FIN.
func TestClientReadAll(t *testing.T) {
	c := Dial(t, "tcp", rawServer(t, writeThenClose(okTen+okTen)))
	res := c.ReadAll()
	if res.Err != nil || !res.Closed || res.Reset || len(res.Finals()) != 2 {
		t.Errorf("want two responses, then a FIN\n%v", res)
	}
}

// TestClientReadAllReset notes a reset as a close.
func TestClientReadAllReset(t *testing.T) {
	c := Dial(t, "tcp", rawServer(t, func(conn net.Conn) {
		conn.Read(make([]byte, 1))       // reset a connection that is established
		conn.(*net.TCPConn).SetLinger(0) // the close is a reset
	}))
	c.Send("x")
	if res := c.ReadAll(); res.Err != nil || !res.Closed || !res.Reset || len(res.Resps) != 0 {
		t.Errorf("want a reset\n%v", res)
	}
}

// TestClientReadAllAfterClose: bytes after Connection: close are an error.
func TestClientReadAllAfterClose(t *testing.T) {
	c := Dial(t, "tcp", rawServer(t, writeThenClose("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"+okTen)))
	if res := c.ReadAll(); res.Err == nil || len(res.Resps) != 1 {
		t.Errorf("want one response, then an error\n%v", res)
	}
}

// TestClientReadAllStopsAt101 leaves the bytes after a 101 unread, on an
// open connection.
func TestClientReadAllStopsAt101(t *testing.T) {
	release := make(chan struct{})
	c := Dial(t, "tcp", rawServer(t, func(conn net.Conn) {
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw")
		<-release
	}))
	defer close(release)
	res := c.ReadAll()
	if res.Err != nil || res.Closed || len(res.Resps) != 1 || res.Resps[0].Status != 101 {
		t.Errorf("want the 101 alone, the connection open\n%v", res)
	}
	if got := c.ReadExactly(3); string(got) != "raw" {
		t.Errorf("after the 101: %q, want raw", got)
	}
}

// TestClientInvariants: a client asked to check invariants reports a
// response without Date.
func TestClientInvariants(t *testing.T) {
	rec := &errorRecorder{TB: t}
	c := Dial(rec, "tcp", rawServer(t, writeThenClose(okTen)))
	c.Invariants = true
	if r := c.ReadResponse(false); string(r.Body) != "0123456789" {
		t.Errorf("body %q", r.Body)
	}
	if len(rec.errs) != 1 {
		t.Errorf("errors %q, want the missing Date", rec.errs)
	}
}

// TestClientSendCloseWrite sends, half-closes, and reads the echo of the
// length sent; the server's close is a FIN.
func TestClientSendCloseWrite(t *testing.T) {
	c := Dial(t, "tcp", rawServer(t, func(conn net.Conn) {
		b, _ := io.ReadAll(conn)
		io.WriteString(conn, strconv.Itoa(len(b)))
	}))
	c.Send("hello ")
	c.Send("world")
	if c.Sent() != 11 {
		t.Errorf("Sent() = %d, want 11", c.Sent())
	}
	c.CloseWrite()
	if got := c.ReadExactly(2); string(got) != "11" {
		t.Errorf("the server read %s bytes, want 11", got)
	}
	c.ExpectFIN()
}

// TestClientReadToEOF returns the raw bytes; ExpectClosed then passes.
func TestClientReadToEOF(t *testing.T) {
	c := Dial(t, "tcp", rawServer(t, writeThenClose(okTen)))
	if got := c.ReadToEOF(); got != okTen {
		t.Errorf("ReadToEOF() = %q, want %q", got, okTen)
	}
	c.ExpectClosed()
}

// TestReadWatcher: WaitConsumed returns once the server has read what was
// sent and asks for more.
func TestReadWatcher(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := WatchReads(ln)
	lines := make(chan string, 2)
	go func() {
		defer close(lines)
		conn, err := w.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	defer func() {
		ln.Close()
		for range lines {
		}
	}()
	c := Dial(t, "tcp", w.Addr().String())
	defer c.Close()
	c.Send("one\ntw")
	if !w.WaitConsumed(t, c) {
		return
	}
	if got := <-lines; got != "one\n" {
		t.Errorf("line %q, want one", got)
	}
	c.Send("o\n")
	w.WaitConsumed(t, c)
	if got := <-lines; got != "two\n" {
		t.Errorf("line %q, want two", got)
	}
}

// parkHere blocks on ch, for TestWaitParked.
func parkHere(ch chan struct{}) { <-ch }

// TestWaitParked sees goroutines blocked in a function.
func TestWaitParked(t *testing.T) {
	ch := make(chan struct{})
	done := make(chan struct{})
	for range 2 {
		go func() {
			parkHere(ch)
			done <- struct{}{}
		}()
	}
	WaitParked(t, 2, "wiretest.parkHere(")
	close(ch)
	<-done
	<-done
}

// TestCountParked reads goroutine states from runtime.Stack's format.
func TestCountParked(t *testing.T) {
	stacks := strings.Join([]string{
		"goroutine 1 [running]:\nmain.f(...)\n\t/f.go:1",
		"goroutine 2 [chan receive]:\nx.(*Server).Recv(...)\n\t/s.go:1",
		"goroutine 3 [select, 2 minutes]:\nx.(*Server).Recv(...)\n\t/s.go:1",
		"goroutine 4 [sync.Mutex.Lock]:\nx.(*Server).Recv(...)\n\t/s.go:1",
		"goroutine 5 [chan receive]:\nx.(*Server).RecvTimeout(...)\n\t/s.go:1",
		"goroutine 6 [runnable]:\nx.(*Server).Recv(...)\n\t/s.go:1",
	}, "\n\n")
	got := []int{countParked(stacks, "x.(*Server).Recv("), countParked(stacks, "RecvTimeout("), countParked(stacks, "main.f")}
	if diff := cmp.Diff([]int{2, 1, 0}, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestWithin returns true for a function that returns.
func TestWithin(t *testing.T) {
	ran := false
	if !Within(t, Timeout, "a quick function", func() { ran = true }) || !ran {
		t.Errorf("Within did not wait for the function")
	}
}
