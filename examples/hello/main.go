// Command hello is the smallest tinyhttp server: four worker goroutines pull
// requests from the server and answer each with "hello world".
//
//	go run ./examples/hello -addr 127.0.0.1:8000
//	go run ./examples/hello -h2c    # also cleartext HTTP/2: curl --http2-prior-knowledge
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/c0c8f223/tinyhttp"
)

// workers is how many goroutines answer requests, as in tiny-http's README.
const workers = 4

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on (host:port)")
	h2c := flag.Bool("h2c", false, "also accept HTTP/2 with prior knowledge (h2c)")
	flag.Parse()

	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: *addr, H2C: *h2c})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s/\n", s.Addr())

	for i := 0; i < workers; i++ {
		go func() {
			for req := range s.Incoming() {
				req.Respond(tinyhttp.FromString("hello world"))
			}
		}()
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	s.Close()
}
