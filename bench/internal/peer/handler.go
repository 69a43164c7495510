package peer

import (
	"net/http"
	"time"
)

// Handler is the net/http handler every http.Handler-based peer serves
// (nethttp, tinyhttp-handler, fasthttpadaptor): hello for any path, the
// same after SleepFor at SleepPath, and file (404 when empty) at FilePath
// with http.ServeFile (sendfile, ranges, conditional requests).
func Handler(file string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	mux.HandleFunc(SleepPath, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(SleepFor)
		hello(w, r)
	})
	mux.HandleFunc(FilePath, func(w http.ResponseWriter, r *http.Request) {
		if file == "" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, file)
	})
	return mux
}

// hello writes the hello answer with its Content-Type.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", ContentType)
	_, _ = w.Write([]byte(Hello))
}
