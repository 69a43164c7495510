package tinyhttp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Fault tests: clients that misbehave must not disturb other clients or
// lose a response already promised.

// serveHello answers every request with its URL until the server closes.
func serveHello(s *Server, workers int) {
	for range workers {
		go func() {
			for r := range s.Incoming() {
				io.Copy(io.Discard, r.Body())
				r.Respond(FromString("hello " + r.URL()))
			}
		}()
	}
}

// checkAlive fails the test if a fresh client cannot get a response.
func checkAlive(t *testing.T, s *Server) {
	t.Helper()
	c := dial(t, s)
	defer c.Close()
	io.WriteString(c, "GET /alive HTTP/1.1\r\nHost: a\r\n\r\n")
	if got := readResponses(t, bufio.NewReader(c), 1); got[0] != "200 OK hello /alive" {
		t.Fatalf("server not alive: %q", got)
	}
}

func TestFaultClientResetMidBody(t *testing.T) {
	s := startServer(t, ServerConfig{})
	serveHello(s, 2)
	c := dial(t, s)
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("x", 5000))
	c.(*net.TCPConn).SetLinger(0) // close with RST
	c.Close()
	checkAlive(t, s)
}

func TestFaultClientResetMidResponse(t *testing.T) {
	s := startServer(t, ServerConfig{})
	big := strings.Repeat("y", 8<<20)
	go func() {
		for r := range s.Incoming() {
			r.Respond(FromString(big))
		}
	}()
	c := dial(t, s)
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
	buf := make([]byte, 1000)
	io.ReadFull(c, buf)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	c2 := dial(t, s)
	io.WriteString(c2, "GET /small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := io.Copy(io.Discard, res.Body); n != int64(len(big)) {
		t.Fatalf("second client got %d bytes", n)
	}
}

// TestFaultHalfClose: a client that sends its requests and half-closes
// still gets every response (EOF on read is not a reason to drop them).
func TestFaultHalfClose(t *testing.T) {
	s := startServer(t, ServerConfig{})
	serveHello(s, 2)
	c := dial(t, s)
	io.WriteString(c, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
	c.(*net.TCPConn).CloseWrite()
	got := readResponses(t, bufio.NewReader(c), 2)
	if diff := cmp.Diff([]string{"200 OK hello /1", "200 OK hello /2"}, got); diff != "" {
		t.Fatalf("responses (-want +got):\n%s", diff)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the responses: %v, want EOF", err)
	}
}

// TestFaultSlowReaderCutOff: a client that stops reading is cut off after
// WriteTimeout, and the goroutine that was writing is freed.
func TestFaultSlowReaderCutOff(t *testing.T) {
	s := startServer(t, ServerConfig{WriteTimeout: 200 * time.Millisecond})
	big := strings.Repeat("z", 64<<20)
	errc := make(chan error, 1)
	go func() {
		r, err := s.Recv()
		if err != nil {
			errc <- err
			return
		}
		errc <- r.Respond(FromString(big))
	}()
	c := dial(t, s)
	c.(*net.TCPConn).SetReadBuffer(4096)
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Respond to a client that never reads succeeded")
		}
	case <-time.After(testTimeout):
		t.Fatal("the writing goroutine was never freed")
	}
	serveHello(s, 1)
	checkAlive(t, s)
}

// TestFaultPipelineFloodBounded: a client that pipelines without reading
// gets at most the read-ahead limit of requests queued.
func TestFaultPipelineFloodBounded(t *testing.T) {
	s := startServer(t, ServerConfig{MaxPipelined: 8})
	c := dial(t, s)
	go func() {
		req := []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1000))
		for i := 0; i < 100; i++ {
			if _, err := c.Write(req); err != nil {
				return
			}
		}
	}()
	var held []*Request
	for range 8 { // the read-ahead limit arrives, however slow the machine
		held = append(held, recvOne(t, s))
	}
	// Then nothing more while none is answered. (A wait can only show that
	// nothing came in that time; the server must not read the ninth at all.)
	if r, _ := s.RecvTimeout(300 * time.Millisecond); r != nil {
		held = append(held, r)
		t.Errorf("a request beyond the read-ahead limit was queued: %s", r.URL())
	}
	for _, r := range held {
		r.Respond(Empty(204))
	}
}

// TestFaultManyVanishingClients: clients that connect and vanish leave no
// connection behind.
func TestFaultManyVanishingClients(t *testing.T) {
	s := startServer(t, ServerConfig{})
	serveHello(s, 2)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				return
			}
			switch i % 3 {
			case 0:
				io.WriteString(c, "GET / HTTP/1.1\r\nHo")
			case 1:
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
			}
			c.Close()
		}(i)
	}
	wg.Wait()
	checkAlive(t, s)
	deadline := time.Now().Add(testTimeout)
	for s.NumConnections() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.NumConnections(); n > 0 {
		t.Fatalf("%d connections left after every client vanished", n)
	}
}

// fdChildEnv marks the subprocess of TestFaultFDExhaustion.
const fdChildEnv = "TINYHTTP_FD_CHILD"

// fdLimit is the child's RLIMIT_NOFILE: low enough to exhaust with a few
// dozen connections.
const fdLimit = 48

// TestFaultFDExhaustion runs a server in a subprocess with a low
// RLIMIT_NOFILE, exhausts its descriptors with connections, and checks the
// server keeps serving the ones it has, backs off, and serves the waiting
// clients once descriptors free up.
func TestFaultFDExhaustion(t *testing.T) {
	if os.Getenv(fdChildEnv) != "" {
		runFDChild()
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("RLIMIT_NOFILE test is Linux-only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultFDExhaustion$")
	cmd.Env = append(os.Environ(), fdChildEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSpace(addr)

	const clients = 2 * fdLimit
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(3 * testTimeout))
		conns[i] = c
		defer c.Close()
	}
	served := make(chan int, clients)
	for i, c := range conns {
		go func(i int, c net.Conn) {
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
			if res, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && res.StatusCode == 200 {
				served <- i
				return
			}
			served <- -1
		}(i, c)
	}
	// Connection: close lets the first ones finish and free descriptors,
	// so every client must be served in the end.
	for range clients {
		select {
		case i := <-served:
			if i < 0 {
				t.Fatal("a client got no response")
			}
		case <-time.After(3 * testTimeout):
			t.Fatal("clients left unserved after descriptors freed up")
		}
	}
}

// runFDChild is the subprocess: lower the descriptor limit, serve, print
// the address.
func runFDChild() {
	lim := syscall.Rlimit{Cur: fdLimit, Max: fdLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(1)
	}
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", ErrorLog: discardLog()})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(s.Addr())
	serveHello(s, 4)
	// Not synchronisation: the child serves until the test kills it, and
	// exits on its own if the test died first.
	time.Sleep(time.Minute)
	os.Exit(0)
}
