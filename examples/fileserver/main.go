// Command fileserver serves a directory over HTTP, like
// "python3 -m http.server": files with ranges and conditional requests
// (sendfile on plain TCP), index.html or an HTML listing for directories.
// The serving policy (what is refused, symbolic links) is that of package
// fileserve.
//
//	go run ./examples/fileserver -dir . -addr 127.0.0.1:8000
//
// It logs one line per request to standard error and stops gracefully on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/fileserver/fileserve"
)

// defaultWorkers is how many goroutines answer requests by default. A worker
// is busy while its response is written (Respond returns once it is), so
// this bounds how many downloads progress at once; more wait in the queue.
const defaultWorkers = 32

// shutdownGrace is how long a stop signal lets responses in flight finish.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fileserver:", err)
		}
		os.Exit(2)
	}
}

// run parses args, serves until ctx ends, then shuts down. It prints the
// URL served on stdout and a line per request on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("fileserver", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("dir", ".", "directory to serve")
	addr := fl.String("addr", "127.0.0.1:8000", "address to listen on (host:port; port 0 picks a free port)")
	workers := fl.Int("workers", defaultWorkers, "goroutines answering requests")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fl.Args())
	}

	h, err := fileserve.New(*dir)
	if err != nil {
		return err
	}
	defer h.Close()
	var logMu sync.Mutex
	h.Log = func(req *tinyhttp.Request, status tinyhttp.StatusCode, err error) {
		host := "-"
		if a := req.RemoteAddr(); a != nil {
			host = a.String()
			if i := strings.LastIndexByte(host, ':'); i > 0 {
				host = strings.Trim(host[:i], "[]")
			}
		}
		line := fmt.Sprintf("%s - - [%s] %q %d", host, time.Now().Format("02/Jan/2006 15:04:05"),
			string(req.Method())+" "+req.URL()+" HTTP/"+req.HTTPVersion().String(), int(status))
		if err != nil {
			line += " (" + err.Error() + ")"
		}
		logMu.Lock()
		fmt.Fprintln(stderr, line)
		logMu.Unlock()
	}

	s, err := tinyhttp.HTTP(*addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Serving %s on http://%s/\n", h.Dir(), s.Addr())

	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(*workers, h.Serve)
	}()
	select {
	case <-ctx.Done():
	case <-served: // closed by someone else; cannot happen here
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = s.Shutdown(sctx)
	<-served
	return err
}
