// Command soak drives a tinyhttp server with a long mixed load and checks
// every response: keep-alive connections sending plain, pipelined, POST and
// chunked requests, plus connection churn (a new connection per request).
// It reports the errors (must be 0), the process's peak RSS and the
// goroutines left after Close (must be back to the baseline).
//
//	go run ./tests/soak -requests 1000000 -conns 200
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

func main() {
	total := flag.Int("requests", 1_000_000, "requests to send in all")
	conns := flag.Int("conns", 200, "keep-alive connections")
	churn := flag.Int("churn", 4, "extra goroutines opening a new connection per request")
	workers := flag.Int("workers", 4, "server worker goroutines")
	flag.Parse()

	base := runtime.NumGoroutine()
	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go s.Serve(*workers, echo)

	var sent, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	quota := int64(*total)
	take := func() bool { return sent.Add(1) <= quota }
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func(id int) { defer wg.Done(); keepAliveClient(s.Addr().String(), id, take, &failed) }(i)
	}
	for i := 0; i < *churn; i++ {
		wg.Add(1)
		go func(id int) { defer wg.Done(); churnClient(s.Addr().String(), id, take, &failed) }(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	done := min(sent.Load(), quota)

	s.Close()
	left := waitGoroutines(base)
	fmt.Printf("requests: %d in %v (%.0f req/s)\n", done, elapsed.Round(time.Millisecond), float64(done)/elapsed.Seconds())
	fmt.Printf("errors: %d\n", failed.Load())
	fmt.Printf("peak RSS: %s (server and clients share this process)\n", peakRSS())
	fmt.Printf("goroutines after Close: %d (baseline %d)\n", left, base)
	if failed.Load() != 0 || left > base {
		os.Exit(1)
	}
}

// echo answers with the request's target and body length, which the
// clients check.
func echo(r *tinyhttp.Request) {
	n, err := io.Copy(io.Discard, r.Body())
	if err != nil {
		r.Respond(tinyhttp.Empty(400))
		return
	}
	r.Respond(tinyhttp.FromString(r.URL() + " " + strconv.FormatInt(n, 10)))
}

// The mix of requests a keep-alive client sends, by request number.
func requestFor(target string, n int) (wire string, bodyLen int) {
	switch n % 10 {
	case 7: // small body, read before queueing
		return "POST " + target + " HTTP/1.1\r\nHost: soak\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("p", 100), 100
	case 8: // large body, streamed
		return "POST " + target + " HTTP/1.1\r\nHost: soak\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("q", 5000), 5000
	case 9: // chunked body with a trailer
		return "POST " + target + " HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n", 11
	}
	return "GET " + target + " HTTP/1.1\r\nHost: soak\r\n\r\n", 0
}

// pipelineDepth is how many requests a keep-alive client writes at once.
const pipelineDepth = 4

func keepAliveClient(addr string, id int, take func() bool, failed *atomic.Int64) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		failed.Add(1)
		return
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for n := 0; ; n += pipelineDepth {
		var batch strings.Builder
		var want []string
		for k := 0; k < pipelineDepth; k++ {
			if !take() {
				break
			}
			target := fmt.Sprintf("/c%d/r%d", id, n+k)
			wire, bodyLen := requestFor(target, n+k)
			batch.WriteString(wire)
			want = append(want, target+" "+strconv.Itoa(bodyLen))
		}
		if len(want) == 0 {
			return
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, batch.String()); err != nil {
			failed.Add(int64(len(want)))
			return
		}
		for _, w := range want {
			if !checkResponse(br, w) {
				failed.Add(1)
				return
			}
		}
	}
}

func churnClient(addr string, id int, take func() bool, failed *atomic.Int64) {
	for n := 0; take(); n++ {
		target := fmt.Sprintf("/churn%d/r%d", id, n)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			failed.Add(1)
			continue
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
		if !checkResponse(bufio.NewReader(c), target+" 0") {
			failed.Add(1)
		}
		c.Close()
	}
}

// checkResponse reads one response and checks it is 200 with body want.
func checkResponse(br *bufio.Reader, want string) bool {
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		return false
	}
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || string(b) != want {
		fmt.Fprintf(os.Stderr, "got %d %q (%v), want %q\n", res.StatusCode, b, err, want)
		return false
	}
	return true
}

// waitGoroutines waits up to 10 s for the goroutine count to reach base.
func waitGoroutines(base int) int {
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return runtime.NumGoroutine()
}

// peakRSS reads VmHWM from /proc/self/status.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
