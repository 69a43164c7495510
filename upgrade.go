package tinyhttp

// Handing the raw stream over: IntoWriter (raw bytes in the request's turn,
// then the connection closes after the responses queued behind it) and
// Upgrade (the 101, then the connection belongs to the application).

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

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
	return &rawWriter{c: c}, nil
}

// rawWriter is the writer IntoWriter returns; it holds the write turn until
// it is closed.
type rawWriter struct {
	c      *conn
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
		err = w.c.releaseTurn(true, false) // readStop closes once the queue is out
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
	c.srv.stats.countResponse(resp.status)
	resp.closeBody()
	if err := c.bw.Flush(); err != nil {
		c.breakConn()
		c.resolve(r.id, stopReading)
		return nil, err
	}
	return c.handOver(r, nil), nil
}

// hijack hands the connection over to the application without a response
// (net/http's Hijacker, responsewriter.go). With stream, the application
// already holds the turn of r's response and the head is out; otherwise it
// waits for the earlier responses to be written. What is left of the body
// is the application's to read, first in the returned connection: the rest
// of a streamed one is on the connection still, the unread part of a small
// one read before queueing (body.go) is put back in front of it.
func (c *conn) hijack(r *Request, rs responseStream) (net.Conn, error) {
	stream, _ := rs.(*connStream)
	var unread []byte
	if b := r.stream; b != nil {
		b.closed = true
	} else if r.hasEager {
		unread, r.eager = r.eager, nil
	}
	if stream == nil {
		if err := c.awaitTurn(r.id, true); err != nil {
			return nil, err
		}
	} else {
		stream.ended = true
		stream.unpin()
	}
	if err := c.bw.Flush(); err != nil {
		c.mu.Lock()
		c.breakLocked()
		c.complete(true, nil)
		c.continueTurn()
		c.unlock()
		c.resolve(r.id, stopReading)
		return nil, err
	}
	return c.handOver(r, unread), nil
}

// handOver gives the connection, now after r's response, to the
// application: nothing more goes through the sequencer, and the read loop
// stops. When the read loop waits on r (an upgrade request, or one whose
// body it waits for) it is told so; otherwise it may be reading a next
// request, and is interrupted and waited for, so that the bytes it holds
// are the application's; unread, the rest of r's body already read, comes
// before them. Called with the turn taken.
func (c *conn) handOver(r *Request, unread []byte) *upgradedConn {
	c.mu.Lock()
	c.upgraded = true
	if s := c.seq.head(); s != nil && s.cancel != nil {
		c.extra().hijacked = s.cancel // the handler's context lasts until it returns, or Close
	}
	c.complete(true, nil)
	c.endTurn()
	var loopDone chan struct{}
	if !(c.waiting && c.waitingID == r.id) {
		loopDone = make(chan struct{})
		c.extra().loopDone = loopDone
		c.readStop = true
		c.setReadDeadline(aLongTimeAgo) // whatever it reads, it stops
	}
	c.unlock()
	if loopDone != nil {
		c.signal()
		<-loopDone
	} else {
		c.resolve(r.id, handedOver)
	}
	c.graceUntil.Store(0)
	c.rwc.SetDeadline(time.Time{}) // the application's protocol sets its own deadlines
	if c.srv.cfg.connState != nil {
		c.reportState(StateHijacked)
	}
	return c.srv.trackUpgraded(c, &upgradedConn{Conn: c.rwc, owner: c, unread: unread, br: c.br, remote: c.remote})
}

// appendUpgradeHead appends resp's head for a protocol switch: no body and
// no framing fields, with Connection: upgrade and the Upgrade field.
func appendUpgradeHead(b []byte, resp *Response, up Header, srv *responsePolicy) []byte {
	r := *resp
	r.headers = append(append([]Header(nil), resp.headers...), up, Header{Field: "Connection", Value: "upgrade"})
	x := exchange{version: HTTPVersion{1, 1}, keepAlive: true}
	return appendHead(b, &r, frameNone, &x, time.Time{}, false, srv)
}

// upgradedConn is the raw connection handed to the application by Upgrade:
// bytes the server had already read come first.
type upgradedConn struct {
	net.Conn
	owner   *conn  // the HTTP connection it was: Close ends its context
	unread  []byte // body bytes read before the hand-over (hijack), ahead of br's
	br      *bufio.Reader
	remote  net.Addr  // the client (a PROXY header may have named it); nil: the socket's peer
	out     io.Writer // what writes go through (HTTP/2: the write timeout); nil: the connection
	release func()
	once    sync.Once
}

// Read reads the bytes already read first, then from the connection.
func (u *upgradedConn) Read(p []byte) (int, error) {
	if len(u.unread) > 0 {
		n := copy(p, u.unread)
		u.unread = u.unread[n:]
		return n, nil
	}
	if u.br != nil && u.br.Buffered() > 0 {
		return u.br.Read(p)
	}
	return u.Conn.Read(p)
}

// Write writes p through out, if set.
func (u *upgradedConn) Write(p []byte) (int, error) {
	if u.out != nil {
		return u.out.Write(p)
	}
	return u.Conn.Write(p)
}

// RemoteAddr is the client's address: the one a PROXY header named, if any.
func (u *upgradedConn) RemoteAddr() net.Addr {
	if u.remote != nil {
		return u.remote
	}
	return u.Conn.RemoteAddr()
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
