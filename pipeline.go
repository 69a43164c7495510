package tinyhttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// slotState is where one request's answer stands.
type slotState uint8

const (
	slotFree    slotState = iota // no request, or its response is written
	slotPending                  // queued to the application, unanswered
	slotReady                    // answered; the response waits for its turn
	slotClaimed                  // a raw writer (IntoWriter, Upgrade) waits for its turn
)

// slot is one request's place in the connection's response order.
type slot struct {
	id    uint64
	state slotState
	gen   uint32   // the server's drop-sweep generation when req was filed
	req   *Request // held while pending and not yet watched by finalizer (dropwatch.go)
	x     exchange
	resp  *Response
	turn  chan struct{} // closed when a waiting raw writer or 100-continue gets its turn
}

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
// goroutine answers. All connection state changes go through mu.
type conn struct {
	srv    *Server
	rwc    net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	remote net.Addr
	secure bool
	hb     headBuffer
	in     prefixReader // what br reads from
	// The header timeout is armed on the socket only when a read of the
	// head must wait (headArmed).
	headArmed bool
	yielded   bool           // the read loop yielded after the previous hand-off (yieldEveryOther)
	pipelined bool           // the request being read was already buffered when the read loop came to it
	out       deadlineWriter // what bw writes to
	// graceUntil is the read deadline (Unix ns) that renewGrace set for the
	// buffered wait, or 0 once any other read deadline replaced it.
	graceUntil atomic.Int64
	waitStart  time.Time // when the current wait for a request began, if the idle timeout runs
	lastWrite  time.Time // the clock reading of the last write batch (for Date)

	mu        sync.Mutex
	slots     []slot // ring indexed by id % len(slots); grows up to the read-ahead limit
	issued    uint64 // requests read so far; the next request's id
	next      uint64 // id of the next response to write
	writing   bool   // one goroutine writes; the others queue their responses
	closing   bool   // a response said close: nothing more is written or read
	broken    bool   // the connection is unusable (closed, or a write failed)
	awaiting  uint8  // the read loop waits for a request's first byte: awaitBuffered or awaitUnbuffered
	draining  bool   // Shutdown: finish what is read, read nothing more
	readStop  bool   // read nothing more; close once the responses are out
	waiting   bool   // the read loop waits for request waitingID to be settled
	waitingID uint64
	resolved  resolution
	upgraded  bool
	wake      chan struct{} // capacity 1: tells the read loop to look again
}

// initialSlots is the ring's first size; it doubles up to the read-ahead limit.
const initialSlots = 4

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

// serve runs the connection: TLS handshake, then the read loop, then the
// orderly close. It is the connection's task in the pool.
func (c *conn) serve() {
	defer c.finish()
	if err := c.handshake(); err != nil {
		c.breakConn()
		return
	}
	c.in = prefixReader{conn: c.rwc}
	c.out = deadlineWriter{conn: c.rwc, timeout: c.srv.cfg.writeTimeout}
	c.acquireReader()
	for c.waitReadAhead() {
		if !c.readRequest() {
			return
		}
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
	for c.issued-c.next >= uint64(c.srv.cfg.maxPipelined) && !c.stopped() {
		c.mu.Unlock()
		<-c.wake
		c.mu.Lock()
	}
	return !c.stopped()
}

// stopped reports whether nothing more will be read. Called with mu held.
func (c *conn) stopped() bool { return c.closing || c.broken || c.draining || c.readStop }

// readRequest reads, parses and queues one request; false means stop.
func (c *conn) readRequest() bool {
	if !c.awaitFirstByte() {
		return false
	}
	r := &Request{answer: c, remote: c.remote, secure: c.secure}
	r.head.headers = r.hdrs[:0]
	err := readHead(c.br, &c.hb, c.srv.cfg.headLimits, c)
	if err == nil {
		err = parseHead(&r.head, string(c.hb.buf), &c.hb, c.srv.cfg.headLimits)
		r.unlinkInlineHeaders()
	}
	if err == nil {
		err = c.prepareBody(r)
	}
	if err != nil {
		c.rejectRequest(err, r.head.version)
		return false
	}
	return c.dispatch(r)
}

// How the read loop waits for the next request (conn.awaiting).
const (
	awaitNone       = iota
	awaitBuffered   // with its read buffer, for up to idleGrace
	awaitUnbuffered // with its read buffer back in the pool
)

// idleGrace is how long a connection waiting for its next request keeps its
// read buffer. A busy keep-alive client sends its next request well within
// it; a connection idle for longer gives the buffer back, so that thousands
// of idle connections hold no buffers.
const idleGrace = 250 * time.Millisecond

// awaitFirstByte waits for the first byte of the next request, then starts
// the header timeout. The wait is bounded by the idle timeout once no
// response is outstanding. false means stop.
func (c *conn) awaitFirstByte() bool {
	c.pipelined = c.br.Buffered() > 0
	if c.pipelined { // the next request is here already
		c.startHead()
		return !c.isStopped()
	}
	if !c.startAwait(awaitBuffered) {
		return false
	}
	_, err := c.br.Peek(1)
	if isTimeout(err) && !c.isStopped() && c.startAwait(awaitUnbuffered) {
		c.releaseReader()
		var n int
		n, err = c.rwc.Read(c.in.prefix[:])
		c.acquireReader()
		c.in.pending = n == 1
	}
	c.mu.Lock()
	c.awaiting = awaitNone
	stop := c.stopped()
	c.mu.Unlock()
	if err != nil || stop {
		return false
	}
	c.startHead()
	return true
}

// startHead starts a request's head: the header timeout is armed only if
// a read must wait for more of it (beforeBlock).
func (c *conn) startHead() { c.headArmed = false }

// beforeBlock arms the header timeout before the first read of a head (or
// of a small body) that may wait for the network. It runs from then, not
// from the first byte: the two are microseconds of parsing apart.
func (c *conn) beforeBlock() {
	if c.headArmed {
		return
	}
	c.headArmed = true
	c.setReadTimeout(c.srv.cfg.readHeaderTimeout)
}

// startAwait enters a waiting phase and sets its read deadline: idleGrace
// for the buffered phase, the idle timeout (less the grace already spent)
// for the unbuffered one when no response is outstanding. false means stop.
func (c *conn) startAwait(phase uint8) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped() {
		return false
	}
	c.awaiting = phase
	if phase == awaitUnbuffered {
		c.releaseWriter()
	}
	idle := c.srv.cfg.idleTimeout
	quiet := c.issued == c.next // no response outstanding: the idle timeout runs
	switch {
	case phase == awaitBuffered && quiet && 0 < idle && idle < idleGrace:
		c.waitStart = time.Now()
		c.setReadDeadline(c.waitStart.Add(idle))
	case phase == awaitBuffered && quiet:
		c.waitStart = time.Now()
		c.renewGrace(c.waitStart)
	case phase == awaitBuffered:
		// A response is outstanding, so the idle timeout will count from its
		// write, and the last write batch's clock reading is recent enough
		// for renewGrace: the hot keep-alive path reads no clock.
		c.renewGrace(c.lastWrite)
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

// renewGrace arms the buffered wait's deadline, idleGrace from now, unless
// the one it set for an earlier wait still has half of that to run as of
// seen, a recent clock reading: a busy keep-alive connection then sets a
// read deadline every idleGrace/2 rather than on every request (a deadline
// change cost about 1,800 user-space instructions per request in
// callgrind, more than parsing the request), and reads the clock only then.
// seen may lag behind now, so a kept deadline may have passed already: the
// wait then ends at once and gives the read buffer back early, which is
// harmless, and the deadline that replaces it makes the next renewal read
// the clock. Called with mu held.
func (c *conn) renewGrace(seen time.Time) {
	until := c.graceUntil.Load()
	if until != 0 && !seen.IsZero() && until-seen.UnixNano() >= int64(idleGrace/2) {
		return
	}
	t := time.Now().Add(idleGrace)
	c.rwc.SetReadDeadline(t)
	c.graceUntil.Store(t.UnixNano())
}

// isStopped is stopped with the lock taken.
func (c *conn) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped()
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

// acquireReader gives the connection a read buffer.
func (c *conn) acquireReader() {
	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(&c.in)
}

// releaseReader returns the (empty) read buffer to the pool.
func (c *conn) releaseReader() {
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.br = nil
}

// takeTurn makes this goroutine the writer and gives it the write buffer.
// Called with mu held.
func (c *conn) takeTurn() {
	c.writing = true
	if c.bw == nil {
		c.bw = writerPool.Get().(*bufio.Writer)
		c.bw.Reset(&c.out)
	}
}

// endTurn ends the writer's turn. A busy connection keeps its (flushed)
// write buffer for the next response, saving a pool round trip per request;
// it goes back to the pool once the connection idles (the read loop's
// unbuffered wait) or ends. A connection that has sent a single request so
// far is not taken for busy: most such connections then idle (10,000 idle
// connections each holding a write buffer through idleGrace cost 2.4 KiB
// more per connection at their peak). Called with mu held.
func (c *conn) endTurn() {
	c.writing = false
	if c.issued < keepWriterAfter || c.awaiting == awaitUnbuffered || c.closing || c.broken {
		c.releaseWriter()
	}
}

// keepWriterAfter is how many requests a connection must have sent before
// it keeps its write buffer between responses.
const keepWriterAfter = 2

// releaseWriter gives the write buffer back to the pool, unless a writer
// has it. Called with mu held.
func (c *conn) releaseWriter() {
	if c.writing || c.bw == nil {
		return
	}
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
	c.bw = nil
}

// prefixReader reads from the connection, first returning the byte that
// an unbuffered wait read.
type prefixReader struct {
	conn    net.Conn
	prefix  [1]byte
	pending bool
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if p.pending && len(b) > 0 {
		b[0], p.pending = p.prefix[0], false
		return 1, nil
	}
	return p.conn.Read(b)
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

// eagerBodyLimit is the largest body read before its request is queued, like
// tiny-http: small bodies then cost the application no read from the socket,
// and pipelined requests behind them are read at once.
const eagerBodyLimit = 1024

// prepareBody sets up r's body: none, read now (small), or streamed.
func (c *conn) prepareBody(r *Request) error {
	h := &r.head
	r.bodyLen = h.contentLength
	if h.chunked {
		r.bodyLen = -1
	}
	if max := c.srv.cfg.maxBodyBytes; max > 0 && h.contentLength > max {
		return &parseError{status: StatusRequestEntityTooLarge, err: ErrBodyTooLarge, detail: "Content-Length above MaxBodyBytes"}
	}
	switch {
	case !h.chunked && h.contentLength <= 0:
		r.body = noBody{}
		r.bodyLen = max(h.contentLength, 0)
	case !h.chunked && h.contentLength <= eagerBodyLimit && !h.expectContinue:
		b := make([]byte, h.contentLength)
		if int64(c.br.Buffered()) < h.contentLength {
			c.beforeBlock()
		}
		if _, err := io.ReadFull(c.br, b); err != nil {
			return err
		}
		r.eager, r.hasEager = b, true // Body returns &r.eager: r.body stays nil
	default:
		// A separate object, never pointing back at r: the read loop keeps
		// it to drain the body while r itself may become unreachable.
		b := &streamBody{c: c, expect: h.expectContinue, max: c.srv.cfg.maxBodyBytes}
		if h.chunked {
			b.chunks = newChunkedReader(c.br, c.srv.cfg.chunkLimits)
			b.src = b.chunks
		} else {
			b.limited = io.LimitedReader{R: c.br, N: h.contentLength}
			b.src = &b.limited
		}
		r.stream, r.body = b, b
	}
	return nil
}

// dispatch gives r its slot, queues it, and, when r's body is streamed or r
// asks for an upgrade, waits until it is settled. false means stop.
func (c *conn) dispatch(r *Request) bool {
	body := r.stream
	waits := body != nil || r.head.upgrade
	x := r.exchange()
	c.mu.Lock()
	r.id = c.issued
	if body != nil {
		body.id = r.id
	}
	c.issued++
	s := c.slotFor(r.id)
	*s = slot{id: r.id, state: slotPending, x: x, req: r, gen: c.srv.dropGen.Load()}
	if waits {
		c.waiting, c.waitingID, c.resolved = true, r.id, unresolved
	}
	c.mu.Unlock()
	keepAlive := r.head.keepAlive
	handed := c.srv.enqueue(r) == pushHanded // r is not used after this
	if !waits {
		if handed && keepAlive && !c.pipelined && c.br.Buffered() == 0 {
			c.yieldEveryOther()
		}
		return keepAlive
	}
	switch c.awaitResolution() {
	case keepReading:
		return keepAlive
	case drainBody:
		return c.drainBody(body) && keepAlive
	}
	return false
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

// drainBody reads and discards what is left of a body the application did
// not read, within maxDrainBytes and the body timeout; false means the
// connection closes instead.
func (c *conn) drainBody(b *streamBody) bool {
	c.setReadTimeout(c.srv.cfg.bodyReadTimeout)
	n, err := io.Copy(io.Discard, io.LimitReader(b.src, maxDrainBytes+1))
	c.clearDeadline()
	return err == nil && n <= maxDrainBytes && b.complete()
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
			c.slotFor(id).x.mustClose = true
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
		return // EOF or a broken connection: nobody to answer
	}
	if v.Major != 1 {
		v = HTTPVersion{1, 1}
	}
	c.mu.Lock()
	id := c.issued
	c.issued++
	*c.slotFor(id) = slot{id: id, state: slotPending, x: exchange{version: v, mustClose: true, teChunked: -1}}
	c.mu.Unlock()
	c.submit(id, Empty(status))
}

// slotFor returns the slot for id, growing the ring when needed. Called with
// mu held, for an id in [next, issued].
func (c *conn) slotFor(id uint64) *slot {
	if len(c.slots) == 0 {
		c.slots = make([]slot, initialSlots)
	}
	if id-c.next >= uint64(len(c.slots)) {
		grown := make([]slot, 2*len(c.slots))
		for i := c.next; i < id; i++ {
			grown[i%uint64(len(grown))] = c.slots[i%uint64(len(c.slots))]
		}
		c.slots = grown
	}
	return &c.slots[id%uint64(len(c.slots))]
}

// lookup returns the slot of an outstanding request, or nil once its
// response is written. Called with mu held.
func (c *conn) lookup(id uint64) *slot {
	if id < c.next || id >= c.issued || len(c.slots) == 0 {
		return nil
	}
	s := &c.slots[id%uint64(len(c.slots))]
	if s.id != id {
		return nil
	}
	return s
}

// respond is Request.Respond for a request read from this connection.
func (c *conn) respond(r *Request, resp *Response) error {
	verr := resp.validate()
	if verr != nil {
		resp.closeBody()
		resp = Empty(StatusInternalServerError)
	}
	c.settleBody(r)
	if r.head.upgrade {
		c.resolve(r.id, keepReading)
	}
	if err := c.submit(r.id, resp); err != nil {
		return err
	}
	return verr
}

// dropped answers 500 for a request that became unreachable unanswered. It
// runs on the runtime's finalizer goroutine, so it only starts the answer.
func (c *conn) dropped(id uint64) {
	c.mu.Lock()
	s := c.lookup(id)
	pending := s != nil && s.state == slotPending
	c.mu.Unlock()
	if !pending {
		return
	}
	c.resolve(id, stopReading) // its body, if streamed, is abandoned mid-way
	// Writing may block on a slow client: not on the runtime's finalizer goroutine.
	go c.submit(id, Empty(StatusInternalServerError))
}

// submit files resp as the answer to request id and, if it is that
// response's turn and nobody is writing, writes it and every response ready
// behind it. The error is the write error of resp when this goroutine wrote it.
func (c *conn) submit(id uint64, resp *Response) error {
	c.mu.Lock()
	s := c.lookup(id)
	if s == nil || s.state != slotPending {
		c.mu.Unlock()
		resp.closeBody()
		return ErrAlreadyAnswered
	}
	if c.broken || c.closing {
		s.state, s.req = slotFree, nil
		c.mu.Unlock()
		resp.closeBody()
		return ErrConnectionClosed
	}
	s.state, s.resp, s.req = slotReady, resp, nil
	if c.writing || id != c.next {
		c.mu.Unlock()
		return nil
	}
	c.takeTurn()
	return c.writeReady(id)
}

// writeReady writes the ready responses from next on, in order, flushing
// them together. Called with mu held and writing set; returns with mu
// released. mine is the id whose write error is returned.
func (c *conn) writeReady(mine uint64) (mineErr error) {
	yields := 0
	for {
		now := time.Now() // one clock read for the Date of every response in the batch
		c.lastWrite = now
		c.out.fresh = now // and for the write deadline
		for wrote := false; !c.broken && !c.closing; {
			s := c.lookup(c.next)
			if s == nil || s.state != slotReady {
				if !wrote || c.issued == c.next || yields == maxWriterYields {
					break
				}
				// More requests of this connection are in the application's
				// hands: let the goroutines answering them run, so that their
				// responses join this write instead of costing one each.
				yields++
				wrote = false
				c.mu.Unlock()
				runtime.Gosched()
				c.mu.Lock()
				continue
			}
			wrote = true
			resp, x, id := s.resp, s.x, s.id
			// Shutdown: the last request read gets Connection: close.
			x.mustClose = x.mustClose || (c.draining && id == c.issued-1)
			x.now = now
			s.resp, s.state = nil, slotFree
			c.mu.Unlock()
			closeAfter, err := writeResponse(c.bw, resp, &x, &c.srv.cfg.server)
			c.mu.Lock()
			c.next++
			if id == mine {
				mineErr = err
			}
			if err != nil {
				c.breakLocked()
			} else if closeAfter {
				c.closing = true
			}
		}
		c.mu.Unlock()
		err := c.bw.Flush()
		c.mu.Lock()
		if err != nil {
			if mineErr == nil && mine < c.next {
				mineErr = err
			}
			c.breakLocked()
		}
		if s := c.lookup(c.next); s == nil || s.state != slotReady || c.broken || c.closing {
			break
		}
	}
	c.out.fresh = time.Time{} // normally used up by the batch's first write; never left for a later writer
	c.passTurn()
	c.mu.Unlock()
	return mineErr
}

// maxWriterYields bounds how often a writer lets the answering goroutines
// run before it flushes: each yield costs about as much as a goroutine
// switch, far less than the write it may save; the bound keeps a stream of
// answers from holding a response back.
const maxWriterYields = 4

// passTurn ends a writer's turn: a raw writer waiting for the next slot gets
// it; otherwise nobody writes. It then tells the read loop what changed.
// Called with mu held and writing set.
func (c *conn) passTurn() {
	if s := c.lookup(c.next); s != nil && s.turn != nil && !c.broken && !c.closing {
		close(s.turn)
		s.turn = nil
		c.afterWrite()
		return // writing stays set: the waiter owns the turn now
	}
	c.endTurn()
	c.afterWrite()
}

// afterWrite starts the idle timeout when the read loop waits with nothing
// outstanding, wakes the read loop, and stops a connection that will close.
// Called with mu held.
func (c *conn) afterWrite() {
	if c.closing || c.broken {
		c.setReadDeadline(aLongTimeAgo) // interrupt a read of a request that will not be answered
	} else if c.awaiting == awaitUnbuffered && c.issued == c.next {
		c.setReadTimeout(c.srv.cfg.idleTimeout)
	}
	c.signal()
}

// aLongTimeAgo is a deadline in the past, to make a blocked Read return now.
var aLongTimeAgo = time.Unix(1, 0)

// breakLocked marks the connection unusable and closes the socket; every
// waiter wakes. Called with mu held.
func (c *conn) breakLocked() {
	c.rwc.Close() // also when already broken: it may be lingering in finish
	if c.broken {
		return
	}
	c.broken = true
	for i := range c.slots {
		if s := &c.slots[i]; s.turn != nil {
			close(s.turn)
			s.turn = nil
		}
	}
	c.signal()
}

func (c *conn) breakConn() {
	c.mu.Lock()
	c.breakLocked()
	c.mu.Unlock()
}

// awaitTurn blocks until it is request id's turn to write and takes it:
// every earlier response is written. Used by raw writers (claim: the request
// is answered by what they write) and by 100 Continue.
func (c *conn) awaitTurn(id uint64, claim bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.lookup(id)
	if s == nil || s.state != slotPending {
		return ErrAlreadyAnswered
	}
	if claim {
		s.state, s.req = slotClaimed, nil
	}
	for {
		if c.broken || c.closing {
			return ErrConnectionClosed
		}
		if c.next == id && !c.writing {
			c.takeTurn()
			return nil
		}
		turn := make(chan struct{})
		s.turn = turn
		c.mu.Unlock()
		<-turn
		c.mu.Lock()
		if c.next == id && c.writing && !c.broken && !c.closing {
			return nil // passTurn handed us the turn, writing still set
		}
	}
}

// releaseTurn ends a raw writer's turn; done means the request is answered.
func (c *conn) releaseTurn(id uint64, done, closeAfter bool) error {
	err := c.bw.Flush()
	c.mu.Lock()
	if err != nil {
		c.breakLocked()
	}
	if done {
		if s := c.lookup(id); s != nil {
			s.state = slotFree
		}
		c.next++
		if closeAfter {
			c.closing = true
		}
	}
	if s := c.lookup(c.next); s != nil && s.state == slotReady && !c.broken && !c.closing {
		c.writeReady(c.next)
		return err
	}
	c.passTurn()
	c.mu.Unlock()
	return err
}

// sendContinue writes "100 Continue" in its turn (RFC 9110 §10.1.1).
func (c *conn) sendContinue(id uint64) error {
	if err := c.awaitTurn(id, false); err != nil {
		return err
	}
	c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return c.releaseTurn(id, false, false)
}

// intoWriter is Request.IntoWriter for a request read from this connection.
func (c *conn) intoWriter(r *Request) (io.WriteCloser, error) {
	c.settleBody(r)
	c.resolve(r.id, stopReading)
	c.mu.Lock()
	c.readStop = true // raw output has no framing the server can trust
	c.interruptAwait()
	c.mu.Unlock()
	if err := c.awaitTurn(r.id, true); err != nil {
		return nil, err
	}
	return &rawWriter{c: c, id: r.id}, nil
}

// rawWriter is the writer IntoWriter returns.
type rawWriter struct {
	c      *conn
	id     uint64
	once   sync.Once
	closed bool
}

// Write writes p to the connection as it is, and flushes it.
func (w *rawWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrConnectionClosed
	}
	n, err := w.c.bw.Write(p)
	if err == nil {
		err = w.c.bw.Flush()
	}
	return n, err
}

// Close ends the raw answer; the next response on the connection may go.
func (w *rawWriter) Close() error {
	var err error
	w.once.Do(func() {
		w.closed = true
		err = w.c.releaseTurn(w.id, true, false) // readStop closes once the queue is out
	})
	return err
}

// upgrade is Request.Upgrade for a request read from this connection.
func (c *conn) upgrade(r *Request, protocol string, resp *Response) (net.Conn, error) {
	if resp.status < 100 || resp.status > 999 {
		return nil, fmt.Errorf("%w: status code %d", ErrInvalidResponse, int(resp.status))
	}
	if err := resp.validateHeaders(); err != nil {
		return nil, err
	}
	up, err := NewHeader("Upgrade", protocol)
	if err != nil {
		return nil, err
	}
	if err := c.awaitTurn(r.id, true); err != nil {
		return nil, err
	}
	c.bw.Write(appendUpgradeHead(c.bw.AvailableBuffer(), resp, up, &c.srv.cfg.server))
	resp.closeBody()
	if err := c.bw.Flush(); err != nil {
		c.breakConn()
		c.resolve(r.id, stopReading)
		return nil, err
	}
	c.mu.Lock()
	c.upgraded = true
	c.closing = true // nothing more goes through the sequencer
	if s := c.lookup(r.id); s != nil {
		s.state = slotFree
	}
	c.next++
	c.endTurn()
	c.mu.Unlock()
	c.resolve(r.id, handedOver)
	c.graceUntil.Store(0)
	c.rwc.SetDeadline(time.Time{}) // the application's protocol sets its own deadlines
	return c.srv.trackUpgraded(c, &upgradedConn{Conn: c.rwc, br: c.br}), nil
}

// appendUpgradeHead appends resp's head for a protocol switch: no body and
// no framing fields, with Connection: upgrade and the Upgrade field.
func appendUpgradeHead(b []byte, resp *Response, up Header, srv *responsePolicy) []byte {
	r := *resp
	r.headers = append(append([]Header(nil), resp.headers...), up, Header{Field: "Connection", Value: "upgrade"})
	x := exchange{version: HTTPVersion{1, 1}, keepAlive: true}
	return appendHead(b, &r, frameNone, &x, false, srv)
}

// upgradedConn is the raw connection handed to the application by Upgrade:
// bytes the server had already buffered come first.
type upgradedConn struct {
	net.Conn
	br      *bufio.Reader
	release func()
	once    sync.Once
}

// Read reads the buffered bytes first, then from the connection.
func (u *upgradedConn) Read(p []byte) (int, error) {
	if u.br != nil && u.br.Buffered() > 0 {
		return u.br.Read(p)
	}
	return u.Conn.Read(p)
}

// Close closes the connection and stops the server tracking it.
func (u *upgradedConn) Close() error {
	err := u.Conn.Close()
	u.once.Do(func() {
		if u.release != nil {
			u.release()
		}
	})
	return err
}

// finish waits for the outstanding responses, closes the connection
// gracefully (unless it was handed over) and leaves the server's registry.
func (c *conn) finish() {
	c.mu.Lock()
	for !c.broken && !c.upgraded && (c.writing || (!c.closing && c.next < c.issued)) {
		c.mu.Unlock()
		<-c.wake
		c.mu.Lock()
	}
	upgraded, broken := c.upgraded, c.broken
	c.broken = c.broken || !upgraded
	c.releaseWriter()
	c.mu.Unlock()
	if !upgraded {
		if !broken {
			lingeringClose(c.rwc)
		}
		c.rwc.Close()
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

// deadlineWriter writes to a connection with a write deadline renewed before
// its writes: a client that stops reading is cut off after timeout without
// progress. Only the goroutine holding the write turn uses it.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
	expires time.Time // the deadline last set
	fresh   time.Time // a clock reading the next renew may use instead of reading the clock
}

// writeChunkForDeadline bounds each ReadFrom step, so that the write timeout
// measures progress, not the length of a whole file transfer.
const writeChunkForDeadline = 4 << 20

// renew pushes the deadline back to timeout from now. A deadline set less
// than renewSlack of the timeout ago is kept: under load that spares a timer
// update per response, and a stalled client is still cut off between
// (1-renewSlack)×timeout and timeout after its last progress.
func (w *deadlineWriter) renew() {
	if w.timeout <= 0 {
		return
	}
	now := w.fresh
	if now.IsZero() {
		now = time.Now()
	}
	w.fresh = time.Time{} // good for one renewal: a long transfer reads the clock
	target := now.Add(w.timeout)
	if target.Sub(w.expires) < w.timeout/renewSlack {
		return
	}
	w.expires = target
	w.conn.SetWriteDeadline(target)
}

// renewSlack: a deadline is renewed once a quarter of its timeout has passed.
const renewSlack = 4

// Write renews the deadline and writes p.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.renew()
	return w.conn.Write(p)
}

// ReadFrom lets a file body go out through the connection's ReadFrom
// (sendfile on plain TCP), in steps that each renew the deadline.
func (w *deadlineWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := w.conn.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, r)
	}
	var total int64
	for {
		w.renew()
		lr := &io.LimitedReader{R: r, N: writeChunkForDeadline}
		if outer, ok := r.(*io.LimitedReader); ok {
			if outer.N <= 0 {
				return total, nil
			}
			lr = &io.LimitedReader{R: outer.R, N: min(outer.N, writeChunkForDeadline)}
			n, err := rf.ReadFrom(lr)
			outer.N -= n
			total += n
			if err != nil || n == 0 {
				return total, err
			}
			continue
		}
		n, err := rf.ReadFrom(lr)
		total += n
		if err != nil || n < writeChunkForDeadline {
			return total, err
		}
	}
}

// writerOnly hides ReadFrom, to stop io.Copy from recursing.
type writerOnly struct{ io.Writer }

// noBody is the body of a request without content.
type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }

// eagerBody is a small body read before the request was queued; reading
// consumes it.
type eagerBody []byte

func (e *eagerBody) Read(p []byte) (int, error) {
	if len(*e) == 0 {
		return 0, io.EOF
	}
	n := copy(p, *e)
	*e = (*e)[n:]
	return n, nil
}

// streamBody is a body read from the connection as the application reads.
type streamBody struct {
	c       *conn
	id      uint64
	src     io.Reader // &limited or chunks
	limited io.LimitedReader
	chunks  *chunkedReader
	expect  bool  // the client waits for 100 Continue
	sent100 bool  // 100 Continue was sent, or is not needed any more
	max     int64 // MaxBodyBytes (0: no limit)
	n       int64 // bytes read so far
	err     error // sticky: io.EOF once complete, or the failure
	closed  bool  // the request was answered: reads fail
}

// complete reports whether the whole body has been consumed.
func (b *streamBody) complete() bool {
	if b.chunks != nil {
		return b.chunks.done && b.chunks.err == nil
	}
	return b.limited.N == 0
}

// Read reads the body; the first Read sends 100 Continue if it is expected.
func (b *streamBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, ErrBodyClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := b.continueIfExpected(); err != nil {
		b.fail(err)
		return 0, err
	}
	b.c.setReadTimeout(b.c.srv.cfg.bodyReadTimeout)
	n, err := b.src.Read(p)
	b.n += int64(n)
	if err == nil && b.limited.R != nil && b.limited.N == 0 {
		err = io.EOF // a Content-Length body is complete: say so now
	}
	if err == nil && b.max > 0 && b.n > b.max {
		err = ErrBodyTooLarge
	}
	switch {
	case err == io.EOF && b.limited.R != nil && b.limited.N > 0:
		b.fail(io.ErrUnexpectedEOF)
		return n, io.ErrUnexpectedEOF
	case err == io.EOF:
		b.err = io.EOF
		b.c.clearDeadline()
		b.c.resolve(b.id, keepReading)
	case err != nil:
		b.fail(err)
	}
	return n, err
}

// continueIfExpected sends 100 Continue before the first read of a body whose
// client waits for it, unless the body has started arriving anyway.
func (b *streamBody) continueIfExpected() error {
	if !b.expect || b.sent100 {
		return nil
	}
	b.sent100 = true
	if b.c.br.Buffered() > 0 {
		return nil // RFC 9110 §10.1.1: the client did not wait; no 100 needed
	}
	return b.c.sendContinue(b.id)
}

// fail records a body error: the connection closes after the responses.
func (b *streamBody) fail(err error) {
	b.err = err
	b.c.resolve(b.id, stopReading)
}

// maxDrainBytes is how much of an unread body the server reads and discards
// to keep the connection alive (net/http uses the same 256 KiB); beyond it
// closing is cheaper than reading.
const maxDrainBytes = 256 << 10

// settleBody runs when r is answered: reads of its body fail from now on,
// and a streamed body that was not read to its end is left to the read
// loop, which drains it while the response goes out (the response never
// waits for the body), or the connection closes after the response when the
// client still waits for 100 Continue (C11).
func (c *conn) settleBody(r *Request) {
	b := r.stream
	if b == nil || b.closed {
		return
	}
	b.closed = true
	switch {
	case b.err != nil:
		// complete or failed: the body already settled the read loop
	case b.expect && !b.sent100 && c.br.Buffered() == 0:
		c.resolve(b.id, stopReading)
	default:
		c.resolve(b.id, drainBody)
	}
}

// trailers returns the chunked trailers once the body is complete.
func (c *conn) trailers(r *Request) []Header {
	if b := r.stream; b != nil && b.chunks != nil && b.err == io.EOF {
		return b.chunks.trailers
	}
	return nil
}

// drain makes the connection finish what it has read and read nothing more;
// an idle connection closes at once.
func (c *conn) drain() {
	c.mu.Lock()
	c.draining = true
	c.interruptAwait()
	c.mu.Unlock()
	c.signal()
}

// interruptAwait wakes a read loop that waits for a request that will not
// be read. Called with mu held.
func (c *conn) interruptAwait() {
	if c.awaiting != awaitNone {
		c.setReadDeadline(aLongTimeAgo)
	}
}
