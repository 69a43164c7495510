// Command fasthttpadaptor is the peer of the side-by-side benchmark that
// runs net/http's handler (peer.Handler, the one nethttp serves) on
// fasthttp through fasthttpadaptor: what a fasthttp user pays for the
// net/http ecosystem, beside tinyhttp-handler.
//
// Usage: fasthttpadaptor [-port PORT] [-file PATH]
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/c0c8f223/tinyhttp/bench/internal/peer"
)

const name = "fasthttpadaptor"

func main() {
	o := peer.Parse(name)
	srv := &fasthttp.Server{
		Handler:     fasthttpadaptor.NewFastHTTPHandler(peer.Handler(o.File)),
		Name:        name,
		ReadTimeout: 60 * time.Second,
		IdleTimeout: 60 * time.Second,
	}
	fmt.Fprintf(os.Stderr, "%s: listening on %s\n", name, o.Addr())
	peer.Fatal(name, srv.ListenAndServe(o.Addr()))
}
