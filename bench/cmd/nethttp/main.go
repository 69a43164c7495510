// Command nethttp is the net/http peer of the side-by-side benchmark: a
// hello-world server on 127.0.0.1 (see package peer for the paths).
//
// Usage: nethttp [-port PORT] [-file PATH]
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/c0c8f223/tinyhttp/bench/internal/peer"
)

const name = "nethttp"

// hello answers every path but /sleep and /file.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", peer.ContentType)
	_, _ = w.Write([]byte(peer.Hello))
}

// sleep answers like hello after sleeping peer.SleepFor.
func sleep(w http.ResponseWriter, r *http.Request) {
	time.Sleep(peer.SleepFor)
	hello(w, r)
}

// fileHandler serves path with http.ServeFile (sendfile, ranges, conditionals).
func fileHandler(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if path == "" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, path)
	}
}

func main() {
	o := peer.Parse(name)
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	mux.HandleFunc(peer.SleepPath, sleep)
	mux.HandleFunc(peer.FilePath, fileHandler(o.File))
	srv := &http.Server{Addr: o.Addr(), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "%s: listening on %s\n", name, o.Addr())
	peer.Fatal(name, srv.ListenAndServe())
}
