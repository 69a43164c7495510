// Command nethttp is the net/http peer of the side-by-side benchmark: a
// hello-world server on 127.0.0.1 (see package peer for the paths and the
// handler). With -h2c it also speaks cleartext HTTP/2 with prior knowledge,
// for bench/h2load.sh.
//
// Usage: nethttp [-port PORT] [-file PATH] [-h2c]
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/c0c8f223/tinyhttp/bench/internal/peer"
)

const name = "nethttp"

func main() {
	o := peer.Parse(name)
	srv := &http.Server{Addr: o.Addr(), Handler: peer.Handler(o.File), ReadHeaderTimeout: 10 * time.Second}
	if o.H2C {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	fmt.Fprintf(os.Stderr, "%s: listening on %s\n", name, o.Addr())
	peer.Fatal(name, srv.ListenAndServe())
}
