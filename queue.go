package tinyhttp

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"
)

// errTimedOut is recv's signal that its timer or context fired first.
var errTimedOut = errors.New("receive timed out")

// queue is the server's FIFO of requests, shared by every receiver. A nil
// entry is an Unblock token. Receivers that find it empty wait in FIFO order
// and are handed entries directly, so an entry is never lost between a
// receiver giving up and another arriving.
type queue struct {
	mu      sync.Mutex
	items   []*Request
	head    int // items[head:] are queued
	waiters []*waiter
	closed  bool
}

// waiter is one blocked receiver.
type waiter struct {
	ch chan delivery // capacity 1: the hand-off never blocks the giver
}

// delivery is what a waiter is handed: a request, or an error
// (ErrUnblocked, ErrServerClosed).
type delivery struct {
	r   *Request
	err error
}

func newWaiter() *waiter { return &waiter{ch: make(chan delivery, 1)} }

var waiterPool = sync.Pool{New: func() any { return newWaiter() }}

// asDelivery turns a queue entry into what a receiver returns.
func asDelivery(r *Request) delivery {
	if r == nil {
		return delivery{err: ErrUnblocked}
	}
	return delivery{r: r}
}

// pushResult says what push did with an entry.
type pushResult uint8

const (
	pushRefused pushResult = iota // the queue is closed: nothing was queued
	pushQueued                    // queued for the next receiver
	pushHanded                    // handed to a waiting receiver, now runnable
)

// push queues r (nil: an Unblock token), or hands it to the longest-waiting
// receiver. It queues nothing once the queue is closed.
func (q *queue) push(r *Request) pushResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		if r == nil {
			return pushQueued // an Unblock after close is harmless
		}
		return pushRefused
	}
	if len(q.waiters) > 0 {
		w := q.popWaiterLocked()
		w.ch <- asDelivery(r)
		return pushHanded
	}
	q.items = append(q.items, r)
	return pushQueued
}

// popWaiterLocked removes and returns the longest-waiting receiver. It
// shifts the rest down rather than reslicing, so that the slice keeps its
// capacity and the next receiver's append does not allocate; there are
// about as many waiters as worker goroutines. Called with mu held.
func (q *queue) popWaiterLocked() *waiter {
	w := q.waiters[0]
	n := copy(q.waiters, q.waiters[1:])
	q.waiters[n] = nil
	q.waiters = q.waiters[:n]
	return w
}

// popLocked takes the oldest entry. Called with mu held.
func (q *queue) popLocked() (*Request, bool) {
	if q.head == len(q.items) {
		return nil, false
	}
	r := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return r, true
}

// tryRecv returns the oldest entry without waiting; (nil, nil) if none.
func (q *queue) tryRecv() (*Request, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if r, ok := q.popLocked(); ok {
		d := asDelivery(r)
		return d.r, d.err
	}
	if q.closed {
		return nil, ErrServerClosed
	}
	return nil, nil
}

// recv waits for an entry until timeout or cancel fires (either may be
// nil), returning errTimedOut then.
func (q *queue) recv(timeout <-chan time.Time, cancel <-chan struct{}) (*Request, error) {
	w := waiterPool.Get().(*waiter)
	r, err := q.recvWith(w, timeout, cancel)
	waiterPool.Put(w)
	return r, err
}

// recvWith is recv with the caller's waiter, which is free again when it
// returns (out of the waiter list, its channel empty): a loop of receives
// such as Incoming uses one waiter throughout.
func (q *queue) recvWith(w *waiter, timeout <-chan time.Time, cancel <-chan struct{}) (*Request, error) {
	q.mu.Lock()
	if r, ok := q.popLocked(); ok {
		q.mu.Unlock()
		d := asDelivery(r)
		return d.r, d.err
	}
	if q.closed {
		q.mu.Unlock()
		return nil, ErrServerClosed
	}
	q.waiters = append(q.waiters, w)
	q.mu.Unlock()
	var d delivery
	if timeout == nil && cancel == nil {
		d = <-w.ch // Recv: a plain receive costs far less than a select
	} else {
		select {
		case d = <-w.ch:
		case <-timeout:
			d = q.abandon(w)
		case <-cancel:
			d = q.abandon(w)
		}
	}
	return d.r, d.err
}

// abandon withdraws a waiter whose time ran out; if an entry was handed to
// it meanwhile, that entry is returned instead of the timeout.
func (q *queue) abandon(w *waiter) delivery {
	q.mu.Lock()
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			q.mu.Unlock()
			return delivery{err: errTimedOut}
		}
	}
	q.mu.Unlock()
	return <-w.ch
}

// close stops the queue: waiting receivers get ErrServerClosed; queued
// requests are dropped when drop is set, else delivered first.
func (q *queue) close(drop bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	if drop {
		clear(q.items)
		q.items, q.head = nil, 0
	}
	for _, w := range q.waiters {
		w.ch <- delivery{err: ErrServerClosed}
	}
	q.waiters = nil
}

// queued returns how many entries wait in the queue.
func (q *queue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// The Server side of the queue: the Recv family, Unblock, and enqueue,
// through which the read loops hand requests over.

// Recv blocks until a request arrives and returns it. It returns
// ErrUnblocked when released by Unblock, and ErrServerClosed once the server
// is closed and its queue drained.
func (s *Server) Recv() (*Request, error) { return s.q.recv(nil, nil) }

// RecvTimeout is Recv giving up after d: then it returns (nil, nil). The
// time is measured once, from the call.
func (s *Server) RecvTimeout(d time.Duration) (*Request, error) {
	if d <= 0 {
		return s.TryRecv()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	r, err := s.q.recv(t.C, nil)
	if err == errTimedOut {
		return nil, nil
	}
	return r, err
}

// TryRecv returns a queued request without blocking, or (nil, nil) if none is queued.
func (s *Server) TryRecv() (*Request, error) { return s.q.tryRecv() }

// RecvContext is Recv giving up when ctx ends: then it returns ctx.Err().
func (s *Server) RecvContext(ctx context.Context) (*Request, error) {
	r, err := s.q.recv(nil, ctx.Done())
	if err == errTimedOut {
		return nil, ctx.Err()
	}
	return r, err
}

// Incoming returns an iterator over requests: it calls Recv until Recv
// returns an error (the server closed, or Unblock).
//
//	for req := range s.Incoming() {
//		req.Respond(tinyhttp.FromString("hello"))
//	}
func (s *Server) Incoming() iter.Seq[*Request] {
	return func(yield func(*Request) bool) {
		w := newWaiter() // one for the whole loop, not a pool round trip per request
		for {
			r, err := s.q.recvWith(w, nil, nil)
			if err != nil || !yield(r) {
				return
			}
		}
	}
}

// Unblock releases exactly one receiver: the next Recv (or one already
// waiting) returns ErrUnblocked. Requests queued before the call are
// delivered first.
func (s *Server) Unblock() { s.q.push(nil) }

// enqueue hands a request to the application; a request that arrives after
// the queue closed is answered 503 with Connection: close. It reports what
// the queue did with the request.
func (s *Server) enqueue(r *Request) pushResult {
	res := s.q.push(r)
	if res == pushRefused {
		s.stats.countRejected(StatusServiceUnavailable)
		r.Respond(Empty(StatusServiceUnavailable).WithHeader(Header{Field: "Connection", Value: "close"}))
	}
	return res
}
