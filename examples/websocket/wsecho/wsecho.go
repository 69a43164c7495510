// Package wsecho is the server side of the websocket example: an HTML page
// at "/" whose script opens a websocket to "/ws" on the same server, and a
// websocket endpoint at "/ws" that echoes every message back.
//
// It shows how a tinyhttp application switches protocols: the handler checks
// the RFC 6455 opening handshake, answers it with Request.Upgrade and a 101
// response carrying Sec-WebSocket-Accept, and then speaks the websocket
// framing on the returned net.Conn itself (see frame.go): text and binary
// messages, fragmented messages, ping and pong, the closing handshake, and a
// limit on the message size.
//
//	echo := &wsecho.Echo{}
//	s.Serve(4, echo.Handle) // until the server closes
//	echo.Wait()             // until every websocket session has ended
package wsecho

import (
	"bufio"
	"crypto/sha1"
	_ "embed"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/c0c8f223/tinyhttp"
)

// GUID is the string RFC 6455 §1.3 appends to Sec-WebSocket-Key before
// hashing it into Sec-WebSocket-Accept.
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Defaults of Echo's fields.
const (
	// DefaultMaxMessageSize bounds a message (all its fragments together):
	// 1 MiB is plenty for a chat-like echo and caps the memory one client
	// can make the server hold.
	DefaultMaxMessageSize = 1 << 20
	// DefaultIdleTimeout is how long a session waits for the client's next
	// frame before it closes with 1001 (going away).
	DefaultIdleTimeout = 5 * time.Minute
)

// writeTimeout bounds one frame write: a client that stops reading is cut
// off instead of holding its session forever.
const writeTimeout = 10 * time.Second

// closeTimeout is how long the server waits, after it sent a close frame
// first, for the client's close frame (RFC 6455 §7.1.1) before it closes
// the connection anyway.
const closeTimeout = 2 * time.Second

// maxCloseDrain bounds what the server reads and discards while it waits
// for the client's close frame.
const maxCloseDrain = 4 << 20

// keyLength is the decoded length of a valid Sec-WebSocket-Key (§4.1: a
// random 16-byte value, base64-encoded).
const keyLength = 16

//go:embed page.html
var page string

// Echo serves the page and the echo websocket. Its zero value is ready to
// use; set the fields before the first request. Its methods are safe for
// concurrent use.
type Echo struct {
	// MaxMessageSize is the largest message accepted, in bytes, all
	// fragments together; a larger one ends the session with close code
	// 1009. 0: DefaultMaxMessageSize.
	MaxMessageSize int64
	// IdleTimeout is how long a session waits for the next frame; 0:
	// DefaultIdleTimeout, below 0: no limit.
	IdleTimeout time.Duration
	// ErrorLog receives the reasons sessions fail; nil: nothing is logged.
	ErrorLog *log.Logger

	sessions sync.WaitGroup
}

// AcceptKey returns the Sec-WebSocket-Accept value for a Sec-WebSocket-Key
// (RFC 6455 §4.2.2): base64(SHA-1(key + GUID)).
func AcceptKey(key string) string {
	sum := sha1.Sum([]byte(key + GUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Handle answers one request: the page at "/", the websocket at "/ws", 404
// elsewhere. A websocket session runs on its own goroutine after Handle
// returns; Wait waits for them.
func (e *Echo) Handle(req *tinyhttp.Request) {
	path, _, _ := strings.Cut(req.URL(), "?")
	switch path {
	case "/", "/index.html":
		if req.Method() != tinyhttp.MethodGet && req.Method() != tinyhttp.MethodHead {
			req.Respond(tinyhttp.FromString("method not allowed\n").
				WithStatusCode(405).
				WithHeader(tinyhttp.MustHeader("Allow", "GET, HEAD")))
			return
		}
		req.Respond(tinyhttp.FromString(page).
			WithHeader(tinyhttp.MustHeader("Content-Type", "text/html; charset=utf-8")).
			WithHeader(tinyhttp.MustHeader("Cache-Control", "no-store")))
	case "/ws":
		e.accept(req)
	default:
		req.Respond(tinyhttp.FromString("not found\n").WithStatusCode(404))
	}
}

// Wait blocks until every websocket session started by Handle has ended.
// Closing the server ends them all (it closes upgraded connections too).
func (e *Echo) Wait() { e.sessions.Wait() }

// refuse answers a handshake that cannot succeed with status and a reason.
func refuse(req *tinyhttp.Request, status tinyhttp.StatusCode, reason string, extra ...tinyhttp.Header) {
	resp := tinyhttp.FromString(reason + "\n").WithStatusCode(status)
	for _, h := range extra {
		resp = resp.WithHeader(h)
	}
	req.Respond(resp)
}

// accept checks the opening handshake (RFC 6455 §4.2.1), switches the
// connection to the websocket protocol and starts the session.
func (e *Echo) accept(req *tinyhttp.Request) {
	if req.Method() != tinyhttp.MethodGet {
		refuse(req, 405, "a websocket handshake is a GET", tinyhttp.MustHeader("Allow", "GET"))
		return
	}
	if up, _ := req.Header("Upgrade"); !hasToken(up, "websocket") {
		refuse(req, 400, "websocket handshake expected (Upgrade: websocket)")
		return
	}
	if v, _ := req.Header("Sec-WebSocket-Version"); strings.TrimSpace(v) != "13" {
		// §4.4: say which version the server speaks.
		refuse(req, 400, "unsupported websocket version", tinyhttp.MustHeader("Sec-WebSocket-Version", "13"))
		return
	}
	key, _ := req.Header("Sec-WebSocket-Key")
	key = strings.TrimSpace(key)
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != keyLength {
		refuse(req, 400, "bad Sec-WebSocket-Key")
		return
	}
	if !sameOrigin(req) {
		// A page of another site must not talk to this server with the
		// visitor's browser (cross-site websocket hijacking).
		refuse(req, 403, "cross-origin websocket refused")
		return
	}
	resp := tinyhttp.Empty(tinyhttp.StatusSwitchingProtocols).
		WithHeader(tinyhttp.MustHeader("Sec-WebSocket-Accept", AcceptKey(key)))
	conn, err := req.Upgrade("websocket", resp)
	switch {
	case errors.Is(err, tinyhttp.ErrNotUpgradable):
		// No "Connection: upgrade", or HTTP/1.0: the library refuses, and the
		// request is still ours to answer.
		refuse(req, 400, "websocket handshake expected (Connection: upgrade on HTTP/1.1)")
		return
	case err != nil:
		e.logf("wsecho: upgrade: %v", err)
		return
	}
	e.sessions.Add(1)
	go func() {
		defer e.sessions.Done()
		e.serve(conn)
	}()
}

// hasToken reports whether the comma-separated list v holds token, ignoring case.
func hasToken(v, token string) bool {
	for t := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether the request's Origin, when it has one, names
// the host the request was sent to. Non-browser clients send no Origin.
func sameOrigin(req *tinyhttp.Request) bool {
	origin, ok := req.Header("Origin")
	if !ok {
		return true
	}
	u, err := url.Parse(strings.TrimSpace(origin))
	if err != nil {
		return false
	}
	host, _ := req.Header("Host")
	return strings.EqualFold(u.Host, strings.TrimSpace(host))
}

func (e *Echo) logf(format string, args ...any) {
	if e.ErrorLog != nil {
		e.ErrorLog.Printf(format, args...)
	}
}

func (e *Echo) maxMessage() int64 {
	if e.MaxMessageSize > 0 {
		return e.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

func (e *Echo) idleTimeout() time.Duration {
	switch {
	case e.IdleTimeout == 0:
		return DefaultIdleTimeout
	case e.IdleTimeout < 0:
		return 0
	}
	return e.IdleTimeout
}

// session is one websocket connection. Only its goroutine reads and writes.
type session struct {
	conn   net.Conn
	br     *bufio.Reader
	max    int64
	idle   time.Duration
	wbuf   []byte
	unread uint64 // payload bytes of the frame being read, not read yet
}

// serve runs the echo loop until the client closes, breaks the protocol,
// goes idle, or the server closes the connection.
func (e *Echo) serve(conn net.Conn) {
	defer conn.Close()
	s := &session{conn: conn, br: bufio.NewReader(conn), max: e.maxMessage(), idle: e.idleTimeout()}
	err := s.run()
	var pe *protocolError
	switch {
	case err == nil:
		// Closing handshake done: the server closes the TCP connection first (§7.1.1).
	case errors.As(err, &pe):
		e.logf("wsecho: %v", err)
		if s.writeClose(pe.code, pe.reason) == nil {
			s.awaitClose()
		}
	case isTimeout(err):
		s.writeClose(CloseGoingAway, "idle timeout")
	default:
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			e.logf("wsecho: %v", err)
		}
	}
}

// run reads frames and answers them: it echoes each complete message, pongs
// each ping and echoes the client's close frame. It returns nil after the
// closing handshake.
func (s *session) run() error {
	var (
		inMessage bool   // a fragmented message is being received
		msgOp     byte   // its opcode (text or binary)
		msg       []byte // its fragments so far
	)
	for {
		if s.idle > 0 {
			s.conn.SetReadDeadline(time.Now().Add(s.idle))
		}
		h, err := readFrameHeader(s.br)
		if err != nil {
			return err
		}
		s.unread = h.length // skipped by awaitClose if the frame is refused
		if err := h.validate(); err != nil {
			return err
		}
		if !isControl(h.opcode) {
			switch {
			case h.opcode == opContinuation && !inMessage:
				return failf(CloseProtocolError, "continuation frame without a message")
			case h.opcode != opContinuation && inMessage:
				return failf(CloseProtocolError, "new message before the previous one ended")
			}
			if int64(len(msg))+int64(h.length) > s.max {
				return failf(CloseMessageTooBig, "message above %d bytes", s.max)
			}
		}
		p, err := readPayload(s.br, h)
		if err != nil {
			return err
		}
		s.unread = 0
		switch h.opcode {
		case opPing:
			if err := s.writeFrame(opPong, p); err != nil {
				return err
			}
		case opPong:
			// Unsolicited pongs are allowed (§5.5.3); nothing to do.
		case opClose:
			code, reason, err := parseClose(p)
			if err != nil {
				return err
			}
			// Echo the status code (§5.5.1), then the server closes first.
			return s.writeFrame(opClose, closePayload(code, reason))
		case opText, opBinary:
			if h.fin {
				if err := s.echo(h.opcode, p); err != nil {
					return err
				}
				continue
			}
			inMessage, msgOp, msg = true, h.opcode, append(msg[:0], p...)
		case opContinuation:
			msg = append(msg, p...)
			if h.fin {
				inMessage = false
				if err := s.echo(msgOp, msg); err != nil {
					return err
				}
				msg = msg[:0]
			}
		}
	}
}

// echo sends a complete message back in one frame; a text message must be UTF-8 (§8.1).
func (s *session) echo(op byte, p []byte) error {
	if op == opText && !utf8.Valid(p) {
		return failf(CloseInvalidPayload, "text message is not UTF-8")
	}
	return s.writeFrame(op, p)
}

// writeFrame writes one frame under the write timeout.
func (s *session) writeFrame(op byte, p []byte) error {
	s.wbuf = appendFrame(s.wbuf[:0], op, p)
	s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := s.conn.Write(s.wbuf)
	return err
}

// writeClose starts the closing handshake with code and reason.
func (s *session) writeClose(code int, reason string) error {
	return s.writeFrame(opClose, closePayload(code, reason))
}

// awaitClose waits, within closeTimeout, for the client's close frame after
// the server sent its own, discarding other frames (and the rest of the
// frame that was refused). Reading what the client still sends also keeps
// the kernel from resetting the connection, which would destroy the close
// frame in flight, when the server closes it.
func (s *session) awaitClose() {
	s.conn.SetReadDeadline(time.Now().Add(closeTimeout))
	budget := int64(maxCloseDrain)
	skip := s.unread
	for {
		if skip > uint64(budget) {
			return
		}
		n, err := io.CopyN(io.Discard, s.br, int64(skip))
		budget -= n
		if err != nil {
			return
		}
		h, err := readFrameHeader(s.br)
		if err != nil || h.opcode == opClose {
			return
		}
		skip = h.length
	}
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
