// Command poll serves HTTP from a single goroutine that polls the server with
// TryRecv and does other work between polls, like a game loop or an event
// loop that cannot block.
//
//	go run ./examples/poll -addr 127.0.0.1:8000
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// tick is how long one round of "other work" takes between polls.
const tick = 10 * time.Millisecond

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on (host:port)")
	flag.Parse()

	s, err := tinyhttp.HTTP(*addr)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("listening on http://%s/\n", s.Addr())

	frames := 0
	for {
		// Answer everything that is waiting, without ever blocking.
		for {
			req, err := s.TryRecv()
			if err != nil {
				log.Fatal(err)
			}
			if req == nil {
				break
			}
			req.Respond(tinyhttp.FromString(fmt.Sprintf("frame %d\n", frames)))
		}
		frames++ // the "other work" of this loop
		time.Sleep(tick)
	}
}
