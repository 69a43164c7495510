package tinyhttp

// The read loop's wait for the next request on a keep-alive connection: the
// idle and header timeouts, the read deadlines that carry them, and the
// buffers that a waiting connection gives back to their pools. Everything
// here runs on the read loop (conn.go), except setReadDeadline and the
// buffer releases, which may run under conn.mu from any goroutine.

import (
	"bufio"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// How the read loop waits for the next request (conn.awaiting).
const (
	awaitNone       = iota
	awaitBuffered   // with its read buffer, for up to the buffer grace (ServerConfig.BufferGrace)
	awaitUnbuffered // with its read buffer back in the pool
	awaitWatch      // for nothing: watching for the client to go away (watchDisconnect)
)

// awaitFirstByte waits for the first byte of the next request, then starts
// the header timeout. The wait is bounded by the idle timeout once no
// response is outstanding. false means stop.
func (c *conn) awaitFirstByte() bool {
	c.pipelined = c.br.Buffered() > 0
	if c.pipelined { // the next request is here already
		c.startHead()
		if c.srv.cfg.connState != nil {
			c.reportState(StateActive)
		}
		return !c.isStopped()
	}
	err := error(os.ErrDeadlineExceeded) // without a grace, the wait starts unbuffered
	if c.srv.cfg.bufferGrace > 0 {
		if !c.startAwait(awaitBuffered) {
			return false
		}
		err = c.waitBuffered()
	}
	if isTimeout(err) && c.startAwait(awaitUnbuffered) {
		c.heads, c.served = nil, 0 // an idle connection holds no arena, and is not busy when it wakes
		c.srv.stats.idle.Add(1)
		err = c.waitUnbuffered()
		c.srv.stats.idle.Add(-1)
	}
	c.mu.Lock()
	c.awaiting = awaitNone
	stop := c.stoppedForFirst()
	c.mu.Unlock()
	if err != nil || stop {
		c.readFailed(err)
		return false
	}
	c.startHead()
	if c.srv.cfg.connState != nil {
		c.reportState(StateActive)
	}
	return true
}

// startHead starts a request's head: the header timeout is armed only if
// a read must wait for more of it (beforeBlock).
func (c *conn) startHead() { c.headArmed = false }

// beforeBlock arms the header timeout before the first read of a head (or
// of a small body) that may wait for the network. It runs from then, not
// from the first byte: the two are microseconds of parsing apart. Until
// endHead, drain may shorten it (headDrainDeadline); if Shutdown drains the
// connection already, it is shortened at once.
func (c *conn) beforeBlock() {
	if c.headArmed {
		return
	}
	c.headArmed = true
	now := time.Now()
	c.mu.Lock()
	c.readPhase, c.readDue = readingHead, time.Time{}
	if d := c.srv.cfg.readHeaderTimeout; d > 0 {
		c.readDue = now.Add(d)
	}
	c.setReadDeadline(c.headDrainDeadline(now))
	c.mu.Unlock()
}

// blankWait reports whether the read loop, which has read only empty lines
// since the last request and finds nothing more yet, goes back to the wait
// for a request (awaitFirstByte) instead of starting the header timeout.
// RFC 9112 §2.2 has a server ignore at least one empty line before a
// request line (a legacy client sends a CRLF after a body), and the
// header timeout's 408 is for a head that has begun (CONFORMANCE): a
// connection that sent only empty lines after its last request is idle
// still, closed without a word at the idle timeout (C20). Once per
// request: empty lines after that count as the start of the head, under
// its header timeout and against the request-line limit, so that a client
// trickling CRLFs faster than the idle timeout cannot hold the connection
// forever. Called by the read loop only.
func (c *conn) blankWait() bool {
	if c.blankIdled {
		return false
	}
	c.blankIdled = true
	return true
}

// endHead ends the read of a head (and small body) that beforeBlock armed:
// drain leaves the read deadline alone from now on. Only a head that had to
// wait for the network takes the lock.
func (c *conn) endHead() {
	if !c.headArmed {
		return
	}
	c.mu.Lock()
	c.readPhase = readingNone
	c.mu.Unlock()
}

// startAwait enters a waiting phase and sets its read deadline: the grace
// for the buffered phase, the idle timeout (less the grace already spent)
// for the unbuffered one when no response is outstanding. false means stop.
func (c *conn) startAwait(phase uint8) bool {
	c.mu.Lock()
	defer c.unlock()
	if c.stoppedForFirst() {
		return false // a first request may still come while draining (drain)
	}
	c.awaiting = phase
	c.idleDue = c.idleDue || (c.srv.cfg.connState != nil && c.seq.idle() && !c.seq.writing)
	if phase == awaitUnbuffered {
		c.releaseWriter()
	}
	idle := c.srv.cfg.idleTimeout
	quiet := c.seq.idle() // no response outstanding: the idle timeout runs
	if quiet && (phase == awaitBuffered || c.srv.cfg.bufferGrace == 0) {
		c.waitStart = time.Now() // the wait begins (without a grace, unbuffered)
	}
	switch {
	case phase == awaitBuffered && quiet && c.idleUnderGrace():
		c.setReadDeadline(c.waitStart.Add(idle))
	case phase == awaitBuffered && quiet:
		c.renewGrace(c.waitStart)
	case phase == awaitBuffered:
		// A response is outstanding, so the idle timeout will count from its
		// write, and the last write batch's clock reading is recent enough
		// for renewGrace: the hot keep-alive path reads no clock. Should
		// the idle timeout be the shorter, afterWrite arms it once the
		// responses are out.
		c.renewGrace(c.lastWrite)
	case c.draining: // only a first request may still come (drain)
		c.setReadDeadline(c.firstDrainDue())
	case quiet && idle > 0:
		// The grace may have ended early (renewGrace): the idle timeout
		// counts from the start of the wait or the last write, whichever
		// came later, all the same.
		start := c.waitStart
		if c.lastWrite.After(start) {
			start = c.lastWrite
		}
		c.setReadDeadline(start.Add(idle))
	default:
		c.clearDeadline() // the idle timeout starts once the responses are out (afterWrite)
	}
	return true
}

// idleUnderGrace reports whether the idle timeout is shorter than the
// buffer grace: the buffered wait must then end at the idle timeout, not
// at the grace.
func (c *conn) idleUnderGrace() bool {
	idle := c.srv.cfg.idleTimeout
	return 0 < idle && idle < c.srv.cfg.bufferGrace
}

// renewGrace arms the buffered wait's deadline, the grace from now, unless
// the one it set for an earlier wait still has half of that to run as of
// seen, a recent clock reading: a busy keep-alive connection then sets a
// read deadline every half grace rather than on every request (a deadline
// change cost about 1,800 user-space instructions per request in
// callgrind, more than parsing the request), and reads the clock only then.
// seen may lag behind now, so a kept deadline may have passed already: the
// wait then ends at once and gives the read buffer back early, which is
// harmless, and the deadline that replaces it makes the next renewal read
// the clock. Called with mu held.
func (c *conn) renewGrace(seen time.Time) {
	grace := c.srv.cfg.bufferGrace
	until := c.graceUntil.Load()
	if until != 0 && !seen.IsZero() && until-seen.UnixNano() >= int64(grace/2) {
		return
	}
	t := time.Now().Add(grace)
	c.rwc.SetReadDeadline(t)
	c.graceUntil.Store(t.UnixNano())
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error) // the connection's own errors are not wrapped
	return ok && ne.Timeout()
}

// Buffer pools: connections hold their buffers only while they read a
// request or write responses.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufferSize) }}
)

// acquireReader gives the connection a read buffer, and moves what a wait
// read into it at once (a Peek of what is pending reads nothing more), so
// that br holds every byte read from the connection: a hand-over (Upgrade,
// Hijack) gives the application br's bytes, and never loses one that a
// wait read.
func (c *conn) acquireReader() {
	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(&c.in)
	if len(c.in.pending) > 0 {
		c.br.Peek(1)
	}
}

// releaseReader returns the (empty) read buffer to the pool.
func (c *conn) releaseReader() {
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.br = nil
}

// releaseWriter gives the write buffer back to the pool, unless a writer
// has it. Called with mu held.
func (c *conn) releaseWriter() {
	if c.seq.writing || c.bw == nil {
		return
	}
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
	c.bw = nil
}

// prefixReader reads from the connection, first returning what a wait
// read (waitBufferless's chunk, or waitUnbuffered's one byte).
type prefixReader struct {
	conn    net.Conn
	raw     syscall.RawConn // the socket, on a plain TCP or Unix connection: waits need no buffer
	stats   *serverStats    // counts the bytes read
	prefix  [1]byte
	pending []byte             // read by the wait, not yet returned
	chunk   *[]byte            // the pooled buffer pending is in, if any
	readyFn func(uintptr) bool // readReady, bound once
	err     error              // readReady's failure, for waitBufferless
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pending) > 0 {
		n := copy(b, p.pending)
		p.pending = p.pending[n:]
		if len(p.pending) == 0 && p.chunk != nil {
			chunkPool.Put(p.chunk)
			p.chunk = nil
		}
		return n, nil
	}
	n, err := p.conn.Read(b)
	p.stats.bytesRead.Add(uint64(n))
	return n, err
}

// chunkPool holds the buffers that waits without a read buffer read into.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// bufferlessWaitConns is the number of open connections from which a
// plain socket's buffered wait gives its read buffer back at once
// (waitBufferless) instead of after the grace. Below it, the buffers that
// waiting connections hold total at most 1 MiB, and keeping them saves
// each keep-alive request the pool round trips and the copy of a
// bufferless wait (about 5% of keep-alive req/s at 64 connections, wrk,
// 2 cores); above it, memory per connection is what counts: 1,000 busy
// connections (each with a request every 9 ms) held 15.5 KiB each instead
// of 21.5 (net/http: 32.2), for 1.3% fewer req/s (bench/RESULTS.md). A
// variable so that tests can run every wait bufferless.
var bufferlessWaitConns int64 = 256

// waitBuffered waits for the first byte of a request for up to the grace
// (the deadline startAwait set), keeping the read buffer on a TLS
// connection or with few connections open.
func (c *conn) waitBuffered() error {
	if c.in.raw != nil && c.br.Buffered() == 0 && c.srv.connCount.Load() >= bufferlessWaitConns {
		return c.waitBufferless()
	}
	_, err := c.br.Peek(1)
	return err
}

// waitUnbuffered waits for the first byte of a request with the read
// buffer given back: on a plain socket without reading (waitBufferless),
// otherwise reading one byte, which br then returns first.
func (c *conn) waitUnbuffered() error {
	if c.in.raw != nil {
		return c.waitBufferless()
	}
	c.releaseReader()
	n, err := c.rwc.Read(c.in.prefix[:])
	c.srv.stats.bytesRead.Add(uint64(n))
	if n == 1 {
		c.in.pending = c.in.prefix[:]
	}
	c.acquireReader()
	return err
}

// waitBufferless waits on a plain socket until it is readable, without a
// read buffer: it reads what came into a pooled chunk (readReady), which br
// then consumes, so a connection holds no buffer while it waits.
func (c *conn) waitBufferless() error {
	c.releaseReader()
	err := c.in.raw.Read(c.in.readyFn)
	c.acquireReader()
	if err == nil {
		err, c.in.err = c.in.err, nil
	}
	return err
}

// readReady is the wait's read on a readable socket (raw.Read calls it
// when the socket may have bytes): false means none yet, wait. What it
// read is left in pending; a failed read or the end of the stream in err.
func (p *prefixReader) readReady(fd uintptr) bool {
	buf := chunkPool.Get().(*[]byte)
	n, err := syscall.Read(int(fd), *buf)
	for err == syscall.EINTR {
		n, err = syscall.Read(int(fd), *buf)
	}
	switch {
	case err == syscall.EAGAIN:
		chunkPool.Put(buf)
		return false
	case err != nil || n == 0:
		chunkPool.Put(buf)
		p.err = err
		if n == 0 && err == nil {
			p.err = io.EOF
		}
	default:
		p.pending, p.chunk = (*buf)[:n], buf
		p.stats.bytesRead.Add(uint64(n))
	}
	return true
}

// setReadTimeout sets the read deadline d from now (none when d <= 0).
func (c *conn) setReadTimeout(d time.Duration) {
	if d > 0 {
		c.setReadDeadline(time.Now().Add(d))
	} else {
		c.setReadDeadline(time.Time{})
	}
}

// setReadDeadline sets the socket's read deadline. Every read deadline but
// renewGrace's goes through it, so that renewGrace knows its own is gone.
func (c *conn) setReadDeadline(t time.Time) {
	c.graceUntil.Store(0)
	c.rwc.SetReadDeadline(t)
}

func (c *conn) clearDeadline() { c.setReadDeadline(time.Time{}) }

// aLongTimeAgo is a deadline in the past, to make a blocked Read return now.
var aLongTimeAgo = time.Unix(1, 0)

// rawConn is the socket of a plain TCP or Unix connection, nil for others.
func rawConn(rwc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch t := rwc.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}
