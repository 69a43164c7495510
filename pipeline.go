package tinyhttp

// The per-connection sequencer: responses leave in request order, whichever
// goroutine answers. Each request read gets a slot; an answer is prepared
// (prepare.go) and filed in its slot; the goroutine that finds its response
// at the head of the order, with nobody writing, takes the write turn and
// writes, in one batch, its response and the ready ones behind it whose
// bytes are at hand. Raw writers (IntoWriter, Upgrade) and 100 Continue wait
// for the turn instead. Every end of a response goes through complete, and
// every end of a turn through passTurn.
//
// The sequencer's state is guarded by conn.mu (see the contract in
// conn.go); the writes happen with the lock released, by the turn holder.

import (
	"bufio"
	"context"
	"runtime"
	"time"
)

// slotState is where one request's answer stands.
type slotState uint8

const (
	slotFree    slotState = iota // no request, or its response is written
	slotPending                  // queued to the application, unanswered
	slotReady                    // answered; the response waits for its turn
	slotClaimed                  // a raw writer (IntoWriter, Upgrade) waits for its turn or writes
	slotWriting                  // the turn holder is writing the response
)

// slot is one request's place in the connection's response order.
type slot struct {
	id        uint64
	state     slotState
	mustClose bool     // the connection closes after this response (its body was abandoned)
	gen       uint32   // the server's drop-sweep generation when req was filed
	req       *Request // held while pending and not yet watched by finalizer (dropwatch.go)
	out       outgoing // the prepared response once ready; before that, the request's exchange only
	turn      chan struct{}
	cancel    context.CancelCauseFunc // ends the request's context, once the application made it (requestContext)
}

// sequencer is the response order of one connection: a ring of slots, one
// per request read whose response is not yet written, and the write turn.
// It does no I/O and takes no lock: its conn's mu guards it.
type sequencer struct {
	slots   []slot // ring indexed by id % len(slots); grows up to the read-ahead limit
	issued  uint64 // requests filed so far; the next request's id
	next    uint64 // id of the next response to write
	writing bool   // a goroutine holds the write turn
}

// initialSlots is the ring's first size; it doubles up to the read-ahead limit.
const initialSlots = 4

// file gives the next request (r, nil for an automatic answer) its slot,
// pending, and returns its id.
func (q *sequencer) file(r *Request, x exchange, gen uint32) uint64 {
	id := q.issued
	q.issued++
	s := q.slotFor(id) // a free slot: advance cleared what a response left
	s.id, s.state, s.mustClose, s.gen, s.req, s.out.x, s.cancel = id, slotPending, false, gen, r, x, nil
	return id
}

// outstanding is how many requests filed are not yet written.
func (q *sequencer) outstanding() uint64 { return q.issued - q.next }

// idle reports whether every request filed has its response written.
func (q *sequencer) idle() bool { return q.issued == q.next }

// slotFor returns the slot for id, growing the ring when needed, for an id
// in [next, issued].
func (q *sequencer) slotFor(id uint64) *slot {
	if len(q.slots) == 0 {
		q.slots = make([]slot, initialSlots)
	}
	if id-q.next >= uint64(len(q.slots)) {
		grown := make([]slot, 2*len(q.slots))
		for i := q.next; i < id; i++ {
			grown[i%uint64(len(grown))] = q.slots[i%uint64(len(q.slots))]
		}
		q.slots = grown
	}
	return &q.slots[id%uint64(len(q.slots))]
}

// lookup returns the slot of an outstanding request, or nil once its
// response is written.
func (q *sequencer) lookup(id uint64) *slot {
	if id < q.next || id >= q.issued || len(q.slots) == 0 {
		return nil
	}
	s := &q.slots[id%uint64(len(q.slots))]
	if s.id != id {
		return nil
	}
	return s
}

// head returns the slot whose response is written next, or nil when none
// is outstanding.
func (q *sequencer) head() *slot { return q.lookup(q.next) }

// headReady reports whether the next response is ready to be written.
func (q *sequencer) headReady() bool {
	s := q.head()
	return s != nil && s.state == slotReady
}

// advance frees the head slot: its response is written. The slot holds no
// pointer by then (submit clears req, the writer out; a raw writer's turn
// channel is closed and cleared when the turn is handed), so that an idle
// connection's ring keeps nothing alive.
func (q *sequencer) advance() {
	if s := q.head(); s != nil {
		s.state, s.cancel = slotFree, nil
	}
	q.next++
}

// endContexts ends the contexts of the requests whose responses are not yet
// written.
func (q *sequencer) endContexts(cause error) {
	for id := q.next; id < q.issued; id++ {
		if s := q.lookup(id); s != nil && s.cancel != nil {
			s.cancel(cause)
		}
	}
}

// wakeWaiters releases every goroutine waiting for a turn (the connection broke).
func (q *sequencer) wakeWaiters() {
	for i := range q.slots {
		if s := &q.slots[i]; s.turn != nil {
			close(s.turn)
			s.turn = nil
		}
	}
}

// complete ends the head response: the turn moves to the next one, and the
// connection closes after it when closeAfter is set or its write failed.
// It is the one place where a response counts as written, for Respond's
// writer, IntoWriter's Close and Upgrade alike. Called with mu held.
func (c *conn) complete(closeAfter bool, err error) {
	c.seq.advance()
	if err != nil {
		c.breakLocked()
	}
	c.closing = c.closing || closeAfter
}

// submit files out as the answer to request id and, if it is that
// response's turn and nobody is writing, writes it and the ready responses
// behind it. The error is the write error of out when this goroutine wrote it.
func (c *conn) submit(id uint64, out *outgoing) error {
	c.mu.Lock()
	s := c.seq.lookup(id)
	if s == nil || s.state != slotPending {
		c.mu.Unlock()
		out.resp.closeBody()
		return ErrAlreadyAnswered
	}
	if c.broken || c.closing {
		s.state, s.req = slotFree, nil
		c.mu.Unlock()
		out.resp.closeBody()
		return ErrConnectionClosed
	}
	s.state, s.out, s.req = slotReady, *out, nil
	if c.seq.writing || id != c.seq.next {
		c.mu.Unlock()
		return nil
	}
	c.takeTurn()
	return c.writeTurn(id, true)
}

// maxWriterYields bounds how often a writer lets the answering goroutines
// run before it flushes: each yield costs about as much as a goroutine
// switch, far less than the write it may save; the bound keeps a stream of
// answers from holding a response back.
const maxWriterYields = 4

// writeTurn writes the ready responses from the head on, in order, flushing
// them together. Called with mu held and the turn taken; returns with mu
// released. When own is set, mine is the caller's response, at the head:
// its write error is returned, and once it is written the batch takes only
// responses whose bytes are at hand (outgoing.quick); the rest is left to a
// writer goroutine of its own (writeOn), so that the caller returns as soon
// as its response is out and never waits for a later response's slow body.
func (c *conn) writeTurn(mine uint64, own bool) (mineErr error) {
	yields := 0
	for {
		now := time.Now() // one clock read for the Date of every response in the batch
		c.lastWrite = now
		c.out.fresh = now // and for the write deadline
		handOff := false
		for wrote := false; !c.broken && !c.closing; {
			s := c.seq.head()
			if s == nil || s.state != slotReady {
				if !wrote || c.seq.idle() || yields == maxWriterYields {
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
			if own && s.id != mine && !s.out.quick() {
				handOff = true // mine is written; this one may take long
				break
			}
			wrote = true
			out, id := s.out, s.id
			// Shutdown: the last request read gets Connection: close.
			out.x.mustClose = out.x.mustClose || s.mustClose || (c.draining && id == c.seq.issued-1)
			s.out.resp, s.out.x.acceptEnc, s.state = nil, "", slotWriting // a free slot holds no pointer
			c.mu.Unlock()
			closeAfter, err := writeOutgoing(c.bw, &out, now, &c.srv.cfg.server)
			c.srv.stats.countResponse(out.resp.status)
			c.mu.Lock()
			if own && id == mine {
				mineErr = err
			}
			c.complete(closeAfter, err)
		}
		c.mu.Unlock()
		err := c.bw.Flush()
		c.mu.Lock()
		if err != nil {
			if mineErr == nil && own && mine < c.seq.next {
				mineErr = err
			}
			c.breakLocked()
		}
		if handOff && !c.broken && !c.closing {
			c.out.fresh = time.Time{}
			go c.writeOn() // the turn goes with it
			c.unlock()
			return mineErr
		}
		if !c.seq.headReady() || c.broken || c.closing {
			break
		}
	}
	c.out.fresh = time.Time{} // normally used up by the batch's first write; never left for a later writer
	c.passTurn()
	c.unlock()
	return mineErr
}

// writeOn goes on with a write turn that its holder left: it writes the
// ready responses, slow bodies included, since nobody waits for it.
func (c *conn) writeOn() {
	c.mu.Lock()
	c.writeTurn(0, false)
}

// continueTurn ends a raw writer's turn: the ready responses behind it are
// written by a writer of their own, or the turn passes on. Called with mu
// held and the turn taken.
func (c *conn) continueTurn() {
	if c.seq.headReady() && !c.broken && !c.closing {
		go c.writeOn() // the turn goes with it
		return
	}
	c.passTurn()
}

// takeTurn makes this goroutine the writer and gives it the write buffer.
// Called with mu held.
func (c *conn) takeTurn() {
	c.seq.writing = true
	if c.bw == nil {
		c.bw = writerPool.Get().(*bufio.Writer)
		c.bw.Reset(&c.out)
	}
}

// passTurn ends a writer's turn: a raw writer waiting for the next slot gets
// it; otherwise nobody writes. It then tells the read loop what changed.
// Called with mu held and the turn taken.
func (c *conn) passTurn() {
	if s := c.seq.head(); s != nil && s.turn != nil && !c.broken && !c.closing {
		close(s.turn)
		s.turn = nil
		c.afterWrite()
		return // writing stays set: the waiter owns the turn now
	}
	c.endTurn()
	c.afterWrite()
}

// endTurn ends the writer's turn. The (flushed) write buffer goes back to
// its pool whenever no response is outstanding, so that a connection holds
// one only while it writes: with 10,000 busy keep-alive connections this
// took the server from 21.7 to 17.8 KiB per connection (net/http: 30.6),
// for about 280 instructions per request (9,611 to 9,889 in callgrind). A
// connection that has requests in the application's hands (pipelining)
// keeps it for their responses. Called with mu held.
func (c *conn) endTurn() {
	c.seq.writing = false
	if c.seq.idle() || c.seq.issued < keepWriterAfter || c.awaiting == awaitUnbuffered || c.closing || c.broken {
		c.releaseWriter()
	}
}

// keepWriterAfter is how many requests a connection must have sent before
// it keeps its write buffer between responses.
const keepWriterAfter = 2

// afterWrite starts the idle timeout when the read loop waits with nothing
// outstanding (in the buffered wait only when the idle timeout is shorter
// than the grace, idleUnderGrace: else the grace ends first, and the
// unbuffered wait counts the idle timeout from the last write), wakes the
// read loop, and stops a connection that will close. Called with mu held.
func (c *conn) afterWrite() {
	if c.closing || c.broken {
		c.setReadDeadline(aLongTimeAgo) // interrupt a read of a request that will not be answered
	} else if c.seq.idle() && (c.awaiting == awaitUnbuffered || c.awaiting == awaitBuffered && c.idleUnderGrace()) {
		c.setReadTimeout(c.srv.cfg.idleTimeout)
	}
	if c.srv.cfg.connState != nil && c.awaiting != awaitNone && c.seq.idle() {
		c.idleDue = true // reported once mu is released (unlock)
	}
	c.signal()
}

// awaitTurn blocks until it is request id's turn to write and takes it:
// every earlier response is written. Used by raw writers (claim: the request
// is answered by what they write) and by 100 Continue.
func (c *conn) awaitTurn(id uint64, claim bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.seq.lookup(id)
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
		if c.seq.next == id && !c.seq.writing {
			c.takeTurn()
			return nil
		}
		turn := make(chan struct{})
		s.turn = turn
		c.mu.Unlock()
		<-turn
		c.mu.Lock()
		if s = c.seq.lookup(id); s == nil {
			return ErrConnectionClosed
		}
		if c.seq.next == id && c.seq.writing && !c.broken && !c.closing {
			return nil // passTurn handed us the turn, writing still set
		}
	}
}

// releaseTurn ends a raw writer's turn; done means the request is answered
// (complete), and closeAfter that the connection closes after it.
func (c *conn) releaseTurn(done, closeAfter bool) error {
	err := c.bw.Flush()
	c.mu.Lock()
	if err != nil {
		c.breakLocked()
	}
	if done {
		c.complete(closeAfter, nil)
	}
	c.continueTurn()
	c.unlock()
	return err
}

// respond is Request.Respond for a request read from this connection.
func (c *conn) respond(r *Request, resp *Response) error {
	var out outgoing
	verr := prepare(&out, r, resp, &c.srv.cfg.server)
	if r.stream != nil {
		c.settleBody(r)
		c.awaitDrain(r)
	}
	if r.holdsReadLoop() {
		c.resolve(r.id, keepReading)
	}
	if err := c.submit(r.id, &out); err != nil {
		return err
	}
	return verr
}

// dropped answers 500 for a request that became unreachable unanswered. It
// runs on the runtime's finalizer goroutine, so it only starts the answer.
func (c *conn) dropped(id uint64) {
	c.mu.Lock()
	s := c.seq.lookup(id)
	pending := s != nil && s.state == slotPending
	var x exchange
	if pending {
		x = s.out.x
	}
	c.mu.Unlock()
	if !pending {
		return
	}
	c.resolve(id, stopReading) // its body, if streamed, is abandoned mid-way
	// Writing may block on a slow client: not on the runtime's finalizer goroutine.
	out := prepareFor(Empty(StatusInternalServerError), x, &c.srv.cfg.server)
	go c.submit(id, &out)
}
