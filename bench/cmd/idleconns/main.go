// Command idleconns opens many keep-alive connections to a server, sends one
// request on each, reads the response, and then holds them all open, so that
// the benchmark can read the server's memory with that many idle clients.
//
// Once every connection is set up it prints one line to stdout:
//
//	ready ok=N failed=M open=K
//
// where ok connections got a 2xx answer, failed did not, and open is how
// many were still open a moment later (a server may drop idle clients). It
// then holds the connections until -hold passes or it gets SIGINT/SIGTERM.
//
// Usage: idleconns -addr 127.0.0.1:8080 [-n 10000] [-hold 30s]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// config holds the command-line options.
type config struct {
	addr     string
	path     string
	n        int
	parallel int
	timeout  time.Duration
	hold     time.Duration
	probe    time.Duration
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:8080", "server address")
	flag.StringVar(&c.path, "path", "/", "request path")
	flag.IntVar(&c.n, "n", 10000, "connections to open")
	flag.IntVar(&c.parallel, "parallel", 64, "connections being set up at once (bounded so the listen backlog does not overflow)")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "limit for dialing and for one response")
	flag.DurationVar(&c.hold, "hold", 30*time.Second, "how long to hold the connections after the ready line")
	flag.DurationVar(&c.probe, "probe", 200*time.Millisecond, "how long to wait for a close when probing that connections are still open")
	flag.Parse()
	return c
}

// open dials addr, sends one GET and reads the whole response. It returns
// the connection, still open, when the answer was a 2xx.
func open(c config) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return nil, err
	}
	if err := exchange(conn, c); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// exchange sends one request on conn and reads its response.
func exchange(conn net.Conn, c config) error {
	if err := conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return err
	}
	req := "GET " + c.path + " HTTP/1.1\r\nHost: " + c.addr + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return conn.SetDeadline(time.Time{})
}

// openAll opens c.n connections, c.parallel at a time. It returns the open
// connections and the first few errors.
func openAll(c config) ([]net.Conn, []error) {
	var (
		mu    sync.Mutex
		conns = make([]net.Conn, 0, c.n)
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, c.parallel)
	)
	for range c.n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			conn, err := open(c)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			conns = append(conns, conn)
		})
	}
	wg.Wait()
	return conns, errs
}

// countOpen reports how many conns the server has not closed: a read that
// times out means the peer is still there; EOF or a reset means it is gone.
func countOpen(conns []net.Conn, wait time.Duration) int {
	deadline := time.Now().Add(wait)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open int
	)
	for _, conn := range conns {
		wg.Go(func() {
			_ = conn.SetReadDeadline(deadline)
			var b [1]byte
			_, err := conn.Read(b[:])
			if errors.Is(err, os.ErrDeadlineExceeded) {
				mu.Lock()
				open++
				mu.Unlock()
			}
			_ = conn.SetReadDeadline(time.Time{})
		})
	}
	wg.Wait()
	return open
}

func main() {
	c := parseFlags()
	conns, errs := openAll(c)
	for i, err := range errs {
		if i == 3 {
			fmt.Fprintf(os.Stderr, "idleconns: ... %d errors in all\n", len(errs))
			break
		}
		fmt.Fprintf(os.Stderr, "idleconns: %v\n", err)
	}
	fmt.Printf("ready ok=%d failed=%d open=%d\n", len(conns), len(errs), countOpen(conns, c.probe))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(c.hold):
	}
	for _, conn := range conns {
		conn.Close()
	}
}
