// Command cgi answers every request by running a CGI-style shell script and
// sending its output as a raw HTTP response written through
// Request.IntoWriter (status line, headers, Connection: close, then the
// script's output). The CGI plumbing is in package rawcgi.
//
//	go run ./examples/cgi -addr 127.0.0.1:8000
//	curl 'http://127.0.0.1:8000/some/path?x=1'
//	curl --data 'hello' http://127.0.0.1:8000/
//
// -script replaces the default script; it prints CGI header lines, an empty
// line, then the body, and finds the request in the CGI variables
// (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*...) and on its stdin.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/cgi/rawcgi"
)

// workers is how many goroutines answer requests, so how many scripts run at once.
const workers = 4

// shutdownTimeout bounds the graceful stop on Ctrl-C.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends, printing the URL to out once listening.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cgi", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on (host:port)")
	script := fs.String("script", rawcgi.DefaultScript, "shell script to run for each request (/bin/sh -c)")
	timeout := fs.Duration("timeout", rawcgi.DefaultTimeout, "longest run of the script")
	if err := fs.Parse(args); err != nil {
		return err
	}

	s, err := tinyhttp.HTTP(*addr)
	if err != nil {
		return err
	}
	h := rawcgi.Shell(*script)
	h.Timeout = *timeout
	h.ErrorLog = log.Default()
	fmt.Fprintf(out, "listening on http://%s/ (every request runs the CGI script)\n", s.Addr())

	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		s.Shutdown(sctx)
	}()
	return s.Serve(workers, h.ServeRequest)
}
