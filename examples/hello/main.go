// Command hello is the smallest tinyhttp server: four worker goroutines pull
// requests from the server and answer each with "hello world".
//
//	go run ./examples/hello -addr 127.0.0.1:8000
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
	flag.Parse()

	s, err := tinyhttp.HTTP(*addr)
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
