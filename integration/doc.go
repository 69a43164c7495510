// Package integration proves that third-party http.Handler code runs on
// tinyhttp unchanged: routers (chi, gorilla/mux), net/http/pprof,
// Prometheus' promhttp, http.FileServer and http.ServeContent,
// httputil.ReverseProxy, websockets (gorilla/websocket, coder/websocket)
// through Hijack, http.TimeoutHandler and http.MaxBytesReader. It is a
// module of its own so that the library's go.mod stays small.
package integration
