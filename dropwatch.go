package tinyhttp

import "runtime"

// The drop watch answers 500 for a request that the application dropped
// without answering, once the request is unreachable, so that its client and
// the responses queued behind it on the connection are not left waiting.
//
// It costs nothing for a request answered promptly. While a request is
// pending, its connection's slot holds it (slot.req), so it cannot become
// unreachable. After every garbage collection the server sweeps its
// connections (sweepDrops): a request that has stayed pending through a whole
// collection cycle is let go by its slot and watched by a finalizer instead,
// which the next collection runs if the application dropped it. A finalizer
// set and removed on every request measured about 2.6% of a keep-alive
// server's CPU; requests answered within a collection cycle now never get one.
//
// A finalizer, not a runtime.AddCleanup, because AddCleanup allocates twice
// per call. A finalizer is not promised to run for an object that can reach
// itself, so a Request holds no pointer into itself (unlinkInlineHeaders,
// Body), and a watched request is referenced by no slot. Go 1.26's collector
// does skip pointers back into the same object, but that is not documented.
// TestDroppedRequestAnswered500 drops requests of every shape to keep it so.

// dropper answers a request that was dropped without an answer.
type dropper interface {
	// dropped answers request id 500, if it is still pending.
	dropped(id uint64)
	// rewatch watches r again after an Upgrade that failed before writing.
	rewatch(r *Request)
}

// watchDrop sets r's drop finalizer. Callers hold r's connection's mu, which
// orders every watchDrop on r: the finalizer is cleared first, since setting
// it twice is a fatal error, and claimAnswer may have missed a finalizer that
// was being set while it looked.
func watchDrop(r *Request) {
	runtime.SetFinalizer(r, nil)
	runtime.SetFinalizer(r, answerDropped)
	r.watched.Store(true)
}

// unwatchDrop removes r's drop finalizer, if it has one: r is answered. A
// finalizer it misses, being set concurrently, finds r answered and does
// nothing.
func (r *Request) unwatchDrop() {
	if r.watched.Load() {
		runtime.SetFinalizer(r, nil)
	}
}

// answerDropped is the drop finalizer: it runs once r is unreachable.
func answerDropped(r *Request) {
	if !r.answered.Load() {
		r.answer.dropped(r.id)
	}
}

// gcSentinel is garbage as soon as it is made: its finalizer runs after
// every garbage collection, and makes the next sentinel.
type gcSentinel struct{ s *Server }

// sweepAfterEveryGC starts the server's drop sweeps.
func (s *Server) sweepAfterEveryGC() { runtime.SetFinalizer(&gcSentinel{s}, afterGC) }

// afterGC runs on the runtime's finalizer goroutine after a collection. The
// chain ends once the server is closed and has no connection left.
func afterGC(g *gcSentinel) {
	if g.s.sweepDrops() {
		g.s.sweepAfterEveryGC()
	}
}

// sweepDrops hands every request pending since before the previous sweep
// from its slot to a drop finalizer. It reports whether sweeps must go on.
func (s *Server) sweepDrops() bool {
	gen := s.dropGen.Load()
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	done := s.closed.Load() && len(conns) == 0
	s.mu.Unlock()
	for _, c := range conns {
		c.watchStale(gen)
	}
	s.dropGen.Add(1)
	return !done
}

// watchStale moves the requests of this connection filed before generation
// gen from their slots to drop finalizers.
func (c *conn) watchStale(gen uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := c.seq.next; id < c.seq.issued; id++ {
		s := c.seq.lookup(id)
		if s == nil || s.req == nil || s.gen == gen {
			continue
		}
		watchDrop(s.req)
		s.req = nil
	}
}

// rewatch is dropper.rewatch: r's slot holds it again until the next sweep.
func (c *conn) rewatch(r *Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.seq.lookup(r.id); s != nil && s.state == slotPending {
		s.req, s.gen = r, c.srv.dropGen.Load()
	}
}
