// Command websocket serves a page whose script opens a websocket to the same
// server and shows the echo of every message it sends. The server side (the
// RFC 6455 handshake through Request.Upgrade, and the framing) is in package
// wsecho.
//
//	go run ./examples/websocket -addr 127.0.0.1:8000
//
// Then open the printed URL in a browser; http://127.0.0.1:8000/?auto=hello
// sends "hello" as soon as the socket opens.
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

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/websocket/wsecho"
)

// workers is how many goroutines answer requests; websocket sessions run on
// goroutines of their own, so they never hold a worker.
const workers = 4

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends, printing the URL to out once listening.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("websocket", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on (host:port)")
	maxMsg := fs.Int64("max-message", wsecho.DefaultMaxMessageSize, "largest websocket message accepted, in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}

	s, err := tinyhttp.HTTP(*addr)
	if err != nil {
		return err
	}
	echo := &wsecho.Echo{MaxMessageSize: *maxMsg, ErrorLog: log.Default()}
	fmt.Fprintf(out, "listening on http://%s/ (the page echoes through ws://%s/ws)\n", s.Addr(), s.Addr())

	go func() {
		<-ctx.Done()
		s.Close() // closes the websocket connections too
	}()
	s.Serve(workers, echo.Handle)
	echo.Wait()
	return nil
}
