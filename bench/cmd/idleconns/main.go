// Command idleconns opens many keep-alive connections to a server, sends one
// request on each, reads the response, and then holds them all open, so that
// the benchmark can read the server's memory with that many idle clients.
//
// Once every connection is set up it prints one line to stdout:
//
//	ready ok=N failed=M open=K
//
// where ok connections got a 2xx answer, failed did not, and open is how
// many were still open a moment later (a server may drop idle clients).
//
// With -busy D, it then makes every open connection cycle requests for D,
// all at once: each sends a request, reads the whole answer, sends the next.
// It prints one line when they start and one when D has passed:
//
//	busy conns=K
//	done requests=R errors=E min=A max=B
//
// where R requests were answered in all, E connections failed (an error,
// a timeout or a non-2xx answer ends that connection's cycle), and the
// connection with the fewest answers got A, the one with the most B: with
// A above 0, every connection was busy through the whole of D.
//
// It then holds the connections until -hold passes or it gets SIGINT/SIGTERM.
//
// Usage: idleconns -addr 127.0.0.1:8080 [-n 10000] [-busy 10s] [-hold 30s]
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
	busy     time.Duration
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
	flag.DurationVar(&c.busy, "busy", 0, "after the ready line, make every connection cycle requests for this long (0: stay idle)")
	flag.Parse()
	if c.n < 1 || c.parallel < 1 || c.timeout <= 0 || c.busy < 0 {
		fmt.Fprintln(os.Stderr, "idleconns: -n and -parallel must be at least 1, -timeout above 0, -busy not negative")
		os.Exit(2)
	}
	return c
}

// open dials addr, sends one GET and reads the whole response. It returns
// the connection, still open, when the answer was a 2xx.
func open(c config) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return nil, err
	}
	if err := exchange(conn, bufio.NewReader(conn), c); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// exchange sends one request on conn and reads its response through br,
// which reads conn.
func exchange(conn net.Conn, br *bufio.Reader, c config) error {
	if err := conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return err
	}
	req := "GET " + c.path + " HTTP/1.1\r\nHost: " + c.addr + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
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

// busyResult is what cycle reports.
type busyResult struct {
	requests int64 // answers received, all connections together
	failed   int   // connections whose cycle ended with an error
	min, max int64 // fewest and most answers one connection received
	firstErr error
}

// cycle makes every connection exchange requests back to back for c.busy,
// all of them at once, or until ctx ends. A connection that fails stops (it
// is counted); the others go on. It returns once every connection has
// stopped, which is at most c.timeout after c.busy has passed.
func cycle(ctx context.Context, conns []net.Conn, c config) busyResult {
	var (
		counts = make([]int64, len(conns))
		errs   = make([]error, len(conns))
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stop   time.Time
	)
	for i, conn := range conns {
		wg.Go(func() {
			br := bufio.NewReaderSize(conn, 1024)
			<-start
			for time.Now().Before(stop) && ctx.Err() == nil {
				if err := exchange(conn, br, c); err != nil {
					errs[i] = err
					return
				}
				counts[i]++
			}
		})
	}
	stop = time.Now().Add(c.busy) // written before close(start), read after it
	close(start)
	wg.Wait()
	res := busyResult{min: -1}
	for i, n := range counts {
		res.requests += n
		res.max = max(res.max, n)
		if res.min < 0 || n < res.min {
			res.min = n
		}
		if errs[i] != nil {
			res.failed++
			if res.firstErr == nil {
				res.firstErr = errs[i]
			}
		}
	}
	res.min = max(res.min, 0)
	return res
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
	if c.busy > 0 {
		fmt.Printf("busy conns=%d\n", len(conns))
		res := cycle(ctx, conns, c)
		if res.firstErr != nil {
			fmt.Fprintf(os.Stderr, "idleconns: busy: %d connections failed; first: %v\n", res.failed, res.firstErr)
		}
		fmt.Printf("done requests=%d errors=%d min=%d max=%d\n", res.requests, res.failed, res.min, res.max)
	}
	select {
	case <-ctx.Done():
	case <-time.After(c.hold):
	}
	for _, conn := range conns {
		conn.Close()
	}
}
