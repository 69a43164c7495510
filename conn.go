package tinyhttp

// One HTTP/1.1 connection: its lifecycle (handshake, read loop, orderly
// close), the keep-alive decision and the read side's timeouts. The response
// order is the sequencer's (pipeline.go); request bodies are body.go's;
// handing the stream over is upgrade.go's; the wait for the next request is
// keepalive.go's, and Shutdown's draining drain.go's; responses written as
// they are made are stream.go's; the writer with its deadline is
// sendfile.go's; what requests learn of their connection (context, TLS,
// address) is connctx.go's.
//
// # Concurrency contract
//
// Three kinds of goroutine touch a connection:
//
//   - the read loop (serve, the connection's pool task): it alone reads the
//     socket, except as below, and owns the fields marked "read loop";
//   - the goroutine holding the write turn (pipeline.go): one at a time, it
//     alone writes the socket and uses bw and out ("write turn");
//   - any other goroutine: the application answering a request, the drop
//     sweep, the server's Close and Shutdown. They change the connection
//     only under mu, through the sequencer and the state below.
//
// An answering goroutine reads the connection (br) only through its own
// request's streamed body, and only while that body is the current one: the
// read loop is then parked in awaitResolution and does not touch br until
// the body is settled (read to its end, failed, or answered). Upgrade hands
// br over to the application the same way, while the read loop waits on the
// upgrade request.
//
// Lock order: Server.mu before conn.mu; no other lock is held with conn.mu.
// Nothing blocks while conn.mu is held: socket writes, flushes and closes
// (a TLS close sends close_notify and may wait for the write timeout)
// happen after unlock. breakLocked only marks the connection broken; the
// unlock that follows (conn.unlock) closes the socket. Setting a deadline
// does not block and may be done under mu.

import (
	"bufio"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// resolution says what the read loop does once a request it waits on (one
// with a streamed body, or one asking for an upgrade) is settled.
type resolution uint8

const (
	unresolved resolution = iota
	keepReading
	drainBody   // discard the rest of the body, then keep reading
	stopReading // close the connection once the responses are out
	handedOver  // the connection now belongs to the application (Upgrade)
)

// conn is one client connection: its read loop parses requests and queues
// them; its sequencer writes their responses in request order from whichever
// goroutine answers.
type conn struct {
	// Set before the read loop starts, then read-only. The handshake
	// replaces rwc by its TLS connection under mu.
	srv    *Server
	rwc    net.Conn
	remote net.Addr
	secure bool

	// Read loop.
	br *bufio.Reader // nil while a wait has given it back (the unbuffered wait; waitBufferless)
	hb headBuffer
	in prefixReader // what br reads from
	// The header timeout is armed on the socket only when a read of the
	// head must wait (headArmed).
	headArmed    bool
	yielded      bool      // the read loop yielded after the previous hand-off (yieldEveryOther)
	pipelined    bool      // the request being read was already buffered when the read loop came to it
	blankIdled   bool      // the read loop went back to the idle wait after empty lines before this request (blankWait)
	waitStart    time.Time // when the current wait for a request began, if the idle timeout runs
	served       int       // requests queued so far
	lastWasClose bool      // the last request read closes the connection (watchDisconnect)
	heads        []byte    // the arena request heads are stored in (storeHead); nil while idle
	// graceUntil is the read deadline (Unix ns) that renewGrace set for the
	// buffered wait, or 0 once any other read deadline replaced it (from
	// any goroutine: hence atomic).
	graceUntil atomic.Int64

	// Write turn. bw is taken from and given back to its pool under mu.
	bw  *bufio.Writer
	out deadlineWriter // what bw writes to

	mu        sync.Mutex
	seq       sequencer // the response slots and the write turn (pipeline.go)
	lastWrite time.Time // the clock reading of the last write batch (for Date and the idle timeout)
	closing   bool      // a response said close: nothing more is written or read
	broken    bool      // the connection is unusable (closed, or a write failed)
	closeDue  bool      // breakLocked asked for the socket to be closed: unlock does it
	idleDue   bool      // afterWrite found the connection idle: unlock reports it (ConnState)
	awaiting  uint8     // the read loop waits for a request's first byte: awaitBuffered or awaitUnbuffered
	readPhase uint8     // the read loop reads a step of the opening (readingOpening) or a head (readingHead): drain shortens its deadline
	readDue   time.Time // that read's own deadline (zero: none), which drain never lengthens
	draining  bool      // Shutdown: finish what is read, read nothing more
	readStop  bool      // read nothing more; close once the responses are out
	waiting   bool      // the read loop waits for request waitingID to be settled
	waitingID uint64
	resolved  resolution
	upgraded  bool
	ctxEnd    error         // why the contexts of the connection's requests ended (endContext); nil while they run
	wake      chan struct{} // capacity 1: tells the read loop (or finish) to look again
	ext       *connExtra    // what few connections need, made on first use (extra)
}

func newConn(srv *Server, rwc net.Conn) *conn {
	c := &conn{srv: srv, rwc: rwc, wake: make(chan struct{}, 1)}
	c.remote = rwc.RemoteAddr()
	if _, unix := rwc.(*net.UnixConn); unix {
		c.remote = nil
	}
	return c
}

// signal wakes the read loop if it is waiting. Called with mu held or not.
func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// unlock releases mu, then closes the socket if breakLocked asked for it:
// a close may block (TLS close_notify), so never under the lock.
func (c *conn) unlock() {
	if c.closeDue || c.idleDue {
		c.unlockSlow()
		return
	}
	c.mu.Unlock()
}

// unlockSlow is unlock's slow path: the close breakLocked asked for, or
// the Idle state afterWrite found.
func (c *conn) unlockSlow() {
	idle := c.idleDue
	c.idleDue = false
	if c.closeDue {
		c.unlockAndClose()
	} else {
		c.mu.Unlock()
	}
	if idle {
		c.reportState(StateIdle)
	}
}

// unlockAndClose is unlock's slow path.
func (c *conn) unlockAndClose() {
	rwc := c.rwc
	c.closeDue = false
	c.mu.Unlock()
	rwc.Close()
}

// breakLocked marks the connection unusable and wakes every waiter; the
// socket is closed by the unlock that follows. Called with mu held.
func (c *conn) breakLocked() {
	c.closeDue = true // also when already broken: it may be lingering in finish
	if c.broken {
		return
	}
	c.broken = true
	c.endContext(ErrConnectionClosed)
	c.seq.wakeWaiters()
	c.signal()
}

// breakConn is breakLocked with the lock taken.
func (c *conn) breakConn() {
	c.mu.Lock()
	c.breakLocked()
	c.unlock()
}

// serve runs the connection: PROXY header, TLS handshake, then the read loop, then the
// orderly close. It is the connection's task in the pool.
func (c *conn) serve() {
	defer c.finish()
	if c.srv.cfg.connState != nil {
		c.mu.Lock()
		c.extra().states = &connStateTracker{}
		c.mu.Unlock()
		c.reportState(StateNew)
	}
	if !c.acceptProxy() { // proxyproto.go; may leave br holding the start of the first request
		c.breakConn()
		return
	}
	if err := c.handshake(); err != nil {
		c.srv.debugf("tinyhttp: TLS handshake failed", c.remote, "err", err)
		c.breakConn()
		return
	}
	c.in = prefixReader{conn: c.rwc, raw: rawConn(c.rwc), stats: &c.srv.stats}
	c.in.readyFn = c.in.readReady
	c.out = deadlineWriter{conn: c.rwc, timeout: c.srv.cfg.writeTimeout, stats: &c.srv.stats}
	if c.br == nil {
		c.acquireReader()
	}
	if c.speaksH2() {
		c.serveH2()
		return
	}
	for c.waitReadAhead() {
		if !c.readRequest() {
			break
		}
	}
	if c.lastWasClose {
		c.watchDisconnect()
	}
}

// Buffer sizes: a 4 KiB read buffer holds a typical request head whole; a
// 4 KiB write buffer holds a small response with its head, so most
// responses cost one write.
const (
	readBufferSize  = 4 << 10
	writeBufferSize = 4 << 10
)

// waitReadAhead blocks while the application has the read-ahead limit of
// requests unanswered; false means stop reading.
func (c *conn) waitReadAhead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.seq.outstanding() >= uint64(c.srv.cfg.maxPipelined) && !c.stopped() {
		c.mu.Unlock()
		<-c.wake
		c.mu.Lock()
	}
	return !c.stoppedForFirst()
}

// stopped reports whether nothing more will be read. Called with mu held.
func (c *conn) stopped() bool { return c.closing || c.broken || c.draining || c.readStop }

// isStopped is stopped with the lock taken.
func (c *conn) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped()
}

// readRequest reads, parses and queues one request; false means stop.
func (c *conn) readRequest() bool {
	if !c.awaitFirstByte() {
		return false
	}
	r := &Request{answer: c, secure: c.secure}
	r.head.headers = r.hdrs[:0]
	err := readHead(c.br, &c.hb, c.srv.cfg.headLimits, c)
	for err == errBlankLines { // empty lines, then nothing yet: the connection is idle still
		c.endHead()
		if !c.awaitFirstByte() {
			return false
		}
		err = readHead(c.br, &c.hb, c.srv.cfg.headLimits, c)
	}
	c.blankIdled = false
	if err == nil {
		err = parseHead(&r.head, c.storeHead(c.hb.buf), &c.hb, c.srv.cfg.headLimits)
		r.unlinkInlineHeaders()
	}
	if err == nil {
		err = c.prepareBody(r)
	}
	c.endHead()
	if err != nil {
		c.rejectRequest(err, r.head.version)
		return false
	}
	return c.dispatch(r)
}

// headSlab is the size of the arenas that a busy connection copies request
// heads into: a typical head of a benchmark or API client (40 to 300
// bytes) then costs a share of an allocation instead of one of its own
// (a hello-world exchange: 2.03 allocations instead of 3). 1 KiB bounds
// what a string the application keeps alive can hold on to.
const headSlab = 1 << 10

// storeHead returns head as a string that the request keeps: the bytes are
// copied once, into the connection's arena on a busy connection, and never
// written again, so requests never see each other's bytes change. A head
// above a quarter of headSlab, or one on a connection that is not busy
// (its first requests, or one that idled: an idle connection holds no
// arena), gets an allocation of its own. Called by the read loop only.
func (c *conn) storeHead(head []byte) string {
	if c.served < keepWriterAfter || len(head) > headSlab/4 {
		return string(head)
	}
	if cap(c.heads)-len(c.heads) < len(head) {
		c.heads = make([]byte, 0, headSlab)
	}
	start := len(c.heads)
	c.heads = append(c.heads, head...)
	return unsafe.String(&c.heads[start], len(head))
}

// dispatch files r in the sequencer, queues it, and, when r's body is
// streamed or r asks for an upgrade, waits until it is settled. false means
// stop.
func (c *conn) dispatch(r *Request) bool {
	body := r.stream
	waits := body != nil || r.holdsReadLoop()
	x := exchange{head: r.head.method == MethodHead, version: r.head.version, keepAlive: r.head.keepAlive, teChunked: -1}
	c.mu.Lock()
	r.id = c.seq.file(r, x, c.srv.dropGen.Load())
	if body != nil {
		body.id = r.id
	}
	if waits {
		c.waiting, c.waitingID, c.resolved = true, r.id, unresolved
	}
	c.mu.Unlock()
	keepAlive := r.head.keepAlive
	c.served++
	c.srv.stats.requests.Add(1)
	handed := c.srv.enqueue(r) == pushHanded // r is not used after this
	c.lastWasClose = !keepAlive
	if !waits {
		if handed && keepAlive && !c.pipelined && c.br.Buffered() == 0 {
			c.yieldEveryOther()
		}
		return keepAlive
	}
	switch c.awaitResolution() {
	case keepReading:
		return c.drainEnd(body, true) && keepAlive
	case drainBody:
		return c.drainEnd(body, c.drainBody(body)) && keepAlive
	}
	c.drainEnd(body, false)
	c.lastWasClose = false // the connection is not the read loop's to watch any more
	return false
}

// watchDisconnect runs after the read loop read a request that closes the
// connection (Connection: close, HTTP/1.0): until its responses are out it
// waits on the socket, so that a client going away ends the requests'
// contexts as it does on a keep-alive connection, where the read loop is
// waiting for the next request anyway. What the client sends (it should
// send nothing) is left unread. Called by the read loop only.
func (c *conn) watchDisconnect() {
	c.mu.Lock()
	if c.closing || c.broken || c.upgraded || c.readStop || c.seq.idle() {
		c.mu.Unlock()
		return
	}
	c.awaiting = awaitWatch // afterWrite, Shutdown and handOver interrupt the wait
	c.clearDeadline()
	c.mu.Unlock()
	_, err := c.br.Peek(1)
	c.mu.Lock()
	c.awaiting = awaitNone
	c.mu.Unlock()
	c.readFailed(err)
}

// yieldEveryOther lets the receiver just handed a request run before the
// read loop reads on, every other time. The read loop comes back to the
// connection later, usually after the client has sent its next request,
// which the read then finds at once: without the yield, every keep-alive
// request costs a second read that finds the socket empty. Yielding after
// every hand-off removed that read entirely but starved the network
// poller (yielded goroutines wait in the global run queue, and the poller
// runs only when no goroutine is runnable): p99 went from 1.2 ms to 5-7 ms
// under wrk -c64. Every other time bounds each read loop to one pass
// through the global queue between polls. Measured here (keep-alive,
// wrk -c64, one core, alternating runs): 1.48 reads per request instead of
// 2, 129-130k req/s against 123k without the yield and fasthttp's
// 128k; p50 455 µs against 517 µs, p99 1.4 ms against 1.1 ms. Only for a
// request that came alone, when another may follow: a pipelining client
// sends its next batch only once it has the answers, so the read after a
// batch finds the socket empty anyway (and one of three runs of the 1 ms-
// handler load fell to 331k req/s, against 354-358k, when batches yielded
// too). Called by the read loop only.
func (c *conn) yieldEveryOther() {
	if c.yielded {
		c.yielded = false
		return
	}
	c.yielded = true
	runtime.Gosched()
}

// awaitResolution blocks until the request the read loop waits on is settled.
func (c *conn) awaitResolution() resolution {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.resolved == unresolved && !c.broken && !c.closing {
		c.mu.Unlock()
		<-c.wake
		c.mu.Lock()
	}
	c.waiting = false
	if c.resolved == unresolved {
		return stopReading
	}
	return c.resolved
}

// resolve settles the request the read loop waits on.
func (c *conn) resolve(id uint64, how resolution) {
	c.mu.Lock()
	if c.waiting && c.waitingID == id && c.resolved == unresolved {
		c.resolved = how
		if how == stopReading {
			c.seq.slotFor(id).mustClose = true
		}
	}
	c.mu.Unlock()
	c.signal()
}

// rejectRequest answers a request that could not be read with its automatic
// status and closes the connection after it; a connection that ended or
// timed out before a head started is closed without a word.
func (c *conn) rejectRequest(err error, v HTTPVersion) {
	var status StatusCode
	var pe *parseError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		status = pe.status
	case errors.As(err, &ne) && ne.Timeout():
		status = StatusRequestTimeout // part of a head (or small body) arrived, then nothing
	default:
		c.readFailed(err)
		return // EOF or a broken connection: nobody to answer
	}
	c.srv.stats.countRejected(status)
	c.srv.debugf("tinyhttp: request rejected", c.remote, "status", int(status), "err", err)
	if v.Major != 1 {
		v = HTTPVersion{1, 1}
	}
	x := exchange{version: v, mustClose: true, teChunked: -1}
	c.mu.Lock()
	id := c.seq.file(nil, x, 0)
	c.seq.slotFor(id).mustClose = true
	c.mu.Unlock()
	out := prepareFor(Empty(status), x, &c.srv.cfg.server)
	c.submit(id, &out)
}

// finish waits for the outstanding responses, closes the connection
// gracefully (unless it was handed over) and leaves the server's registry.
func (c *conn) finish() {
	c.mu.Lock()
	for !c.broken && !c.upgraded && (c.seq.writing || (!c.closing && !c.seq.idle())) {
		c.mu.Unlock()
		<-c.wake
		c.mu.Lock()
	}
	upgraded, broken, rwc := c.upgraded, c.broken, c.rwc
	c.broken = c.broken || !upgraded
	c.closeDue = false // closed below
	c.releaseWriter()
	if !upgraded {
		// A hijacking handler's context lasts until it returns, as in
		// net/http; Close ends it (closeConns).
		c.endContext(ErrConnectionClosed)
	}
	if c.ext != nil && c.ext.loopDone != nil {
		close(c.ext.loopDone) // handOver may take the connection now
	}
	c.mu.Unlock()
	if !upgraded {
		if !broken {
			lingeringClose(rwc)
		}
		rwc.Close()
		if c.srv.cfg.connState != nil {
			c.reportState(StateClosed)
		}
	}
	c.srv.forget(c)
}

// lingerTimeout bounds how long a closing connection reads and discards what
// the client still sends, so that the kernel does not answer unread data
// with a reset that would destroy the last response in flight.
const lingerTimeout = 500 * time.Millisecond

// lingeringClose half-closes the connection, then drains it until the client
// closes too or lingerTimeout passes.
func lingeringClose(rwc net.Conn) {
	cw, ok := rwc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	rwc.SetReadDeadline(time.Now().Add(lingerTimeout))
	var buf [512]byte
	for {
		if _, err := rwc.Read(buf[:]); err != nil {
			return
		}
	}
}
