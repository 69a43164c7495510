package tinyhttp

// The PROXY protocol (HAProxy's "PROXY protocol" specification, versions 1
// and 2): a proxy that forwards a TCP connection opens it with a header
// naming the client it came from. The header is read here, on the
// connection's own task before TLS (TLS runs inside it), bounded by
// ReadHeaderTimeout; the accept loop never waits for it. It is believed only
// from the configured trusted networks.
//
// The parser is our own rather than github.com/pires/go-proxyproto's Read:
// that one costs about 1 µs and 7 allocations per header on this project's
// 2-core test machine (312 B for v1, 216 B for v2), against a goal of under
// 1 µs with none, and it drops a v1 header that arrives in more than one
// read, which the specification recommends tolerating. go-proxyproto stays
// the independent writer and the oracle of the tests and the fuzz target.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"unsafe"
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

// The two signatures. v1's is "PROXY" and its space; v2's is the fixed
// 12-byte sequence chosen so that no valid HTTP, TLS or SSH opening starts
// with it.
const (
	proxyV1Sig = "PROXY "
	proxyV2Sig = "\r\n\r\n\x00\r\nQUIT\n"
)

// Header sizes, from the specification.
const (
	// proxyV1MaxLine is the longest v1 line, CRLF included: "PROXY UNKNOWN"
	// with two full IPv6 addresses and two 5-digit ports.
	proxyV1MaxLine = 107
	// proxyV2Fixed is v2's fixed part: signature, version and command,
	// family, and the 2-byte length of what follows.
	proxyV2Fixed = 16
	// proxyV2MaxBody bounds v2's address block with its TLVs (the
	// protocol allows 65535 bytes). Real proxies send far less (HAProxy
	// with its SSL TLVs, AWS NLB's VPC endpoint ID, GCP's PSC TLV: a few
	// hundred bytes at most), and with the fixed part it stays inside the
	// connection's 4 KiB read buffer, which holds the header while it is
	// parsed.
	proxyV2MaxBody = 2 << 10
	// proxyMaxHeader is the most that reading a header may buffer.
	proxyMaxHeader = proxyV2Fixed + proxyV2MaxBody
)

// v2 address blocks: two addresses, then two ports.
const (
	proxyV2Inet4Len = 2*4 + 2*2
	proxyV2Inet6Len = 2*16 + 2*2
	proxyV2UnixLen  = 2 * 108
)

var (
	// errProxyNeedMore means the bytes are a valid start of a header: the
	// parser needs more (at least need bytes in all).
	errProxyNeedMore = errors.New("tinyhttp: PROXY header incomplete")
	// errNoProxyHeader means the connection does not start with a PROXY
	// signature.
	errNoProxyHeader = errors.New("tinyhttp: no PROXY protocol header")
	// errProxyHeader means a header started, but is not valid.
	errProxyHeader = errors.New("tinyhttp: malformed PROXY protocol header")
)

// proxyHeader is what a PROXY header says.
type proxyHeader struct {
	local bool           // keep the connection's own address: LOCAL, UNKNOWN, UNSPEC, UNIX
	src   netip.AddrPort // the client, unless local
}

// parseProxyHeader parses the PROXY header at the start of b and returns it
// with its length. With errProxyNeedMore, b is a valid start and need is
// the total length to look at next (more may be needed after it). It
// allocates nothing and never looks past proxyMaxHeader bytes.
func parseProxyHeader(b []byte) (h proxyHeader, n, need int, err error) {
	switch {
	case len(b) == 0:
		return h, 0, 1, errProxyNeedMore
	case hasPrefixOf(b, proxyV1Sig):
		if len(b) < len(proxyV1Sig) {
			return h, 0, len(b) + 1, errProxyNeedMore
		}
		return parseProxyV1(b)
	case hasPrefixOf(b, proxyV2Sig):
		if len(b) < proxyV2Fixed {
			return h, 0, proxyV2Fixed, errProxyNeedMore
		}
		return parseProxyV2(b)
	}
	return h, 0, 0, errNoProxyHeader
}

// hasPrefixOf reports whether b and sig agree on their common length.
func hasPrefixOf(b []byte, sig string) bool {
	k := min(len(b), len(sig))
	return k > 0 && string(b[:k]) == sig[:k]
}

// parseProxyV1 parses "PROXY TCP4|TCP6 src dst sport dport\r\n" or
// "PROXY UNKNOWN ...\r\n".
func parseProxyV1(b []byte) (h proxyHeader, n, need int, err error) {
	window := b[:min(len(b), proxyV1MaxLine)]
	lf := bytes.IndexByte(window, '\n')
	if lf < 0 {
		if len(window) == proxyV1MaxLine {
			return h, 0, 0, errProxyHeader // no line end within the limit
		}
		return h, 0, len(b) + 1, errProxyNeedMore
	}
	if b[lf-1] != '\r' {
		return h, 0, 0, errProxyHeader
	}
	line := b[len(proxyV1Sig) : lf-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return h, 0, 0, errProxyHeader
	}
	proto, rest := cutSpace(line)
	switch string(proto) {
	case "UNKNOWN": // the receiver ignores what follows, up to CRLF
		return proxyHeader{local: true}, lf + 1, 0, nil
	case "TCP4", "TCP6":
	default:
		return h, 0, 0, errProxyHeader
	}
	src, rest := cutSpace(rest)
	dst, rest := cutSpace(rest)
	sport, dport := cutSpace(rest)
	sa, ok1 := parseV1Addr(src, proto[3] == '6')
	_, ok2 := parseV1Addr(dst, proto[3] == '6')
	sp, ok3 := parseV1Port(sport)
	_, ok4 := parseV1Port(dport)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return h, 0, 0, errProxyHeader
	}
	return proxyHeader{src: netip.AddrPortFrom(sa, sp)}, lf + 1, 0, nil
}

// cutSpace splits b at its first space.
func cutSpace(b []byte) (before, after []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// parseV1Addr parses a v1 address: IPv4 for TCP4; IPv6 for TCP6, where an
// IPv4 literal is accepted too (nginx's stream module sends one when the
// client's and the upstream's families differ). No zones.
func parseV1Addr(b []byte, six bool) (netip.Addr, bool) {
	if len(b) == 0 || bytes.IndexByte(b, '%') >= 0 {
		return netip.Addr{}, false
	}
	// ParseAddr keeps no reference to its argument once it returns (an
	// error may, and is dropped here), so the bytes need not be copied.
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	if err != nil || (!six && !a.Is4()) {
		return netip.Addr{}, false
	}
	return a, true
}

// parseV1Port parses a v1 port: 0 to 65535 in decimal, without a sign or a
// leading zero.
func parseV1Port(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 5 || (len(b) > 1 && b[0] == '0') {
		return 0, false
	}
	var v uint32
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		v = v*10 + uint32(d-'0')
	}
	return uint16(v), v <= 0xffff
}

// v2 fields.
const (
	proxyV2Version = 0x20 // the high nibble of byte 13
	proxyV2Local   = 0x0
	proxyV2Proxy   = 0x1

	proxyV2Unspec = 0x00
	proxyV2TCP4   = 0x11
	proxyV2UDP4   = 0x12
	proxyV2TCP6   = 0x21
	proxyV2UDP6   = 0x22
	proxyV2Stream = 0x31 // AF_UNIX, SOCK_STREAM
	proxyV2Dgram  = 0x32
)

// parseProxyV2 parses a binary v2 header; b holds at least its fixed part.
func parseProxyV2(b []byte) (h proxyHeader, n, need int, err error) {
	verCmd, fam := b[12], b[13]
	length := int(binary.BigEndian.Uint16(b[14:16]))
	if verCmd&0xf0 != proxyV2Version || length > proxyV2MaxBody {
		return h, 0, 0, errProxyHeader
	}
	n = proxyV2Fixed + length
	if len(b) < n {
		return h, 0, n, errProxyNeedMore
	}
	body := b[proxyV2Fixed:n]
	var addrLen int
	switch fam {
	case proxyV2Unspec:
	case proxyV2TCP4, proxyV2UDP4:
		addrLen = proxyV2Inet4Len
	case proxyV2TCP6, proxyV2UDP6:
		addrLen = proxyV2Inet6Len
	case proxyV2Stream, proxyV2Dgram:
		addrLen = proxyV2UnixLen
	default:
		return h, 0, 0, errProxyHeader
	}
	switch verCmd & 0x0f {
	case proxyV2Local:
		// The proxy's own connection: the address block, whatever its
		// length, is to be skipped.
		return proxyHeader{local: true}, n, 0, nil
	case proxyV2Proxy:
	default:
		return h, 0, 0, errProxyHeader
	}
	if length < addrLen || !validTLVs(body[addrLen:]) {
		return h, 0, 0, errProxyHeader
	}
	switch fam {
	case proxyV2TCP4:
		src := netip.AddrFrom4([4]byte(body[0:4]))
		h.src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(body[8:10]))
	case proxyV2TCP6:
		src := netip.AddrFrom16([16]byte(body[0:16]))
		h.src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(body[32:34]))
	case proxyV2Unspec, proxyV2Stream:
		h.local = true // no IP to show: the connection's own address stays
	default:
		return h, 0, 0, errProxyHeader // UDP: HTTP/1.1 is not carried over datagrams
	}
	return h, n, 0, nil
}

// validTLVs reports whether b is a sequence of whole TLVs (a type byte, a
// 2-byte length, the value).
func validTLVs(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 3 {
			return false
		}
		l := 3 + int(binary.BigEndian.Uint16(b[1:3]))
		if l > len(b) {
			return false
		}
		b = b[l:]
	}
	return true
}

// readProxyHeader reads a PROXY header from br, waiting for as many reads
// as the header needs (a proxy may split it), and consumes it. It never
// buffers more than proxyMaxHeader bytes for it, which br (4 KiB) holds.
func readProxyHeader(br *bufio.Reader) (proxyHeader, error) {
	want := 1
	for {
		b, err := br.Peek(max(want, br.Buffered()))
		if len(b) < want {
			return proxyHeader{}, fmt.Errorf("%w: %w", errProxyHeader, err)
		}
		h, n, need, perr := parseProxyHeader(b[:min(len(b), proxyMaxHeader)])
		switch {
		case perr == nil:
			br.Discard(n)
			return h, nil
		case perr != errProxyNeedMore:
			return h, perr
		}
		want = need
	}
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
// header timeout, and makes the client's address the connection's. On a
// plain connection the read buffer (with what followed the header) stays
// the connection's; under TLS the bytes past the header go to the TLS
// layer. false means close the connection. Called by the read loop only,
// before it reads anything else.
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
	c.setReadTimeout(c.srv.cfg.readHeaderTimeout)
	h, err := readProxyHeader(c.br)
	c.clearDeadline()
	switch {
	case err == errNoProxyHeader && p.optional:
		h.local = true
	case err != nil:
		// A peer that closes before sending a byte (a TCP health check)
		// is no news; anything else from a trusted proxy is.
		if !errors.Is(err, io.EOF) || c.br.Buffered() > 0 {
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
