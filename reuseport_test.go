package tinyhttp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// Sizes of the SO_REUSEPORT test's load.
const (
	reuseServers  = 4      // servers sharing the port
	reuseConns    = 10_000 // connections of the spread check, one request each
	reuseInFlight = 64     // client goroutines: connections open at once, at most
	// reuseMinShare is the share of the connections every server must get:
	// the kernel hashes each connection's address tuple, so each of four
	// gets 25% ± about 0.4% (one standard deviation at 10,000); 5% can only
	// fail if one server gets nothing.
	reuseMinShare = 0.05
	// reuseAfterShutdown is how many requests the hammering client sends
	// after the shutdown began, and again after it ended.
	reuseAfterShutdown = 2_000
)

// startReusePortServers starts n servers on one loopback port with
// ReusePort, each answering with its index, and closes them when the test ends.
func startReusePortServers(t *testing.T, n int) (addr string, servers []*Server) {
	t.Helper()
	base := wiretest.Goroutines()
	var wg sync.WaitGroup
	addr = "127.0.0.1:0"
	for i := range n {
		s, err := NewServer(ServerConfig{Addr: addr, ReusePort: true})
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		addr = s.Addr().String() // the others join the first one's port
		servers = append(servers, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Serve(4, func(r *Request) { r.Respond(FromString(strconv.Itoa(i))) })
		}()
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Close()
		}
		wg.Wait()
		wiretest.CheckLeaks(t, base)
	})
	return addr, servers
}

// oneRequest opens a connection, sends one request with Connection: close
// and returns the body of the answer: a refused connection, a reset or a
// status other than 200 is an error.
func oneRequest(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("status %s", res.Status)
	}
	return string(b), err
}

// hammer sends one-request connections to addr from reuseInFlight
// goroutines until stop is closed (or total requests are done, if total > 0),
// counting answers per server index and keeping the first failure.
type hammer struct {
	counts [reuseServers]atomic.Int64
	done   atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	first  error // the first failure
}

func (h *hammer) run(addr string, total int64, stop <-chan struct{}) {
	var wg sync.WaitGroup
	var issued atomic.Int64
	for range reuseInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if total > 0 && issued.Add(1) > total {
					return
				}
				body, err := oneRequest(addr)
				i, perr := strconv.Atoi(body)
				if err == nil && (perr != nil || i < 0 || i >= reuseServers) {
					err = fmt.Errorf("body %q", body)
				}
				if err != nil {
					h.failed.Add(1)
					h.mu.Lock()
					if h.first == nil {
						h.first = err
					}
					h.mu.Unlock()
				} else {
					h.counts[i].Add(1)
				}
				h.done.Add(1)
			}
		}()
	}
	wg.Wait()
}

func (h *hammer) check(t *testing.T) {
	t.Helper()
	if n := h.failed.Load(); n > 0 {
		h.mu.Lock()
		defer h.mu.Unlock()
		t.Errorf("%d of %d requests failed; the first: %v", n, h.done.Load(), h.first)
	}
}

// TestReusePort_Spread: four servers in one process share a port, and
// 10,000 connections spread over all four.
func TestReusePort_Spread(t *testing.T) {
	addr, _ := startReusePortServers(t, reuseServers)
	var h hammer
	h.run(addr, reuseConns, nil)
	h.check(t)
	for i := range reuseServers {
		got := h.counts[i].Load()
		t.Logf("server %d: %d connections (%.1f%%)", i, got, 100*float64(got)/reuseConns)
		if float64(got) < reuseMinShare*reuseConns {
			t.Errorf("server %d got %d of %d connections, want at least %.0f%%", i, got, reuseConns, 100*reuseMinShare)
		}
	}
}

// waitFor waits until h has answered n more requests than it had at the call.
func (h *hammer) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := h.done.Load() + n
	deadline := time.Now().Add(2 * testTimeout)
	for h.done.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the client answered %d requests within %v, want %d", h.done.Load(), 2*testTimeout, target)
		}
		time.Sleep(time.Millisecond) // polling a counter, not synchronising
	}
}

// TestReusePort_GracefulShutdown: one of four servers on a port shuts down
// gracefully while a client hammers the port with new connections: no
// request fails, none is refused, and the other three take over.
func TestReusePort_GracefulShutdown(t *testing.T) {
	if !reusePortMigrates() {
		// Linux resets the connections queued on a closing listener unless
		// they may migrate: rerun in a network namespace of its own with
		// net.ipv4.tcp_migrate_req=1, where we may.
		if !inMigratingNetns(t) {
			return
		}
	}
	addr, servers := startReusePortServers(t, reuseServers)
	var h hammer
	stop := make(chan struct{})
	hammered := make(chan struct{})
	go func() {
		defer close(hammered)
		h.run(addr, 0, stop)
	}()
	var once sync.Once
	stopHammer := func() {
		once.Do(func() { close(stop) })
		<-hammered
	}
	defer stopHammer() // on a Fatal
	h.waitFor(t, reuseAfterShutdown)
	before := h.counts[0].Load()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := servers[0].Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	afterShutdown := h.counts[0].Load()
	h.waitFor(t, reuseAfterShutdown)
	stopHammer()
	h.check(t)
	if got := h.counts[0].Load(); got != afterShutdown {
		t.Errorf("the shut-down server answered %d requests after Shutdown returned", got-afterShutdown)
	}
	t.Logf("%d requests, %d failed; the shut-down server answered %d during Shutdown",
		h.done.Load(), h.failed.Load(), afterShutdown-before)
	for i := 1; i < reuseServers; i++ {
		if h.counts[i].Load() == 0 {
			t.Errorf("server %d answered nothing", i)
		}
	}
}

// TestReusePort_Unix: a Unix socket cannot be shared with SO_REUSEPORT.
func TestReusePort_Unix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	s, err := NewServer(ServerConfig{Network: "unix", Addr: path, ReusePort: true})
	if err == nil {
		s.Close()
		t.Fatal("ReusePort on a Unix socket: no error")
	}
	if !errors.Is(err, ErrReusePortUnsupported) {
		t.Errorf("ReusePort on a Unix socket: %v, want ErrReusePortUnsupported", err)
	}
}

// TestReusePort_Off: without ReusePort a taken port is ErrAddressInUse, and
// with it a port taken by a listener without it is too (both must set it).
func TestReusePort_Off(t *testing.T) {
	s := startServer(t, ServerConfig{})
	for _, reuse := range []bool{false, true} {
		s2, err := NewServer(ServerConfig{Addr: s.Addr().String(), ReusePort: reuse})
		if err == nil {
			s2.Close()
			t.Errorf("ReusePort %v on a taken port: no error", reuse)
			continue
		}
		if !errors.Is(err, ErrAddressInUse) {
			t.Errorf("ReusePort %v on a taken port: %v, want ErrAddressInUse", reuse, err)
		}
	}
}
