// Command fasthttp is the valyala/fasthttp peer of the side-by-side
// benchmark: a hello-world server on 127.0.0.1 (see package peer for the paths).
//
// Usage: fasthttp [-port PORT] [-file PATH]
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/c0c8f223/tinyhttp/bench/internal/peer"
)

const name = "fasthttp"

// handler routes one request by path.
func handler(file string) fasthttp.RequestHandler {
	hello := []byte(peer.Hello)
	return func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case peer.FilePath:
			if file == "" {
				ctx.NotFound()
				return
			}
			fasthttp.ServeFile(ctx, file)
			return
		case peer.SleepPath:
			time.Sleep(peer.SleepFor)
		}
		ctx.SetContentType(peer.ContentType)
		ctx.SetBody(hello)
	}
}

func main() {
	o := peer.Parse(name)
	srv := &fasthttp.Server{
		Handler:          handler(o.File),
		Name:             name,
		ReadTimeout:      60 * time.Second,
		IdleTimeout:      60 * time.Second,
		DisableKeepalive: false,
	}
	fmt.Fprintf(os.Stderr, "%s: listening on %s\n", name, o.Addr())
	peer.Fatal(name, srv.ListenAndServe(o.Addr()))
}
