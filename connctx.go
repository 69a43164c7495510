package tinyhttp

// What a connection tells the requests read from it: their context (which
// ends when the client goes away, the connection closes or the server
// closes, and derives from the server's base context), the TLS state, the
// client's address, and where the server's own errors go. The state only
// some connections need lives in connExtra.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
)

// connExtra holds the state that only some connections need, so that the
// rest do not pay for it in memory. Guarded by mu.
type connExtra struct {
	ctx      context.Context         // the connection's context, for HTTP/2 (baseContext)
	cancel   context.CancelCauseFunc // ends ctx
	values   context.Context         // what requests' contexts derive from: values only (requestContext)
	hijacked context.CancelCauseFunc // ends the context of the request that took the connection over
	loopDone chan struct{}           // closed when the read loop has stopped (handOver waits for it)
	tls      *tls.ConnectionState    // on HTTPS, once asked for
	remote   string                  // remoteString, once asked for
	states   *connStateTracker       // with ServerConfig.ConnState
}

// extra returns the connection's connExtra, making it. Called with mu held.
func (c *conn) extra() *connExtra {
	if c.ext == nil {
		c.ext = &connExtra{}
	}
	return c.ext
}

// baseContext returns the connection's own context (HTTP/2 serves its
// streams under it): the connection's values, ended when the client goes
// away, the connection breaks or closes, or the server closes.
func (c *conn) baseContext() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.extra()
	if e.ctx == nil {
		e.ctx, e.cancel = context.WithCancelCause(c.valuesLocked())
		if c.ctxEnd != nil {
			e.cancel(c.ctxEnd)
		}
	}
	return e.ctx
}

// valuesLocked returns the connection's values, net/http's ServerContextKey
// and LocalAddrContextKey, in a context that never ends. Called with mu held.
func (c *conn) valuesLocked() context.Context {
	e := c.extra()
	if e.values == nil {
		e.values = context.WithValue(c.srv.baseContext(), http.LocalAddrContextKey, c.rwc.LocalAddr())
	}
	return e.values
}

// requestContext makes the context of request r: it carries the
// connection's values and is ended by the connection (endContext) through
// r's slot, so that neither making nor ending it touches a shared parent:
// a context derived from a cancellable parent would be added to and
// removed from the parent's set of children, under the parent's lock, per
// request.
func (c *conn) requestContext(r *Request) (context.Context, context.CancelCauseFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithCancelCause(c.valuesLocked())
	switch s := c.seq.lookup(r.id); {
	case c.ctxEnd != nil:
		cancel(c.ctxEnd)
	case s != nil: // r's response is not yet written
		s.cancel = cancel
	case c.upgraded:
		c.ext.hijacked = cancel // r took the connection over: Close ends its context
	}
	return ctx, cancel
}

// endContext ends, with cause, the contexts of the connection and of the
// requests whose responses are not yet written (a request that is answered
// has ended its own). Called with mu held.
func (c *conn) endContext(cause error) {
	if c.ctxEnd == nil {
		c.ctxEnd = cause
	}
	c.seq.endContexts(cause)
	if e := c.ext; e != nil {
		if e.cancel != nil {
			e.cancel(cause)
		}
		if e.hijacked != nil {
			e.hijacked(cause)
		}
	}
}

// tlsState returns the TLS connection state, nil on plain connections.
func (c *conn) tlsState() *tls.ConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc, ok := c.rwc.(*tls.Conn)
	if !ok || !c.secure {
		return nil
	}
	e := c.extra()
	if e.tls == nil {
		st := tc.ConnectionState()
		e.tls = &st
	}
	return e.tls
}

// logf logs msg to the server's error log.
func (c *conn) logf(msg string) { c.srv.cfg.logger.Warn(msg, "remote", addrString(c.remote)) }

// logPanic logs the panic of a handler run by Handle.
func (c *conn) logPanic(r *Request, v any) { c.srv.logPanic(r.Method(), r.URL(), c.remote, v) }

// remoteAddr is the client's address, nil on a Unix socket.
func (c *conn) remoteAddr() net.Addr { return c.remote }

// remoteString is http.Request.RemoteAddr: "ip:port", or "@" on a Unix
// socket (what net/http's server shows for an unnamed peer), formatted once
// per connection.
func (c *conn) remoteString() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.extra()
	if e.remote == "" {
		e.remote = "@"
		if c.remote != nil {
			e.remote = c.remote.String()
		}
	}
	return e.remote
}

// readFailed ends the connection's context when a read of the next request
// failed other than by a deadline (which the server sets itself): the
// client closed or reset the connection.
func (c *conn) readFailed(err error) {
	if err == nil || isTimeout(err) {
		return
	}
	c.mu.Lock()
	c.endContext(fmt.Errorf("%w: %w", ErrClientDisconnected, err))
	c.mu.Unlock()
}

// baseContext returns the context every connection's context derives from:
// it carries, under http.ServerContextKey, an *http.Server that describes
// this server (its address and timeouts) for handlers that look for one;
// it does not run.
func (s *Server) baseContext() context.Context {
	s.baseOnce.Do(func() {
		hs := &http.Server{
			Addr:              s.ln.Addr().String(),
			ReadHeaderTimeout: s.cfg.readHeaderTimeout,
			WriteTimeout:      s.cfg.writeTimeout,
			IdleTimeout:       s.cfg.idleTimeout,
			MaxHeaderBytes:    s.cfg.headLimits.maxHeader,
			TLSConfig:         s.cfg.tls,
		}
		s.base = context.WithValue(context.Background(), http.ServerContextKey, hs)
	})
	return s.base
}
