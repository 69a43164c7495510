// Command tinyhttp is the tinyhttp peer of the side-by-side benchmark: a
// hello-world server on 127.0.0.1 (see package peer for the paths) with a
// few worker goroutines pulling requests from the server's queue.
//
// With -h2c it also speaks cleartext HTTP/2 with prior knowledge, for
// bench/h2load.sh.
//
// Usage: tinyhttp [-port PORT] [-file PATH] [-workers N] [-h2c] [-grace D]
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/c0c8f223/tinyhttp"

	"github.com/c0c8f223/tinyhttp/bench/internal/peer"
)

const name = "tinyhttp"

// path is the request-target without its query.
func path(req *tinyhttp.Request) string {
	p, _, _ := strings.Cut(req.URL(), "?")
	return p
}

// hello is the 11-byte answer; FromString sets Content-Type text/plain.
func hello() *tinyhttp.Response {
	return tinyhttp.FromString(peer.Hello)
}

// fileResponse opens file for one request; FromFile closes it once sent.
func fileResponse(file string) *tinyhttp.Response {
	if file == "" {
		return tinyhttp.Empty(404)
	}
	f, err := os.Open(file)
	if err != nil {
		return tinyhttp.Empty(500)
	}
	return tinyhttp.FromFile(f)
}

// handle answers one request according to its path.
func handle(req *tinyhttp.Request, file string) {
	var resp *tinyhttp.Response
	switch path(req) {
	case peer.FilePath:
		resp = fileResponse(file)
	case peer.SleepPath:
		time.Sleep(peer.SleepFor)
		resp = hello()
	default:
		resp = hello()
	}
	// A client that went away mid-response is normal under load: ignore it.
	_ = req.Respond(resp)
}

// serve runs workers goroutines ranging over s.Incoming until it stops. A
// request whose handler waits (/sleep) is answered on a goroutine of its
// own, the idiomatic Go way to keep waiting handlers from holding up the
// receivers: with the pull model, the application chooses its concurrency,
// and pipelined requests are then answered in parallel (responses still
// leave in request order).
func serve(s *tinyhttp.Server, workers int, file string) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for req := range s.Incoming() {
				if path(req) == peer.SleepPath {
					go handle(req, file)
					continue
				}
				handle(req, file)
			}
		})
	}
	wg.Wait()
}

func main() {
	o := peer.Parse(name)
	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: o.Addr(), H2C: o.H2C, BufferGrace: o.BufferGrace})
	if err != nil {
		peer.Fatal(name, err)
	}
	fmt.Fprintf(os.Stderr, "%s: listening on %s with %d workers\n", name, s.Addr(), o.Workers)
	serve(s, o.Workers, o.File)
}
