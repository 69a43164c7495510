// Package tinyhttp is a small, strict and fast HTTP/1.1 server library with
// a pull model, a Go port of the Rust crate tiny-http.
//
// The server accepts connections, parses requests and puts every request on
// one queue; the application pulls requests from it, from as many goroutines
// as it likes, and answers each with a Response:
//
//	s, err := tinyhttp.HTTP("127.0.0.1:8000")
//	if err != nil {
//		log.Fatal(err)
//	}
//	for i := 0; i < 4; i++ {
//		go func() {
//			for req := range s.Incoming() {
//				req.Respond(tinyhttp.FromString("hello world"))
//			}
//		}()
//	}
//
// The library does everything that touches the connection: accepting,
// parsing (RFC 9112, strictly), pipelining, keep-alive, chunked encoding,
// Expect: 100-continue, limits and timeouts, HTTPS and protocol upgrades.
// Routing, templates and the like stay with the application.
//
// # Receiving requests
//
// Recv blocks for the next request; TryRecv never blocks; RecvTimeout and
// RecvContext give up after a while; Incoming ranges over requests until the
// server closes. Unblock releases one receiver with ErrUnblocked. Serve runs
// a pool of handler goroutines that answer 500 for a request the handler
// forgot to answer.
//
// # Answering requests
//
// Every request is answered exactly once, with Respond (a Response), with
// IntoWriter (raw bytes) or with Upgrade (a protocol switch). Responses on
// one connection always leave in request order, whatever order the
// application answers in; responses ready together leave in one write. A
// request that becomes unreachable without an answer is answered 500 within
// the next two garbage collections, so a forgotten request never wedges its
// connection.
//
// # Files, compression, upgrades
//
// FromFile (or ServeFile) answers with Last-Modified, a strong ETag and
// Accept-Ranges, applies the request's Range, If-Range, If-None-Match,
// If-Modified-Since, If-Match and If-Unmodified-Since by itself (206,
// multipart/byteranges, 304, 412, 416), and sends the file with sendfile on
// plain TCP. WithCompression, or ServerConfig.Compression, gzips or deflates
// a response as the client's Accept-Encoding allows; DecodedBody reads a
// compressed request body within a bound. Request.Upgrade hands the raw
// connection to the application after a 101, for websockets.
//
// # net/http handlers and contexts
//
// Request.Handle answers a request with any http.Handler, and
// Server.ServeHandler runs every request through one: routers, middleware,
// net/http/pprof, promhttp, http.FileServer and httputil.ReverseProxy run
// unchanged. The handler gets the *http.Request that net/http's server
// would build from the same bytes, and a ResponseWriter that behaves like
// net/http's (Flusher, Hijacker, io.ReaderFrom with sendfile, trailers, 1xx
// responses, http.ResponseController). Pipelined requests run their
// handlers in parallel; their responses still leave in order.
//
// Every request has a Context, which costs nothing until it is asked for.
// It ends when the client goes away (ErrClientDisconnected), the connection
// closes, the server closes, or the request is answered; context.Cause says
// which.
//
// # HTTP/2
//
// HTTPS offers h2 by ALPN unless ServerConfig.DisableHTTP2 is set, and
// ServerConfig.H2C accepts cleartext HTTP/2 with prior knowledge. Each
// stream is a Request on the same queue, answered with Respond, IntoWriter
// or Handle like an HTTP/1.1 one; net/http's HTTP/2 server (the standard
// library's copy of golang.org/x/net/http2) does the framing,
// HPACK and flow control. Streams have no pipelining order: each is
// answered when the application answers it. Upgrade returns
// ErrNotUpgradable and hijacking ErrNotSupportedOnHTTP2; the connection-specific fields (Connection,
// Keep-Alive, Transfer-Encoding, Upgrade) are dropped from responses;
// Request.Context ends on RST_STREAM; Shutdown sends GOAWAY and lets the
// streams in flight finish.
//
// # Concurrency
//
// Server methods are safe for concurrent use by any number of goroutines. A
// *Request belongs to one goroutine at a time: hand it over (through a
// channel, say) to answer it elsewhere, but do not use it from two
// goroutines at once. Respond may be called from any goroutine. Answering a
// later request before an earlier one, even from the same goroutine, never
// deadlocks: the later response is queued and written by whoever answers the
// earlier request, and that Respond returns once its own response is
// written. A *Response is not safe for concurrent use and is used once.
//
// # Where tinyhttp differs from tiny-http
//
// It keeps tiny-http's model and defaults (1 KiB bodies read before the
// request is queued, 32 KiB chunked threshold, 8 KiB chunks, 5 s worker
// expiry, FIFO Unblock) and fixes what is broken there: strict parsing with
// request-smuggling defences, limits and timeouts on by default, validated
// response headers, Connection: close when the server will close, HTTP/2
// request lines answered 505, TLS connections that pipeline, and an accept
// loop that survives errors.
package tinyhttp
