// Command tinyhttp-handler is the peer of the side-by-side benchmark that
// runs net/http's handler (peer.Handler, the one nethttp serves) on
// tinyhttp through Server.ServeHandler: the cost of the net/http adaptor
// against net/http's own server. With -h2c it also speaks cleartext HTTP/2
// with prior knowledge, for bench/h2load.sh.
//
// Usage: tinyhttp-handler [-port PORT] [-file PATH] [-workers N] [-h2c] [-grace D]
package main

import (
	"fmt"
	"os"

	"github.com/c0c8f223/tinyhttp"

	"github.com/c0c8f223/tinyhttp/bench/internal/peer"
)

const name = "tinyhttp-handler"

func main() {
	o := peer.Parse(name)
	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: o.Addr(), H2C: o.H2C, BufferGrace: o.BufferGrace})
	if err != nil {
		peer.Fatal(name, err)
	}
	fmt.Fprintf(os.Stderr, "%s: listening on %s with %d workers\n", name, s.Addr(), o.Workers)
	peer.Fatal(name, s.ServeHandler(o.Workers, peer.Handler(o.File)))
}
