package tinyhttp_test

import (
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/c0c8f223/tinyhttp"
)

// The pull model: worker goroutines range over the server's requests.
func Example() {
	s, err := tinyhttp.HTTP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for range 4 {
		go func() {
			for req := range s.Incoming() {
				req.Respond(tinyhttp.FromString("hello " + req.URL()))
			}
		}()
	}

	res, err := http.Get("http://" + s.Addr().String() + "/world")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.Status, string(body))
	// Output: 200 OK hello /world
}

// Serve runs the handler goroutines and answers 500 for a request the
// handler forgot to answer.
func ExampleServer_Serve() {
	s, err := tinyhttp.HTTP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(4, func(req *tinyhttp.Request) {
		if req.URL() == "/forgotten" {
			return // no answer: Serve sends 500
		}
		req.Respond(tinyhttp.FromString("ok"))
	})
	defer s.Close()

	for _, path := range []string{"/", "/forgotten"} {
		res, err := http.Get("http://" + s.Addr().String() + path)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(path, res.StatusCode)
	}
	// Output:
	// / 200
	// /forgotten 500
}

// TryRecv never blocks: a loop that has other work polls it.
func ExampleServer_TryRecv() {
	s, err := tinyhttp.HTTP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	req, err := s.TryRecv()
	fmt.Println(req == nil, err)
	// Output: true <nil>
}
