package tinyhttp

// The PROXY protocol (HAProxy's "PROXY protocol" specification, versions 1
// and 2): a proxy that forwards a TCP connection opens it with a header
// naming the client it came from. Here: the configuration, whom the server
// believes (the trusted networks), and acceptProxy, which reads the header
// on the connection's own task before TLS (TLS runs inside it), bounded by
// ReadHeaderTimeout; the accept loop never waits for it. The wire format is
// proxyheader.go's.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
)

// ProxyPolicy says what the server does with a connection from a peer
// outside ProxyProtocolConfig.TrustedSources.
type ProxyPolicy uint8

const (
	// ProxyReject closes a connection from an untrusted peer at once,
	// without reading from it. It is the zero value: a server configured for
	// the PROXY protocol normally has no direct clients.
	ProxyReject ProxyPolicy = iota
	// ProxyIgnore serves a connection from an untrusted peer as a direct
	// one: its own address is the client's, and a PROXY header it sends is
	// never believed. The header's bytes are then read as the request, and
	// get 400.
	ProxyIgnore
)

// String returns the policy's Go name.
func (p ProxyPolicy) String() string {
	switch p {
	case ProxyReject:
		return "ProxyReject"
	case ProxyIgnore:
		return "ProxyIgnore"
	}
	return fmt.Sprintf("ProxyPolicy(%d)", uint8(p))
}

// ProxyProtocolConfig turns on the PROXY protocol, versions 1 and 2 (as sent
// by HAProxy's send-proxy and send-proxy-v2, nginx's proxy_protocol on, AWS
// NLB and others): a connection from a trusted peer starts with a header
// that names the client, and Request.RemoteAddr, the net/http adaptor's
// RemoteAddr and the server's log lines show that client instead of the
// proxy. The header is read before TLS, within ReadHeaderTimeout; a header
// that is malformed, truncated, or too large (address block and TLVs over
// 2 KiB) closes that connection only, and the server's error log says why.
//
// A LOCAL header (a v2 proxy's own health check), a v1 UNKNOWN one, and a
// v2 header for the UNSPEC or UNIX family leave the connection's own
// address (the proxy's) as the client's. A v2 header for UDP is rejected:
// HTTP/1.1 runs over a stream. TLVs are checked for framing and otherwise
// skipped.
type ProxyProtocolConfig struct {
	// TrustedSources are the networks of the proxies whose header is
	// believed, matched against the connection's peer address (IPv4-mapped
	// IPv6 peers match IPv4 prefixes). Required: NewServer fails on an empty
	// list or an invalid prefix. On a Unix socket every peer counts as
	// trusted, since the socket file's permissions decide who may connect.
	TrustedSources []netip.Prefix
	// Untrusted is what happens to a connection from any other peer; the
	// zero value, ProxyReject, closes it.
	Untrusted ProxyPolicy
	// Optional lets a trusted peer omit the header: its connection is then
	// served as a direct one. false: a trusted peer must send a header, and
	// a connection whose first bytes are not one is closed.
	Optional bool
}

// proxyConfig is a ProxyProtocolConfig checked and copied by NewServer.
type proxyConfig struct {
	trusted   []netip.Prefix
	untrusted ProxyPolicy
	optional  bool
}

// resolve checks p and copies it, so that the caller may change its slice.
func (p *ProxyProtocolConfig) resolve() (*proxyConfig, error) {
	if p == nil {
		return nil, nil
	}
	if len(p.TrustedSources) == 0 {
		return nil, errors.New("tinyhttp: ProxyProtocol.TrustedSources is empty: list the networks of the proxies whose PROXY header may be believed")
	}
	if p.Untrusted > ProxyIgnore {
		return nil, fmt.Errorf("tinyhttp: ProxyProtocol.Untrusted: unknown policy %v", p.Untrusted)
	}
	pc := &proxyConfig{untrusted: p.Untrusted, optional: p.Optional}
	for _, pre := range p.TrustedSources {
		if !pre.IsValid() {
			return nil, fmt.Errorf("tinyhttp: ProxyProtocol.TrustedSources: invalid prefix %v", pre)
		}
		pc.trusted = append(pc.trusted, pre.Masked())
	}
	return pc, nil
}

// trusts reports whether the peer at a may send a PROXY header; a nil a is
// a Unix socket's peer.
func (p *proxyConfig) trusts(a net.Addr) bool {
	switch a := a.(type) {
	case nil:
		return true
	case *net.TCPAddr:
		return trustedAddr(a.AddrPort().Addr(), p.trusted)
	}
	return false
}

// trustedAddr reports whether ip is in one of the networks.
func trustedAddr(ip netip.Addr, networks []netip.Prefix) bool {
	ip = ip.Unmap()
	for _, n := range networks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// proxiedAddr holds a client address named by a PROXY header: one
// allocation for the net.Addr and the bytes of its IP.
type proxiedAddr struct {
	tcp net.TCPAddr
	ip  [16]byte
}

// newProxiedAddr returns ap as a *net.TCPAddr.
func newProxiedAddr(ap netip.AddrPort) *net.TCPAddr {
	p := &proxiedAddr{}
	a := ap.Addr()
	if a.Is4() {
		*(*[4]byte)(p.ip[:4]) = a.As4()
		p.tcp.IP = p.ip[:4]
	} else {
		p.ip = a.As16()
		p.tcp.IP = p.ip[:]
	}
	p.tcp.Port = int(ap.Port())
	return &p.tcp
}

// proxiedConn is the socket under TLS once a PROXY header was read from it:
// it first gives the TLS layer the bytes read past the header, and it names
// the client as its remote address.
type proxiedConn struct {
	net.Conn
	rest   []byte
	remote net.Addr
}

// Read returns what was read past the header first, then reads the socket.
func (p *proxiedConn) Read(b []byte) (int, error) {
	if len(p.rest) > 0 {
		n := copy(b, p.rest)
		p.rest = p.rest[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// RemoteAddr is the client the PROXY header named.
func (p *proxiedConn) RemoteAddr() net.Addr { return p.remote }

// acceptProxy applies the PROXY protocol to a new connection, on its own
// task and before TLS: it checks the peer, reads the header within the
// header timeout (or Shutdown's first-request deadline: startOpening), and
// makes the client's address the connection's. On a plain connection the
// read buffer (with what followed the header) stays the connection's;
// under TLS the bytes past the header go to the TLS layer. false means
// close the connection. Called by the read loop only, before it reads
// anything else.
func (c *conn) acceptProxy() bool {
	p := c.srv.cfg.proxy
	if p == nil {
		return true
	}
	peer := c.remote
	if !p.trusts(peer) {
		return p.untrusted == ProxyIgnore
	}
	c.in = prefixReader{conn: c.rwc, stats: &c.srv.stats}
	c.acquireReader()
	c.startOpening(c.srv.cfg.readHeaderTimeout) // drain may shorten it
	h, err := readProxyHeader(c.br)
	c.endOpening()
	c.clearDeadline()
	switch {
	case err == errNoProxyHeader && p.optional:
		h.local = true
	case err != nil:
		if c.proxyFailureIsNews(err) {
			c.logf(fmt.Sprintf("tinyhttp: PROXY header from %v: %v", peer, err))
		}
		c.releaseReader()
		return false
	}
	var remote net.Addr
	if !h.local {
		remote = newProxiedAddr(h.src)
	}
	if c.srv.cfg.tls == nil {
		if remote != nil {
			c.mu.Lock()
			c.remote = remote
			c.mu.Unlock()
		}
		return true
	}
	// TLS reads the socket itself: hand it what the buffer holds already.
	rest, _ := c.br.Peek(c.br.Buffered())
	pc := &proxiedConn{Conn: c.rwc, rest: bytes.Clone(rest), remote: c.rwc.RemoteAddr()}
	if remote != nil {
		pc.remote = remote
	}
	c.releaseReader()
	c.mu.Lock()
	c.rwc = pc // Close may close it from now on
	if remote != nil {
		c.remote = remote
	}
	c.mu.Unlock()
	return true
}

// proxyFailureIsNews reports whether a failed read of a PROXY header is
// worth a log line. A peer that closes before sending a byte (a TCP health
// check) is no news, nor one that Shutdown stopped waiting for before it
// sent a byte; anything else from a trusted proxy is.
func (c *conn) proxyFailureIsNews(err error) bool {
	if c.br.Buffered() > 0 {
		return true
	}
	c.mu.Lock()
	draining := c.draining
	c.mu.Unlock()
	return !errors.Is(err, io.EOF) && !(draining && errors.Is(err, os.ErrDeadlineExceeded))
}
