package tinyhttp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an HTTP/1.1 server that queues every request it reads for the
// application to pull with Recv, TryRecv, RecvTimeout, RecvContext or
// Incoming. Its methods are safe for concurrent use.
type Server struct {
	cfg  *config
	ln   net.Listener
	pool *workerPool
	q    queue

	mu       sync.Mutex
	conns    map[*conn]struct{}
	upgraded map[*upgradedConn]struct{}
	rejected map[net.Conn]struct{} // connections over MaxConnections, being answered 503 (rejectOverload)
	tasks    sync.WaitGroup        // connection tasks, and the answers to rejected connections
	accepter sync.WaitGroup        // the accept loop
	unixPath string                // socket file to remove on close

	closed    atomic.Bool
	dropGen   atomic.Uint32 // drop sweeps so far (dropwatch.go)
	done      chan struct{} // closed when the server stops accepting
	closeOnce sync.Once
	connCount atomic.Int64

	h2 *h2Server // HTTP/2 (h2.go); nil when neither h2 nor h2c is on
	// h2Handler is ServeHandler's handler: HTTP/2 streams run it on their
	// own goroutines, as net/http's do, instead of queueing (h2.go).
	h2Handler atomic.Pointer[http.Handler]

	stats      serverStats
	debugLimit debugLimiter

	baseOnce sync.Once
	base     context.Context // carries http.ServerContextKey (baseContext)
}

// HTTP starts a plain HTTP server on a TCP address ("host:port"; port 0
// picks a free port, see Addr).
func HTTP(addr string) (*Server, error) { return NewServer(ServerConfig{Addr: addr}) }

// HTTPS starts an HTTPS server on a TCP address with the given certificate.
func HTTPS(addr string, ssl SSLConfig) (*Server, error) {
	return NewServer(ServerConfig{Addr: addr, SSL: &ssl})
}

// HTTPUnix starts a plain HTTP server on a Unix stream socket at path.
func HTTPUnix(path string) (*Server, error) {
	return NewServer(ServerConfig{Network: "unix", Addr: path})
}

// NewServer starts a server configured by cfg.
func NewServer(cfg ServerConfig) (*Server, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	network := cfg.Network
	if network == "" {
		network = "tcp"
	}
	var ln net.Listener
	if cfg.ReusePort {
		ln, err = listenReusePort(network, cfg.Addr)
	} else {
		ln, err = listen(network, cfg.Addr)
	}
	if err != nil {
		return nil, err
	}
	s, err := start(ln, c)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if network == "unix" {
		s.unixPath = cfg.Addr
	}
	return s, nil
}

// FromListener starts a server on a listener the caller opened (from
// systemd socket activation, or a test). ssl, when set, serves HTTPS.
func FromListener(ln net.Listener, ssl *SSLConfig) (*Server, error) {
	c, err := (&ServerConfig{SSL: ssl}).resolve()
	if err != nil {
		return nil, err
	}
	return start(ln, c)
}

// NewServerFromListener is FromListener with every setting of cfg (its
// Network and Addr are ignored).
func NewServerFromListener(ln net.Listener, cfg ServerConfig) (*Server, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return start(ln, c)
}

// listen opens the listener; for a Unix socket, a stale socket file left by
// a dead process is removed, while one a live server answers on is an error.
func listen(network, addr string) (net.Listener, error) {
	if network == "unix" {
		if err := removeStaleSocket(addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, listenError(err)
	}
	return ln, nil
}

// staleProbeTimeout bounds the dial that tells a live socket from a stale one.
const staleProbeTimeout = time.Second

// removeStaleSocket removes path if it is a socket nobody listens on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return nil // absent, or not a socket: net.Listen reports what is wrong
	}
	c, err := net.DialTimeout("unix", path, staleProbeTimeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s", ErrAddressInUse, path)
	}
	if rmErr := os.Remove(path); rmErr != nil && !os.IsNotExist(rmErr) {
		return fmt.Errorf("tinyhttp: removing stale socket: %w", rmErr)
	}
	return nil
}

// start runs the accept loop on ln.
func start(ln net.Listener, c *config) (*Server, error) {
	pool, err := newWorkerPool(c.workerIdleTimeout)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: c, ln: ln, pool: pool,
		conns:    make(map[*conn]struct{}),
		upgraded: make(map[*upgradedConn]struct{}),
		rejected: make(map[net.Conn]struct{}),
		done:     make(chan struct{}),
	}
	if c.http2 || c.h2c {
		s.h2 = newH2Server(c)
	}
	s.sweepAfterEveryGC()
	s.accepter.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Accept back-off, like net/http: 5 ms doubling to 1 s.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// acceptLoop accepts connections until the server closes. An accept error
// never stops it: it backs off and tries again (file-descriptor exhaustion
// passes once connections close).
func (s *Server) acceptLoop() {
	defer s.accepter.Done()
	var backoff time.Duration
	for {
		rwc, err := s.ln.Accept()
		if err != nil {
			if s.closed.Load() {
				return
			}
			backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
			s.cfg.logger.Error("tinyhttp: accept failed", "err", err, "retry", backoff)
			select {
			case <-time.After(backoff):
			case <-s.done:
				return
			}
			continue
		}
		backoff = 0
		s.startConn(rwc)
	}
}

// overloadWriteTimeout bounds writing the 503 to a connection over the limit.
const overloadWriteTimeout = time.Second

// overloadResponse is sent to a connection above MaxConnections.
const overloadResponse = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

// startConn registers rwc and hands it to the pool.
func (s *Server) startConn(rwc net.Conn) {
	s.stats.accepted.Add(1)
	if max := s.cfg.maxConnections; max > 0 && s.connCount.Load() >= int64(max) {
		s.stats.countRejected(StatusServiceUnavailable)
		s.reject(rwc)
		return
	}
	c := newConn(s, rwc)
	s.mu.Lock()
	// Even once the server is closed: the accept loop runs this, and
	// Shutdown drains, and Close closes, the registry only after the loop
	// is done, so a connection accepted as the server stops is answered
	// (Shutdown) or closed (Close) like any other, never dropped unread.
	s.conns[c] = struct{}{}
	s.connCount.Add(1)
	s.tasks.Add(1)
	s.mu.Unlock()
	err := s.pool.submit(func() {
		c.serve()
		s.tasks.Done()
	}, func(v any) {
		s.cfg.logger.Error("tinyhttp: panic serving a connection", "remote", addrString(c.remote), "panic", fmt.Sprint(v))
		c.breakConn()
		c.finish()
		s.tasks.Done()
	})
	if err != nil {
		c.breakConn()
		c.finish()
		s.tasks.Done()
	}
}

// reject answers a connection over MaxConnections on a goroutine of its
// own, registered like a connection's task: Shutdown waits for it (the 503
// and its lingering close take at most overloadWriteTimeout and
// lingerTimeout), Close closes its socket and waits for it, so that neither
// goroutine nor socket outlives the server. The accept loop runs this, so
// the registry is complete once the loop is done (stopAccepting).
func (s *Server) reject(rwc net.Conn) {
	s.mu.Lock()
	s.rejected[rwc] = struct{}{}
	s.tasks.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.tasks.Done()
		rejectOverload(rwc)
		s.mu.Lock()
		delete(s.rejected, rwc)
		s.mu.Unlock()
	}()
}

// rejectOverload answers 503 and closes.
func rejectOverload(rwc net.Conn) {
	rwc.SetWriteDeadline(time.Now().Add(overloadWriteTimeout))
	rwc.Write([]byte(overloadResponse))
	lingeringClose(rwc)
	rwc.Close()
}

// forget removes a finished connection from the registry.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.connCount.Add(-1)
	}
	s.mu.Unlock()
}

// trackUpgraded registers a connection handed over by Upgrade, so that
// Close closes it and NumConnections counts it until the application closes it.
func (s *Server) trackUpgraded(c *conn, u *upgradedConn) *upgradedConn {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		u.Conn.Close() // not under the lock: a TLS close may block
		return u
	}
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok { // the HTTP connection becomes the upgraded one
		delete(s.conns, c)
		s.connCount.Add(-1)
	}
	s.upgraded[u] = struct{}{}
	s.connCount.Add(1)
	s.stats.upgraded.Add(1)
	u.release = func() {
		s.mu.Lock()
		if _, ok := s.upgraded[u]; ok {
			delete(s.upgraded, u)
			s.connCount.Add(-1)
			s.stats.upgraded.Add(-1)
		}
		s.mu.Unlock()
	}
	return u
}

// Addr returns the address the server listens on, with the real port when
// port 0 was asked for.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// NumConnections returns the number of open client connections, upgraded
// ones included.
func (s *Server) NumConnections() int { return int(s.connCount.Load()) }

// Close stops the server now: the listener and every connection, upgraded
// ones and those being answered 503 (MaxConnections) included, are closed,
// queued requests are dropped and receivers get ErrServerClosed. No
// goroutine of the server outlives it.
func (s *Server) Close() error {
	return s.closeWith(ErrServerClosed)
}

// closeWith is Close; cause ends the contexts of the requests in flight.
func (s *Server) closeWith(cause error) error {
	err := s.stopAccepting()
	s.q.close(true)
	s.closeConns(cause)
	s.tasks.Wait()
	if s.h2 != nil {
		s.h2.close()
	}
	if perr := s.pool.release(); err == nil {
		err = perr
	}
	return err
}

// stopAccepting closes the listener once and waits for the accept loop.
func (s *Server) stopAccepting() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed.Store(true)
		s.mu.Unlock()
		close(s.done)
		err = s.ln.Close()
		s.accepter.Wait()
		if s.unixPath != "" {
			os.Remove(s.unixPath)
		}
	})
	return err
}

// closeConns closes every connection, ending their contexts with cause, and
// the sockets of the connections being rejected.
func (s *Server) closeConns(cause error) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	ups := make([]*upgradedConn, 0, len(s.upgraded))
	for u := range s.upgraded {
		ups = append(ups, u)
	}
	rejected := make([]net.Conn, 0, len(s.rejected))
	for rwc := range s.rejected {
		rejected = append(rejected, rwc)
	}
	s.mu.Unlock()
	for _, rwc := range rejected {
		rwc.Close() // its goroutine's write or lingering read fails, and it ends
	}
	for _, c := range conns {
		c.mu.Lock()
		c.endContext(cause)
		c.breakLocked()
		c.unlock()
	}
	for _, u := range ups {
		u.owner.mu.Lock()
		u.owner.endContext(cause)
		u.owner.mu.Unlock()
		u.Close()
	}
}

// shutdownPoll is how often Shutdown looks whether the connections are done.
const shutdownPoll = 10 * time.Millisecond

// Shutdown stops the server gracefully: it stops accepting, closes idle
// keep-alive connections at once, lets requests already read be answered
// (their responses carry Connection: close) while reading no new ones, and
// delivers queued requests; then Recv returns ErrServerClosed. A request
// whose head is arriving as Shutdown begins has a second more to complete
// it, never more than ReadHeaderTimeout: it is then answered like the
// others, or else gets 408 and its connection closes, as when
// ReadHeaderTimeout ends a head that has begun (net/http waits for such a
// connection as long as its timeouts allow; the second keeps a client that
// sends its head slowly from holding up every graceful stop). Should an
// earlier response of its connection still be due, that one carries
// Connection: close and the head is not read. A connection accepted but
// not read from yet still has its first request read (if it comes within
// a second of the accept) and answered, so that a hand-over to another
// server on the port (ReusePort, or a listener passed to a new process)
// fails no request; a PROXY header and a TLS handshake before it get a
// second each as well (the request then a second from their end), never
// more than ReadHeaderTimeout and HandshakeTimeout. A connection over
// MaxConnections gets its 503 and its lingering close. Upgraded
// connections are not waited for: they are closed when Shutdown returns.
// If ctx ends first, everything is closed at once and ctx.Err() is
// returned.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.stopAccepting()
	s.mu.Lock()
	for c := range s.conns {
		c.drain()
	}
	s.mu.Unlock()
	if s.h2 != nil {
		s.h2.startShutdown() // GOAWAY: in-flight streams finish
	}
	t := time.NewTicker(shutdownPoll)
	defer t.Stop()
	for s.httpConns() > 0 {
		select {
		case <-ctx.Done():
			s.closeWith(fmt.Errorf("%w: Shutdown: %w", ErrServerClosed, context.Cause(ctx)))
			return ctx.Err()
		case <-t.C:
		}
	}
	// Closed only now: a connection accepted just before Shutdown still
	// has its first request read and queued (conn.drain).
	s.q.close(false)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// httpConns counts the connections still serving HTTP, and those still
// being answered 503.
func (s *Server) httpConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) + len(s.rejected)
}

// Serve runs handler on requests from workers goroutines (at least one) and
// returns once the server is closed and every worker has stopped. A request
// the handler returns without answering, or panics on, is answered 500 (the
// panic is logged and the worker lives on). Each Unblock stops one worker.
func (s *Server) Serve(workers int, handler func(*Request)) error {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, err := s.Recv()
				if err != nil {
					return
				}
				s.handle(r, handler)
			}
		}()
	}
	wg.Wait()
	return nil
}

// handle runs handler on r, answering 500 if it does not answer.
func (s *Server) handle(r *Request, handler func(*Request)) {
	defer func() {
		if v := recover(); v != nil {
			s.logPanic(r.Method(), r.URL(), r.RemoteAddr(), v)
		}
		if !r.Answered() {
			r.Respond(Empty(StatusInternalServerError))
		}
	}()
	handler(r)
}
