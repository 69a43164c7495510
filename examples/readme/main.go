// Command readme prints the method, URL and headers of every request it
// receives and answers "hello world", like tiny-http's readme example.
//
//	go run ./examples/readme -addr 127.0.0.1:8000
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/c0c8f223/tinyhttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on (host:port)")
	flag.Parse()

	s, err := tinyhttp.HTTP(*addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s/\n", s.Addr())

	for req := range s.Incoming() {
		fmt.Printf("received request! method: %s, url: %s, headers: %v\n",
			req.Method(), req.URL(), req.Headers())
		if err := req.Respond(tinyhttp.FromString("hello world")); err != nil {
			log.Printf("respond: %v", err)
		}
	}
}
