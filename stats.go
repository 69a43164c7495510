package tinyhttp

// What the server says about itself: Stats (counters and gauges read at any
// time), the ConnState hook (net/http's connection states), and the slog
// records of the server's own errors, the flood-prone ones rate-limited.

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a server's counters (monotonic, since the server
// started) and gauges (now). Server.Stats reads it without stopping the
// server; the fields are read one by one, so a snapshot taken under load
// may be off by the requests in flight between two fields.
type Stats struct {
	ConnectionsAccepted uint64 // accepted, including those refused by MaxConnections
	ConnectionsOpen     int64  // open now, upgraded and hijacked ones included (NumConnections)
	ConnectionsIdle     int64  // waiting for their next request with their buffers given back (idle for ServerConfig.BufferGrace, 20 ms by default, or more)
	ConnectionsUpgraded int64  // handed over by Upgrade or Hijack and not yet closed
	HTTP2Connections    uint64 // connections served as HTTP/2 (h2 or h2c)
	RequestsReceived    uint64 // requests read and queued, HTTP/2 streams included
	HTTP2Streams        uint64 // of RequestsReceived, those on HTTP/2
	Responses1xx        uint64 // responses sent, by status class (informational ones included)
	Responses2xx        uint64
	Responses3xx        uint64
	Responses4xx        uint64
	Responses5xx        uint64
	BytesRead           uint64 // from HTTP/1.1 connections' sockets (TLS records included)
	BytesWritten        uint64 // to connections' sockets, sendfile and HTTP/2 included
	Rejected400         uint64 // requests refused by the server itself, by status: malformed
	Rejected408         uint64 // head not complete within ReadHeaderTimeout
	Rejected413         uint64 // body above MaxBodyBytes
	Rejected414         uint64 // request line above MaxRequestLine
	Rejected431         uint64 // header section above MaxHeaderBytes or MaxHeaderFields
	Rejected503         uint64 // connections above MaxConnections, requests after the queue closed
	Rejected505         uint64 // HTTP versions other than 1.x
	QueueLength         int    // requests queued for the application now
	WorkersRunning      int    // pool goroutines running connections now
}

// paddedCounter is a counter on a cache line of its own: the counters that
// every request touches would otherwise make the two cores fight over one
// line.
type paddedCounter struct {
	atomic.Uint64
	_ [56]byte
}

// serverStats holds a server's counters.
type serverStats struct {
	requests  paddedCounter
	bytesRead paddedCounter
	bytesOut  paddedCounter
	responses [5]atomic.Uint64 // 1xx to 5xx
	rejected  [7]atomic.Uint64 // by rejectedIndex
	accepted  atomic.Uint64
	idle      atomic.Int64
	upgraded  atomic.Int64
	h2Conns   atomic.Uint64
	h2Streams atomic.Uint64
}

// rejectedStatuses are the statuses the server answers on its own, in the
// order of serverStats.rejected.
var rejectedStatuses = [7]StatusCode{400, 408, 413, 414, 431, 503, 505}

// countResponse counts a response of status.
func (st *serverStats) countResponse(status StatusCode) {
	if c := int(status)/100 - 1; c >= 0 && c < len(st.responses) {
		st.responses[c].Add(1)
	}
}

// countRejected counts a request the server refused with status.
func (st *serverStats) countRejected(status StatusCode) {
	for i, s := range rejectedStatuses {
		if s == status {
			st.rejected[i].Add(1)
			return
		}
	}
}

// Stats returns a snapshot of the server's counters and gauges.
func (s *Server) Stats() Stats {
	st := &s.stats
	out := Stats{
		ConnectionsAccepted: st.accepted.Load(),
		ConnectionsOpen:     s.connCount.Load(),
		ConnectionsIdle:     st.idle.Load(),
		ConnectionsUpgraded: st.upgraded.Load(),
		HTTP2Connections:    st.h2Conns.Load(),
		RequestsReceived:    st.requests.Load(),
		HTTP2Streams:        st.h2Streams.Load(),
		BytesRead:           st.bytesRead.Load(),
		BytesWritten:        st.bytesOut.Load(),
		QueueLength:         s.q.queued(),
		WorkersRunning:      s.pool.running(),
	}
	for i, p := range []*uint64{&out.Responses1xx, &out.Responses2xx, &out.Responses3xx, &out.Responses4xx, &out.Responses5xx} {
		*p = st.responses[i].Load()
	}
	for i, p := range []*uint64{&out.Rejected400, &out.Rejected408, &out.Rejected413, &out.Rejected414, &out.Rejected431, &out.Rejected503, &out.Rejected505} {
		*p = st.rejected[i].Load()
	}
	return out
}

// ConnState is the state of a client connection, reported to
// ServerConfig.ConnState with the ordering of net/http's http.ConnState.
type ConnState int

// The states of a connection. A connection starts New, is Active while a
// request is being read or answered, Idle while it waits for its next
// request with every response written, and ends Hijacked (handed over by
// Upgrade or Hijack) or Closed; exactly one of the two, last.
const (
	StateNew ConnState = iota
	StateActive
	StateIdle
	StateHijacked
	StateClosed
)

// String returns the state's name as net/http spells it: "new", "active"...
func (c ConnState) String() string {
	switch c {
	case StateNew:
		return "new"
	case StateActive:
		return "active"
	case StateIdle:
		return "idle"
	case StateHijacked:
		return "hijacked"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("ConnState(%d)", int(c))
}

// connStateTracker serialises one connection's ConnState calls: they never
// overlap and each state is reported once per change. It is taken with no
// other lock held, and takes conn.mu only to look at the connection.
type connStateTracker struct {
	mu    sync.Mutex
	state ConnState
	ended bool // Hijacked or Closed was reported
}

// reportState reports state to the hook, if the connection is not already
// in it and has not ended. Called with no lock held.
func (c *conn) reportState(state ConnState) {
	hook := c.srv.cfg.connState
	if hook == nil {
		return
	}
	t := c.ext.states // made before the read loop starts (serve)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended || (t.state == state && state != StateNew) || (state == StateIdle && t.state == StateNew) {
		return // a fresh connection waiting for its first request is New, not Idle
	}
	if state == StateIdle && !c.isIdle() {
		return // a request arrived, or a response was queued, meanwhile
	}
	t.state, t.ended = state, state == StateHijacked || state == StateClosed
	hook(c.rwc, state)
}

// isIdle reports whether the read loop waits for a next request with every
// response written.
func (c *conn) isIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.awaiting != awaitNone && c.awaiting != awaitWatch && c.seq.idle() && !c.seq.writing
}

// logger is what the server logs through: ServerConfig.Logger, or the
// deprecated ErrorLog, or slog's default.
func loggerFor(sc *ServerConfig) *slog.Logger {
	switch {
	case sc.Logger != nil:
		return sc.Logger
	case sc.ErrorLog != nil:
		return slog.New(slog.NewTextHandler(logWriter{sc.ErrorLog}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.Default()
}

// logWriter writes slog's lines through a *log.Logger (ErrorLog).
type logWriter struct{ l *log.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Print(string(p))
	return len(p), nil
}

// The rate limit of the records of bad clients (Debug level): a flood of
// broken or hostile clients costs at most debugBurst records per
// debugWindow, and the next record says how many were left out.
const (
	debugBurst  = 20
	debugWindow = time.Second
)

// debugLimiter rate-limits a server's Debug records.
type debugLimiter struct {
	mu         sync.Mutex
	windowFrom time.Time
	inWindow   int
	suppressed int
}

// allow reports whether a record may be logged now, and how many were
// suppressed since the last one that was.
func (l *debugLimiter) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.windowFrom) >= debugWindow {
		l.windowFrom, l.inWindow = now, 0
	}
	if l.inWindow >= debugBurst {
		l.suppressed++
		return false, 0
	}
	l.inWindow++
	n := l.suppressed
	l.suppressed = 0
	return true, n
}

// debugf logs a Debug record about a client, rate-limited; nothing is built
// unless Debug is enabled.
func (s *Server) debugf(msg string, remote net.Addr, args ...any) {
	lg := s.cfg.logger
	if !lg.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	ok, suppressed := s.debugLimit.allow(time.Now())
	if !ok {
		return
	}
	attrs := append([]any{"remote", addrString(remote)}, args...)
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	lg.Debug(msg, attrs...)
}

// logPanic logs a handler's panic with its stack, at Error level.
func (s *Server) logPanic(method Method, target string, remote net.Addr, v any) {
	buf := make([]byte, 64<<10)
	buf = buf[:runtime.Stack(buf, false)]
	s.cfg.logger.Error("tinyhttp: handler panic", "method", string(method), "target", target,
		"remote", addrString(remote), "panic", fmt.Sprint(v), "stack", string(buf))
}

// addrString formats a peer's address for a record; "@" on a Unix socket.
func addrString(a net.Addr) string {
	if a == nil {
		return "@"
	}
	return a.String()
}
