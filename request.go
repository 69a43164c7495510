package tinyhttp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
)

// inlineHeaders is how many header fields a Request holds without a separate
// allocation: curl sends 3, wrk 1, browsers 8 to 15 (they cost one exact-size
// allocation). At 4 a Request fits the runtime's 384-byte size class; at 8 it
// took 512, and every byte allocated per request brings the next GC closer.
const inlineHeaders = 4

// Request is one HTTP request, pulled from a Server with Recv and its kin. It
// belongs to one goroutine at a time and may be answered from any goroutine,
// with exactly one of Respond, IntoWriter or Upgrade. A request that is never
// answered is answered 500 once it becomes unreachable.
type Request struct {
	head    requestHead
	answer  answerer // where the response goes: a connection or a test recorder
	id      uint64   // the request's place on its connection
	body    io.Reader
	ctx     context.Context         // made by the first Context call (ctxState)
	cancel  context.CancelCauseFunc // ends ctx
	hdrs    [inlineHeaders]Header
	bodyLen int64       // -1 unknown
	eager   eagerBody   // body storage when read before queueing
	stream  *streamBody // the body when streamed from the connection

	// Small fields together, so that they share one word.
	ctxState atomic.Uint32 // ctxNone, ctxMaking, ctxMade: ctx and cancel are set once ctxMade
	answered atomic.Bool   // Respond, IntoWriter or Upgrade was called
	finished atomic.Bool   // the answer is complete: the context ends (finish)
	watched  atomic.Bool   // the drop finalizer was set (dropwatch.go)
	nhdrs    uint8         // fields held in hdrs, when head.headers is nil
	hasEager bool          // the body is eager
	secure   bool
}

// answerer is what answering a request needs of where the request came
// from: its HTTP/1.1 connection (conn.go), or a test recorder
// (testrequest.go). A Request reaches its connection only through it.
type answerer interface {
	respond(r *Request, resp *Response) error
	intoWriter(r *Request) (io.WriteCloser, error)
	upgrade(r *Request, protocol string, resp *Response) (net.Conn, error)
	trailers(r *Request) []Header
	decodedBodyLimit() int64 // DecodedBody's bound (0: none)
	dropper                  // answers r if it is dropped (dropwatch.go)

	remoteAddr() net.Addr // the client's address; nil on a Unix socket
	remoteString() string // http.Request.RemoteAddr: "ip:port", "@" on a Unix socket
	// requestContext makes r's context and registers its cancel function
	// with what ends it (the connection going away, the server closing).
	requestContext(r *Request) (context.Context, context.CancelCauseFunc)
	tlsState() *tls.ConnectionState // nil on plain connections
	streamer                        // responses written as they are made (stream.go)
	logf(msg string)                // logs a handler's misuse (Warn)
	logPanic(r *Request, v any)     // logs a handler's panic with its stack
}

// streamer is what net/http's ResponseWriter needs beyond Respond
// (responsewriter.go).
type streamer interface {
	openStream(r *Request, resp *Response, fullDuplex bool) (responseStream, error)
	informational(r *Request, resp *Response) error
	hijack(r *Request, s responseStream) (net.Conn, error)
	setBodyReadDeadline(r *Request, t time.Time) error
	// serveNative runs h on the transport's own net/http objects, when it
	// has them (HTTP/2); false: Handle builds its own.
	serveNative(r *Request, h http.Handler) (bool, error)
}

// The states of a request's context: ctx and cancel are written once,
// before the state becomes ctxMade, and only read after it is.
const (
	ctxNone   = iota // not asked for
	ctxMaking        // the first Context call is making it
	ctxMade
)

// Method returns the request method, case as sent.
func (r *Request) Method() Method { return r.head.method }

// URL returns the request-target exactly as sent: usually a path with an
// optional query, or an absolute URL (then its host is the request's host).
func (r *Request) URL() string { return r.head.target }

// Headers returns the header fields in the order sent, duplicates kept and
// names as sent. The slice belongs to the request; do not change it.
func (r *Request) Headers() []Header {
	if r.head.headers == nil {
		return r.hdrs[:r.nhdrs:r.nhdrs]
	}
	return r.head.headers
}

// Header returns the first value of the named field, matched ignoring case.
func (r *Request) Header(name string) (string, bool) { return headerValue(r.Headers(), name) }

// unlinkInlineHeaders records fields parsed into r.hdrs as a count instead
// of a slice, so that r holds no pointer into itself: the drop finalizer
// never runs for an object that reaches itself (see dropwatch.go).
func (r *Request) unlinkInlineHeaders() {
	h := r.head.headers
	if len(h) > 0 && &h[0] == &r.hdrs[0] {
		r.nhdrs = uint8(len(h))
	}
	if len(h) == 0 || r.nhdrs > 0 {
		r.head.headers = nil
	}
}

// HTTPVersion returns the version of the request line, e.g. 1.1.
func (r *Request) HTTPVersion() HTTPVersion { return r.head.version }

// BodyLength returns the body's length from Content-Length, when the request
// has one (a chunked body's length is not known in advance).
func (r *Request) BodyLength() (int64, bool) { return r.bodyLen, r.bodyLen >= 0 }

// RemoteAddr returns the client's address, or nil on a Unix socket.
func (r *Request) RemoteAddr() net.Addr { return r.answer.remoteAddr() }

// TLS returns the state of the request's TLS connection: its version,
// cipher suite, negotiated protocol and the client's certificates. nil on
// a plain connection.
func (r *Request) TLS() *tls.ConnectionState {
	if !r.secure {
		return nil
	}
	return r.answer.tlsState()
}

// Context returns the request's context. It ends, with context.Cause
// saying why, when the client closes or resets the connection
// (ErrClientDisconnected), the connection breaks or closes
// (ErrConnectionClosed), the server is closed (ErrServerClosed, wrapping
// Shutdown's context's cause when Shutdown gave up waiting), or once the
// request is answered: Respond returned, IntoWriter's writer was closed,
// Upgrade returned, or Handle's handler returned (ErrAlreadyAnswered). Its
// values include net/http's http.ServerContextKey and
// http.LocalAddrContextKey. A request whose Context is never called pays
// nothing for it.
//
// The client going away is seen while the connection waits for its next
// request, that is once the request's body is read (or when it has none);
// a client that closes after a request that asked to close the connection
// (Connection: close, or HTTP/1.0) is seen when its response is written.
func (r *Request) Context() context.Context {
	if r.ctxState.Load() == ctxMade {
		return r.ctx
	}
	return r.makeContext()
}

// makeContext is the first Context call; one made concurrently waits for it.
func (r *Request) makeContext() context.Context {
	if !r.ctxState.CompareAndSwap(ctxNone, ctxMaking) {
		for r.ctxState.Load() != ctxMade {
			runtime.Gosched() // another goroutine is making it: a few instructions away
		}
		return r.ctx
	}
	r.ctx, r.cancel = r.answer.requestContext(r)
	r.ctxState.Store(ctxMade)
	if r.finished.Load() {
		r.cancel(ErrAlreadyAnswered) // answered while the context was being made
	}
	return r.ctx
}

// hasContext reports whether the application asked for r's context.
func (r *Request) hasContext() bool { return r.ctxState.Load() != ctxNone }

// finish marks the answer complete and ends the request's context. (The
// two atomics are stored and loaded in opposite orders here and in
// makeContext, so that one of them sees the other: the context ends.)
func (r *Request) finish() {
	r.finished.Store(true)
	if r.ctxState.Load() == ctxMade {
		r.cancel(ErrAlreadyAnswered)
	}
}

// Secure reports whether the request arrived over TLS.
func (r *Request) Secure() bool { return r.secure }

// Body returns the request body. A body is read from the connection as the
// application reads it, except a small one (up to 1 KiB, without Expect)
// which the server read before queueing the request. When the client sent
// "Expect: 100-continue", the first Read sends "100 Continue" (after any
// earlier response on the connection). Reads after the request is answered
// fail with ErrBodyClosed; a body the application did not read is discarded
// by the server.
func (r *Request) Body() io.Reader {
	if r.hasEager { // not stored in r.body: r must not point into itself
		return &r.eager
	}
	return r.body
}

// Trailers returns the trailer fields of a chunked body, once Body has been
// read to its end; nil before that or when there are none.
func (r *Request) Trailers() []Header { return r.answer.trailers(r) }

// Respond sends resp as the answer to this request. Responses on one
// connection leave in request order: when earlier requests are still
// unanswered, resp is queued behind them and Respond returns at once (the
// goroutine that answers the earliest request writes it), so answering
// request 2 then request 1 from one goroutine does not deadlock. Otherwise
// Respond returns once resp is written, without waiting for the responses
// queued behind it (a slow body of a later response is written by a
// goroutine of its own). A response with an invalid header is not sent: the
// client gets 500 and Respond returns the error.
func (r *Request) Respond(resp *Response) error {
	if resp == nil {
		resp = Empty(StatusInternalServerError)
	}
	if !r.claimAnswer() {
		resp.closeBody()
		return ErrAlreadyAnswered
	}
	err := r.answer.respond(r, resp)
	r.finish()
	return err
}

// claimAnswer marks the request answered, once, and stops watching for its
// drop (dropwatch.go).
func (r *Request) claimAnswer() bool {
	if !r.answered.CompareAndSwap(false, true) {
		return false
	}
	r.unwatchDrop()
	return true
}

// Answered reports whether Respond, IntoWriter or Upgrade has been called.
func (r *Request) Answered() bool { return r.answered.Load() }

// IntoWriter answers the request with raw bytes: the returned writer writes
// straight to the connection, without status line, headers or framing, which
// are the application's to write (as a CGI program does). It waits for the
// earlier responses on the connection to be written. Closing the writer
// releases the next response. The server closes the connection after it
// unless the application wrote a correctly framed response with keep-alive
// semantics; for safety it always closes it.
func (r *Request) IntoWriter() (io.WriteCloser, error) {
	if !r.claimAnswer() {
		return nil, ErrAlreadyAnswered
	}
	w, err := r.answer.intoWriter(r)
	if err != nil {
		r.finish()
		return nil, err
	}
	return &finishingWriter{WriteCloser: w, r: r}, nil
}

// finishingWriter ends its request's context when it is closed.
type finishingWriter struct {
	io.WriteCloser
	r *Request
}

// Close closes the writer and ends the request's context.
func (w *finishingWriter) Close() error {
	err := w.WriteCloser.Close()
	w.r.finish()
	return err
}

// Upgrade switches the connection to another protocol (RFC 9110 §7.8): it
// writes resp's status line and headers (usually 101 Switching Protocols,
// with "Connection: upgrade" and "Upgrade: protocol" added) and returns the
// raw connection, including any bytes the client already sent after the
// request head. Only a request that asked for an upgrade can be upgraded;
// others get ErrNotUpgradable and stay unanswered. The server keeps track of
// upgraded connections (NumConnections counts them) and closes them on Close,
// and at the end of Shutdown, which does not wait for them: a websocket may
// stay open for hours, so the application that wants a graceful goodbye sends
// it before calling Shutdown.
func (r *Request) Upgrade(protocol string, resp *Response) (net.Conn, error) {
	if !r.head.upgrade {
		return nil, ErrNotUpgradable
	}
	if resp == nil {
		resp = Empty(StatusSwitchingProtocols)
	}
	if !r.claimAnswer() {
		return nil, ErrAlreadyAnswered
	}
	conn, err := r.answer.upgrade(r, protocol, resp)
	if err != nil && !errors.Is(err, ErrConnectionClosed) {
		r.answered.Store(false) // nothing was written: the request can still be answered
		r.answer.rewatch(r)
		return conn, err
	}
	r.finish()
	return conn, err
}

// holdsReadLoop reports whether the read loop waits for r to be answered
// before it reads on: after a request to switch protocols (Upgrade) or to
// open a tunnel (CONNECT), what the client sends next may not be HTTP, and
// belongs to whoever takes the connection over.
func (r *Request) holdsReadLoop() bool { return r.head.upgrade || r.head.method == MethodConnect }

// UpgradeRequested reports whether the client asked to switch protocols
// (Connection: upgrade and an Upgrade field, on HTTP/1.1).
func (r *Request) UpgradeRequested() bool { return r.head.upgrade }
