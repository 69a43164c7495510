package tinyhttp_test

import (
	"context"
	"errors"
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

// ServeHandler runs any http.Handler — here a net/http ServeMux with a
// path pattern — on the pull model.
func ExampleServer_ServeHandler() {
	s, err := tinyhttp.HTTP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.PathValue("name"))
	})
	go s.ServeHandler(4, mux)

	res, err := http.Get("http://" + s.Addr().String() + "/hello/gopher")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.Status, res.Header.Get("Content-Type"), string(body))
	// Output: 200 OK text/plain; charset=utf-8 hello gopher
}

// Handle answers a pulled request with an http.Handler: requests can be
// routed to the pull API or to net/http handlers one by one.
func ExampleRequest_Handle() {
	s, err := tinyhttp.HTTP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	files := http.FileServer(http.Dir("testdata"))
	go func() {
		for req := range s.Incoming() {
			if req.URL() == "/ping" {
				req.Respond(tinyhttp.FromString("pong"))
				continue
			}
			req.Handle(files)
		}
	}()

	for _, path := range []string{"/ping", "/no-such-file"} {
		res, err := http.Get("http://" + s.Addr().String() + path)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(path, res.Status)
	}
	// Output:
	// /ping 200 OK
	// /no-such-file 404 Not Found
}

// A request's context ends when the client goes away, so that a handler
// can stop work nobody waits for.
func ExampleRequest_Context() {
	s, err := tinyhttp.HTTP("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	arrived, causes := make(chan struct{}), make(chan error, 1)
	go func() {
		for req := range s.Incoming() {
			close(arrived)
			<-req.Context().Done() // a long computation would check this
			causes <- context.Cause(req.Context())
			req.Respond(tinyhttp.Empty(tinyhttp.StatusServiceUnavailable))
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr().String()+"/slow", nil)
	go func() {
		<-arrived
		cancel() // the client gives up and closes the connection
	}()
	http.DefaultClient.Do(req)
	fmt.Println(errors.Is(<-causes, tinyhttp.ErrClientDisconnected))
	// Output: true
}
