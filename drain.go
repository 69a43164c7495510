package tinyhttp

// Shutdown's part on one connection: it finishes what it has read and reads
// nothing more, except a fresh connection's first request, which its client
// has most likely sent already, and a head that is arriving, both within a
// bound (server.go's Shutdown drains every connection; the read loop's
// waits and its reads of a head, keepalive.go, and the opening's steps,
// sslconfig.go and proxyproto.go, honour it).

import "time"

// What the read loop reads, besides a wait for a request, that drain cuts
// short (conn.readPhase).
const (
	readingNone    = iota
	readingOpening // a step of the connection's opening: the PROXY header, the TLS handshake
	readingHead    // a request's head (or small body), under the header timeout (beforeBlock)
)

// drain makes the connection finish what it has read and read nothing more;
// an idle connection closes at once. A connection accepted but not read
// from yet still gets its first request read, if it comes within
// drainFirstWait of the start of its wait (firstMayWait), and each step of
// its opening (PROXY header, TLS handshake) likewise within drainFirstWait
// of the step's start: its client has sent them already, most likely, and
// cannot tell that the server began to stop, so closing it would fail a
// request that a hand-over to another process or listener must not fail.
// A head that is arriving gets drainFirstWait more (headDrainDeadline).
func (c *conn) drain() {
	c.mu.Lock()
	first := !c.draining
	c.draining = true
	switch {
	case c.readPhase == readingOpening:
		c.setReadDeadline(c.openingDeadline())
	case c.readPhase == readingHead && first:
		c.setReadDeadline(c.headDrainDeadline(time.Now()))
	case c.readPhase == readingHead: // a second Shutdown gives no more time
	case !c.firstMayWait():
		c.interruptAwait()
	case c.awaiting == awaitUnbuffered: // its deadline is the idle timeout's
		c.setReadDeadline(c.firstDrainDue())
	}
	// A buffered wait ends within the buffer grace and goes on unbuffered
	// (startAwait) until firstDrainDue.
	c.mu.Unlock()
	c.signal()
}

// drainFirstWait is how long a connection that Shutdown drains may take,
// from the start of its wait, to send its first request. The request is
// most likely on its way: a client connects and writes at once, but on a
// loaded machine the write may come tens of milliseconds later (a hand-over
// test on two cores under -race saw more than 20 ms). net/http waits 5 s
// for a new connection's first request; a second keeps Shutdown prompt
// when a client connected and stays silent (a browser's preconnect). It
// is also how long a head that is arriving may take to complete.
const drainFirstWait = time.Second

// firstDrainDue is the deadline of the wait for the first request of a
// connection that Shutdown drains: drainFirstWait from the start of its
// wait, or the idle timeout's if that is earlier. Called with mu held.
func (c *conn) firstDrainDue() time.Time {
	due := c.waitStart.Add(drainFirstWait)
	if idle := c.srv.cfg.idleTimeout; idle > 0 && idle < drainFirstWait {
		due = c.waitStart.Add(idle)
	}
	return due
}

// firstMayWait reports whether the read loop may still wait for the
// connection's first request although Shutdown drains it (drain). Called
// with mu held.
func (c *conn) firstMayWait() bool {
	return c.seq.issued == 0 && !c.closing && !c.broken && !c.readStop
}

// stoppedForFirst is stopped, except that a connection Shutdown drains may
// still read its first request (drain). Called with mu held.
func (c *conn) stoppedForFirst() bool {
	return c.stopped() && !(c.draining && c.firstMayWait())
}

// interruptAwait wakes a read loop that waits for a request that will not
// be read. Called with mu held.
func (c *conn) interruptAwait() {
	if c.awaiting != awaitNone {
		c.setReadDeadline(aLongTimeAgo)
	}
}

// startOpening arms the read deadline of a step of the connection's
// opening (the PROXY header, the TLS handshake): timeout from now (none if
// timeout <= 0), or firstDrainDue, counted from the step's start, if
// Shutdown drains the connection and that is earlier. Called by the read
// loop before the step reads; endOpening follows it.
func (c *conn) startOpening(timeout time.Duration) {
	c.mu.Lock()
	c.waitStart = time.Now() // firstDrainDue counts from here; the first wait (startAwait) sets its own
	c.readPhase, c.readDue = readingOpening, time.Time{}
	if timeout > 0 {
		c.readDue = c.waitStart.Add(timeout)
	}
	c.setReadDeadline(c.openingDeadline())
	c.mu.Unlock()
}

// endOpening ends a step of the opening: drain leaves the read deadline
// alone from now on. The caller clears the deadline after it (a deadline
// drain set meanwhile is then gone too).
func (c *conn) endOpening() {
	c.mu.Lock()
	c.readPhase = readingNone
	c.mu.Unlock()
}

// openingDeadline is the read deadline of the step of the opening that is
// running. Called with mu held.
func (c *conn) openingDeadline() time.Time {
	return c.drainedDeadline(c.firstDrainDue())
}

// headDrainDeadline is the read deadline of a head being read, as of now:
// its header timeout's, or, once Shutdown drains the connection,
// drainFirstWait from now if that is earlier. drain calls it as Shutdown
// begins, and beforeBlock as a head starts to wait (only a fresh
// connection's first request starts then), so a head has drainFirstWait
// from the later of the two, never more than its header timeout. Called
// with mu held.
func (c *conn) headDrainDeadline(now time.Time) time.Time {
	return c.drainedDeadline(now.Add(drainFirstWait))
}

// drainedDeadline is the deadline of the read drain may cut short: its own
// (readDue), or due if Shutdown drains the connection and due is earlier.
// Called with mu held.
func (c *conn) drainedDeadline(due time.Time) time.Time {
	if c.draining && (c.readDue.IsZero() || due.Before(c.readDue)) {
		return due
	}
	return c.readDue
}
