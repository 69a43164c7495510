package tinyhttp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

// ppFormat renders a PROXY header with go-proxyproto, an independent writer.
func ppFormat(tb testing.TB, h *proxyproto.Header) []byte {
	tb.Helper()
	b, err := h.Format()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ppTCP renders a PROXY (command) header from src to dst in version v.
func ppTCP(tb testing.TB, v byte, src, dst string) []byte {
	tb.Helper()
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	return ppFormat(tb, proxyproto.HeaderProxyFromAddrs(v, net.TCPAddrFromAddrPort(s), net.TCPAddrFromAddrPort(d)))
}

// v2Raw builds a v2 header by hand: verCmd and fam bytes, then body, with
// length as its length field (-1: the body's true length).
func v2Raw(verCmd, fam byte, length int, body []byte) []byte {
	if length < 0 {
		length = len(body)
	}
	b := append([]byte(proxyV2Sig), verCmd, fam, 0, 0)
	binary.BigEndian.PutUint16(b[14:], uint16(length))
	return append(b, body...)
}

// inet4Block is a v2 TCP4 address block for 192.0.2.1:1000 → 198.51.100.2:80.
var inet4Block = []byte{192, 0, 2, 1, 198, 51, 100, 2, 0x03, 0xe8, 0, 80}

// TestParseProxyHeader runs the parser over raw headers, each followed by
// the start of a request that it must not consume.
func TestParseProxyHeader(t *testing.T) {
	withTLV := proxyproto.HeaderProxyFromAddrs(2,
		&net.TCPAddr{IP: net.ParseIP("2001:db8::7"), Port: 55000}, &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443})
	if err := withTLV.SetTLVs([]proxyproto.TLV{
		{Type: proxyproto.PP2_TYPE_AUTHORITY, Value: []byte("example.com")},
		{Type: proxyproto.PP2_TYPE_UNIQUE_ID, Value: bytes.Repeat([]byte{7}, 64)},
	}); err != nil {
		t.Fatal(err)
	}
	local := ppFormat(t, &proxyproto.Header{Version: 2, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC})
	long := "PROXY UNKNOWN " + strings.Repeat("f", proxyV1MaxLine) + "\r\n"
	tests := []struct {
		name   string
		header []byte
		local  bool
		src    string // the client, when not local
		err    error  // nil: parsed, and the whole header consumed
	}{
		{"v1/TCP4", ppTCP(t, 1, "203.0.113.7:4242", "198.51.100.1:80"), false, "203.0.113.7:4242", nil},
		{"v1/TCP6", ppTCP(t, 1, "[2001:db8::7]:55000", "[2001:db8::1]:443"), false, "[2001:db8::7]:55000", nil},
		{"v1/TCP6 max", []byte("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"), false, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", nil},
		{"v1/TCP6 with IPv4 literals (nginx)", []byte("PROXY TCP6 192.0.2.9 192.0.2.1 1 2\r\n"), false, "192.0.2.9:1", nil},
		{"v1/UNKNOWN", []byte("PROXY UNKNOWN\r\n"), true, "", nil},
		{"v1/UNKNOWN with addresses", []byte("PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n"), true, "", nil},
		{"v1/port 0", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 0 0\r\n"), false, "1.2.3.4:0", nil},
		{"v1/longest allowed line", []byte("PROXY UNKNOWN " + strings.Repeat("f", proxyV1MaxLine-16) + "\r\n"), true, "", nil},
		{"v1/line over 107 bytes", []byte(long), false, "", errProxyHeader},
		{"v1/LF without CR", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), false, "", errProxyHeader},
		{"v1/bare CR inside", []byte("PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n"), false, "", errProxyHeader},
		{"v1/unknown protocol", []byte("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), false, "", errProxyHeader},
		{"v1/lower case", []byte("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"), false, "", errProxyHeader},
		{"v1/IPv6 in TCP4", []byte("PROXY TCP4 ::1 ::2 1 2\r\n"), false, "", errProxyHeader},
		{"v1/bad address", []byte("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), false, "", errProxyHeader},
		{"v1/zone", []byte("PROXY TCP6 fe80::1%eth0 fe80::2 1 2\r\n"), false, "", errProxyHeader},
		{"v1/port over 65535", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), false, "", errProxyHeader},
		{"v1/port with leading zero", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), false, "", errProxyHeader},
		{"v1/port with sign", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 +80 2\r\n"), false, "", errProxyHeader},
		{"v1/missing port", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80\r\n"), false, "", errProxyHeader},
		{"v1/extra field", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 81 82\r\n"), false, "", errProxyHeader},
		{"v1/double space", []byte("PROXY TCP4  1.2.3.4 5.6.7.8 80 81\r\n"), false, "", errProxyHeader},
		{"v1/no protocol", []byte("PROXY \r\n"), false, "", errProxyHeader},

		{"v2/TCP4", ppTCP(t, 2, "203.0.113.7:4242", "198.51.100.1:80"), false, "203.0.113.7:4242", nil},
		{"v2/TCP6", ppTCP(t, 2, "[2001:db8::7]:55000", "[2001:db8::1]:443"), false, "[2001:db8::7]:55000", nil},
		{"v2/TCP6 with TLVs", ppFormat(t, withTLV), false, "[2001:db8::7]:55000", nil},
		{"v2/LOCAL", local, true, "", nil},
		{"v2/LOCAL with a TCP4 block", v2Raw(0x20, proxyV2TCP4, -1, inet4Block), true, "", nil},
		{"v2/LOCAL with a short block", v2Raw(0x20, proxyV2TCP4, 0, nil), true, "", nil},
		{"v2/PROXY UNSPEC", v2Raw(0x21, proxyV2Unspec, 0, nil), true, "", nil},
		{"v2/PROXY UNIX stream", v2Raw(0x21, proxyV2Stream, -1, make([]byte, proxyV2UnixLen)), true, "", nil},
		{"v2/PROXY UDP4", v2Raw(0x21, proxyV2UDP4, -1, inet4Block), false, "", errProxyHeader},
		{"v2/PROXY UNIX datagram", v2Raw(0x21, proxyV2Dgram, -1, make([]byte, proxyV2UnixLen)), false, "", errProxyHeader},
		{"v2/TCP4 with a valid TLV", v2Raw(0x21, proxyV2TCP4, -1, append(inet4Block, 0x04, 0, 1, 'x')), false, "192.0.2.1:1000", nil},
		{"v2/version 1 in a v2 header", v2Raw(0x11, proxyV2TCP4, -1, inet4Block), false, "", errProxyHeader},
		{"v2/unknown command", v2Raw(0x22, proxyV2TCP4, -1, inet4Block), false, "", errProxyHeader},
		{"v2/unknown family", v2Raw(0x21, 0x41, -1, inet4Block), false, "", errProxyHeader},
		{"v2/length shorter than the TCP4 block", v2Raw(0x21, proxyV2TCP4, 11, inet4Block[:11]), false, "", errProxyHeader},
		{"v2/length shorter than the TCP6 block", v2Raw(0x21, proxyV2TCP6, -1, make([]byte, 35)), false, "", errProxyHeader},
		{"v2/TLV longer than the header", v2Raw(0x21, proxyV2TCP4, -1, append(inet4Block, 0x04, 0, 9, 'x')), false, "", errProxyHeader},
		{"v2/TLV cut in its length", v2Raw(0x21, proxyV2TCP4, -1, append(inet4Block, 0x04, 0)), false, "", errProxyHeader},
		{"v2/TLVs over the limit", v2Raw(0x21, proxyV2TCP4, proxyV2MaxBody+1, nil), false, "", errProxyHeader},
		{"v2/largest length", v2Raw(0x21, proxyV2TCP4, -1, append(inet4Block, append([]byte{0xee, 0x07, 0xf1}, make([]byte, proxyV2MaxBody-len(inet4Block)-3)...)...)), false, "192.0.2.1:1000", nil},
		{"v2/bad signature", append([]byte("\r\n\r\n\x00\r\nQUIX\n"), 0x21, 0x11, 0, 12), false, "", errNoProxyHeader},

		{"HTTP request", []byte("GET / HTTP/1.1\r\n"), false, "", errNoProxyHeader},
		{"PUT request", []byte("PUT / HTTP/1.1\r\n"), false, "", errNoProxyHeader},
		{"TLS ClientHello", []byte{0x16, 0x03, 0x01, 0x02, 0x00}, false, "", errNoProxyHeader},
		{"PROXY without its space", []byte("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"), false, "", errNoProxyHeader},
		{"empty line", []byte("\r\n\r\nGET"), false, "", errNoProxyHeader},
	}
	const next = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append(bytes.Clone(tt.header), next...)
			h, n, _, err := parseProxyHeader(b)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if n != len(tt.header) {
				t.Errorf("consumed %d bytes, want %d", n, len(tt.header))
			}
			if h.local != tt.local {
				t.Errorf("local = %v, want %v", h.local, tt.local)
			}
			if !tt.local && h.src.String() != tt.src {
				t.Errorf("src = %v, want %v", h.src, tt.src)
			}
			// Every cut of a good header asks for more, and for no more
			// than what is still missing.
			for i := 0; i < len(tt.header); i++ {
				_, _, need, err := parseProxyHeader(tt.header[:i])
				if err != errProxyNeedMore || need <= i || need > len(tt.header) {
					t.Fatalf("after %d of %d bytes: need %d, %v; want errProxyNeedMore", i, len(tt.header), need, err)
				}
			}
		})
	}
}

// TestReadProxyHeaderInTinyReads feeds headers one byte per read (a proxy
// that splits its header) and checks that nothing past the header is
// consumed.
func TestReadProxyHeaderInTinyReads(t *testing.T) {
	for _, v := range []byte{1, 2} {
		raw := append(ppTCP(t, v, "[2001:db8::7]:55000", "[2001:db8::1]:443"), "GET /"...)
		br := bufio.NewReaderSize(iotestOneByte{bytes.NewReader(raw)}, readBufferSize)
		h, err := readProxyHeader(br)
		if err != nil || h.src.String() != "[2001:db8::7]:55000" {
			t.Fatalf("v%d: %v, %v", v, h.src, err)
		}
		if rest, _ := io.ReadAll(br); string(rest) != "GET /" {
			t.Fatalf("v%d: left %q", v, rest)
		}
	}
}

// iotestOneByte returns one byte per Read.
type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return o.r.Read(b[:1])
}

// TestProxyProtocolConfigErrors: the trusted list is required and checked.
func TestProxyProtocolConfigErrors(t *testing.T) {
	for _, p := range []*ProxyProtocolConfig{
		{},
		{TrustedSources: []netip.Prefix{}},
		{TrustedSources: []netip.Prefix{{}}},
		{TrustedSources: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Untrusted: 7},
	} {
		s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", ProxyProtocol: p})
		if err == nil {
			s.Close()
			t.Errorf("NewServer(%+v) = nil error", p)
		}
	}
}

// loopback is the network of every test peer.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// elsewhere is a network no test peer is in.
var elsewhere = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}

// startAddrServer starts a server whose every request is answered with its
// RemoteAddr (under /nethttp, with the net/http adaptor's; under /hijack,
// the hijacked connection's, written raw before it closes). Its error
// log goes to the returned buffer.
func startAddrServer(t *testing.T, cfg ServerConfig) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg.ErrorLog = log.New(logs, "", 0)
	s := startServer(t, cfg)
	go s.Serve(2, func(r *Request) {
		if r.URL() == "/hijack" {
			r.Handle(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
				c, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				defer c.Close()
				io.WriteString(c, c.RemoteAddr().String())
			}))
			return
		}
		if r.URL() == "/nethttp" {
			r.Handle(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
				io.WriteString(w, hr.RemoteAddr)
			}))
			return
		}
		addr := "<nil>"
		if a := r.RemoteAddr(); a != nil {
			addr = a.String()
		}
		r.Respond(FromString(addr))
	})
	return s, logs
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// exchangeRaw writes raw to a new connection to s and returns everything the
// server sends until it closes (or the test timeout passes).
func exchangeRaw(t *testing.T, s *Server, raw ...[]byte) string {
	t.Helper()
	c := dial(t, s)
	for _, b := range raw {
		if _, err := c.Write(b); err != nil {
			break // the server may close early: what it said is what counts
		}
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	got, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("read: %v", err)
	}
	return string(got)
}

// isReset reports a connection reset: what a peer that closes with unread
// input sends.
func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "reset") }

// bodies returns the bodies of the responses in raw.
func bodies(t *testing.T, raw string) []string {
	t.Helper()
	var out []string
	br := bufio.NewReader(strings.NewReader(raw))
	for {
		if _, err := br.Peek(1); err != nil {
			return out
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("parsing %q: %v", raw, err)
		}
		b, _ := io.ReadAll(res.Body)
		out = append(out, res.Status+" "+string(b))
	}
}

const (
	getRoot    = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	getNetHTTP = "GET /nethttp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
)

// TestProxyProtocolServer runs whole connections through a server with the
// PROXY protocol on: what RemoteAddr says, and which connections close.
func TestProxyProtocolServer(t *testing.T) {
	v1 := ppTCP(t, 1, "203.0.113.7:4242", "198.51.100.1:80")
	v2 := ppTCP(t, 2, "[2001:db8::7]:55000", "[2001:db8::1]:443")
	local := ppFormat(t, &proxyproto.Header{Version: 2, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC})
	cat := func(parts ...string) []byte { return []byte(strings.Join(parts, "")) }
	own := "127.0.0.1:" // the test client's own address, any port
	tests := []struct {
		name  string
		cfg   ProxyProtocolConfig
		send  [][]byte
		want  []string // response bodies; a trailing "*" matches any rest
		log   string   // a substring the error log must have
		nolog bool     // the error log must be empty
	}{
		{"v1 then pipelined requests", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{cat(string(v1), getRoot, getNetHTTP)}, []string{"200 OK 203.0.113.7:4242", "200 OK 203.0.113.7:4242"}, "", true},
		{"v2 TCP6", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{cat(string(v2), getNetHTTP)}, []string{"200 OK [2001:db8::7]:55000"}, "", true},
		{"v2 LOCAL: the proxy's own address", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{cat(string(local), getRoot, getNetHTTP)}, []string{"200 OK " + own + "*", "200 OK " + own + "*"}, "", true},
		{"v1 UNKNOWN: the proxy's own address", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{cat("PROXY UNKNOWN\r\n", getNetHTTP)}, []string{"200 OK " + own + "*"}, "", true},
		{"header in one-byte writes", ProxyProtocolConfig{TrustedSources: loopback},
			append(splitBytes(v2), []byte(getNetHTTP)), []string{"200 OK [2001:db8::7]:55000"}, "", true},
		{"malformed v1: closed without a word", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{cat("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", getRoot)}, nil, "malformed PROXY", false},
		{"v2 lying length: closed", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{v2Raw(0x21, proxyV2TCP4, 8, inet4Block[:8]), []byte(getRoot)}, nil, "malformed PROXY", false},
		{"truncated header, then EOF: closed", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{v1[:10]}, nil, "malformed PROXY", false},
		{"nothing sent: closed, not logged", ProxyProtocolConfig{TrustedSources: loopback},
			nil, nil, "", true},
		{"required header missing: closed", ProxyProtocolConfig{TrustedSources: loopback},
			[][]byte{[]byte(getRoot)}, nil, "no PROXY", false},
		{"optional header missing: direct", ProxyProtocolConfig{TrustedSources: loopback, Optional: true},
			[][]byte{[]byte(getNetHTTP)}, []string{"200 OK " + own + "*"}, "", true},
		{"optional header present", ProxyProtocolConfig{TrustedSources: loopback, Optional: true},
			[][]byte{cat(string(v1), getNetHTTP)}, []string{"200 OK 203.0.113.7:4242"}, "", true},
		{"optional, TLS-looking bytes: direct, 400", ProxyProtocolConfig{TrustedSources: loopback, Optional: true},
			[][]byte{{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, '\r', '\n', '\r', '\n'}}, []string{"400 Bad Request*"}, "", true},
		{"untrusted, reject: closed unread", ProxyProtocolConfig{TrustedSources: elsewhere},
			[][]byte{cat(string(v1), getRoot)}, nil, "", true},
		{"untrusted, ignore: header not believed, 400", ProxyProtocolConfig{TrustedSources: elsewhere, Untrusted: ProxyIgnore},
			[][]byte{cat(string(v1), getRoot)}, []string{"400 Bad Request*"}, "", true},
		{"untrusted v2, ignore: 400", ProxyProtocolConfig{TrustedSources: elsewhere, Untrusted: ProxyIgnore},
			[][]byte{cat(string(v2), getRoot)}, []string{"400 Bad Request*"}, "", true},
		{"untrusted, ignore: direct request served", ProxyProtocolConfig{TrustedSources: elsewhere, Untrusted: ProxyIgnore},
			[][]byte{[]byte(getNetHTTP)}, []string{"200 OK " + own + "*"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			s, logs := startAddrServer(t, ServerConfig{ProxyProtocol: &cfg, ReadHeaderTimeout: 2 * time.Second})
			got := bodies(t, exchangeRaw(t, s, tt.send...))
			if len(got) != len(tt.want) {
				t.Fatalf("responses %q, want %q", got, tt.want)
			}
			for i, w := range tt.want {
				if p, ok := strings.CutSuffix(w, "*"); ok && strings.HasPrefix(got[i], p) || got[i] == w {
					continue
				}
				t.Errorf("response %d = %q, want %q", i, got[i], w)
			}
			s.Close() // the log is complete once the connection tasks are done
			if l := logs.String(); tt.nolog && l != "" || !strings.Contains(l, tt.log) {
				t.Errorf("error log %q, want it to contain %q (empty: %v)", l, tt.log, tt.nolog)
			}
		})
	}
}

// splitBytes cuts b into one-byte pieces.
func splitBytes(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

// TestProxyProtocolStalledPeerBounded: a trusted peer that starts a header
// and stops is closed by ReadHeaderTimeout, and another connection is
// served meanwhile.
func TestProxyProtocolStalledPeerBounded(t *testing.T) {
	s, logs := startAddrServer(t, ServerConfig{
		ProxyProtocol:     &ProxyProtocolConfig{TrustedSources: loopback},
		ReadHeaderTimeout: 300 * time.Millisecond,
	})
	stalled := dial(t, s)
	stalled.Write([]byte("PROXY TCP4 1.2"))
	silent := dial(t, s)
	got := bodies(t, exchangeRaw(t, s, append(ppTCP(t, 1, "203.0.113.9:1", "198.51.100.1:80"), getNetHTTP...)))
	if len(got) != 1 || got[0] != "200 OK 203.0.113.9:1" {
		t.Fatalf("other connection: %q", got)
	}
	for _, c := range []net.Conn{stalled, silent} {
		if b, err := io.ReadAll(c); len(b) != 0 || err != nil && !isReset(err) {
			t.Fatalf("stalled peer got %q, %v; want a plain close", b, err)
		}
	}
	s.Close()
	if !strings.Contains(logs.String(), "timeout") {
		t.Errorf("log %q does not tell the timeout", logs.String())
	}
}

// TestProxyProtocolTLS: the header comes before TLS, and the request inside
// TLS sees the client the header names.
func TestProxyProtocolTLS(t *testing.T) {
	ssl, pool := testSSL(t)
	s, _ := startAddrServer(t, ServerConfig{SSL: &ssl, ProxyProtocol: &ProxyProtocolConfig{TrustedSources: loopback}})
	for _, v := range []byte{1, 2} {
		raw := dial(t, s)
		// The header and the ClientHello in one segment, as proxies send them.
		tc := tls.Client(&prefixConn{Conn: raw, prefix: ppTCP(t, v, "[2001:db8::7]:55000", "[2001:db8::1]:443")},
			&tls.Config{RootCAs: pool, ServerName: "localhost"})
		if _, err := io.WriteString(tc, getRoot+getNetHTTP); err != nil {
			t.Fatal(err)
		}
		got := readResponses(t, bufio.NewReader(tc), 2)
		want := "200 OK [2001:db8::7]:55000"
		if got[0] != want || got[1] != want {
			t.Errorf("v%d: %q, want %q twice", v, got, want)
		}
		tc.Close()
	}
}

// prefixConn sends prefix in front of its first write.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Write(b []byte) (int, error) {
	if p.prefix != nil {
		all := append(p.prefix, b...)
		p.prefix = nil
		n, err := p.Conn.Write(all)
		return max(n-(len(all)-len(b)), 0), err
	}
	return p.Conn.Write(b)
}

// testSSL makes a self-signed ECDSA certificate for localhost.
func testSSL(t *testing.T) (SSLConfig, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return SSLConfig{
		Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKey:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}, pool
}

// TestProxyProtocolUnixSocket: a Unix socket's peer is trusted.
func TestProxyProtocolUnixSocket(t *testing.T) {
	path := t.TempDir() + "/s"
	s, _ := startAddrServer(t, ServerConfig{Network: "unix", Addr: path, ProxyProtocol: &ProxyProtocolConfig{TrustedSources: elsewhere}})
	c, err := net.DialTimeout("unix", path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	c.Write(append(ppTCP(t, 2, "203.0.113.7:4242", "198.51.100.1:80"), getNetHTTP...))
	if got := readResponses(t, bufio.NewReader(c), 1); got[0] != "200 OK 203.0.113.7:4242" {
		t.Fatalf("%q", got)
	}
	_ = s
}

// proxyBenchHeaders are what the benchmarks parse: HAProxy's and nginx's
// usual headers, each with the start of a request behind it.
func proxyBenchHeaders(b *testing.B) map[string][]byte {
	return map[string][]byte{
		"v1-TCP4": append(ppTCP(b, 1, "192.168.0.1:56324", "192.168.0.11:443"), getRoot...),
		"v1-TCP6": append(ppTCP(b, 1, "[2001:db8::7]:55000", "[2001:db8::1]:443"), getRoot...),
		"v2-TCP4": append(ppTCP(b, 2, "192.168.0.1:56324", "192.168.0.11:443"), getRoot...),
		"v2-TCP6": append(ppTCP(b, 2, "[2001:db8::7]:55000", "[2001:db8::1]:443"), getRoot...),
	}
}

// BenchmarkProxyHeader is the cost of the PROXY header on a connection:
// reading and parsing it from the connection's buffer, and the net.Addr
// that RemoteAddr then returns ("+addr").
func BenchmarkProxyHeader(b *testing.B) {
	for _, name := range []string{"v1-TCP4", "v1-TCP6", "v2-TCP4", "v2-TCP6"} {
		raw := proxyBenchHeaders(b)[name]
		for _, withAddr := range []bool{false, true} {
			label := name
			if withAddr {
				label += "+addr"
			}
			b.Run(label, func(b *testing.B) {
				rd := bytes.NewReader(raw)
				br := bufio.NewReaderSize(rd, readBufferSize)
				b.ReportAllocs()
				for b.Loop() {
					rd.Reset(raw)
					br.Reset(rd)
					h, err := readProxyHeader(br)
					if err != nil {
						b.Fatal(err)
					}
					if withAddr {
						benchAddrSink = newProxiedAddr(h.src)
					}
				}
			})
		}
	}
}

var benchAddrSink net.Addr

// BenchmarkProxyHeaderGoProxyproto is the same with go-proxyproto's Read,
// for comparison (the reason the parser is our own).
func BenchmarkProxyHeaderGoProxyproto(b *testing.B) {
	for _, name := range []string{"v1-TCP4", "v2-TCP4"} {
		raw := proxyBenchHeaders(b)[name]
		b.Run(name, func(b *testing.B) {
			rd := bytes.NewReader(raw)
			br := bufio.NewReaderSize(rd, readBufferSize)
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(raw)
				br.Reset(rd)
				if _, err := proxyproto.Read(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzProxyHeader checks the parser on any input: it never panics or reads
// past its bounds, a header it accepts is self-contained and reads the same
// in one-byte reads, and where go-proxyproto accepts the same bytes as a
// TCP header, both name the same client.
func FuzzProxyHeader(f *testing.F) {
	f.Add(ppTCP(f, 1, "203.0.113.7:4242", "198.51.100.1:80"))
	f.Add(ppTCP(f, 1, "[2001:db8::7]:55000", "[2001:db8::1]:443"))
	f.Add(ppTCP(f, 2, "203.0.113.7:4242", "198.51.100.1:80"))
	f.Add(ppTCP(f, 2, "[2001:db8::7]:55000", "[2001:db8::1]:443"))
	f.Add([]byte("PROXY UNKNOWN\r\nGET / HTTP/1.1\r\n"))
	f.Add(v2Raw(0x20, proxyV2Unspec, 0, nil))
	f.Add(v2Raw(0x21, proxyV2TCP4, -1, append(inet4Block, 0x04, 0, 1, 'x')))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, need, err := parseProxyHeader(b)
		switch err {
		case nil:
			if n <= 0 || n > len(b) || n > proxyMaxHeader {
				t.Fatalf("consumed %d of %d", n, len(b))
			}
			h2, n2, _, err2 := parseProxyHeader(b[:n])
			if err2 != nil || n2 != n || h2 != h {
				t.Fatalf("the header alone: %v %d %v; with what follows: %v %d", h2, n2, err2, h, n)
			}
		case errProxyNeedMore:
			if need <= len(b) || need > proxyMaxHeader {
				t.Fatalf("need %d with %d bytes", need, len(b))
			}
		case errNoProxyHeader, errProxyHeader:
		default:
			t.Fatalf("unexpected error %v", err)
		}
		br := bufio.NewReaderSize(iotestOneByte{bytes.NewReader(b)}, readBufferSize)
		rh, rerr := readProxyHeader(br)
		if (err == nil) != (rerr == nil) || err == nil && rh != h {
			t.Fatalf("in one-byte reads: %v, %v; at once: %v, %v", rh, rerr, h, err)
		}
		if err != nil || h.local {
			return
		}
		theirs, perr := proxyproto.Read(bufio.NewReader(bytes.NewReader(b)))
		if perr != nil || theirs.Command != proxyproto.PROXY {
			return
		}
		if src, ok := theirs.SourceAddr.(*net.TCPAddr); ok {
			if got := src.AddrPort(); got.Addr().Unmap() != h.src.Addr().Unmap() || got.Port() != h.src.Port() {
				t.Fatalf("go-proxyproto reads %v, we read %v", got, h.src)
			}
		}
	})
}

// TestProxyProtocolH2CAndHijack: an h2c connection and a hijacked one show
// the client the PROXY header named, in the pull API, in the net/http
// adaptor and on the hijacked net.Conn.
func TestProxyProtocolH2CAndHijack(t *testing.T) {
	s, _ := startAddrServer(t, ServerConfig{H2C: true, ProxyProtocol: &ProxyProtocolConfig{TrustedSources: loopback}})
	const client = "[2001:db8::7]:55000"
	header := ppTCP(t, 2, client, "[2001:db8::1]:80")
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &prefixConn{Conn: c, prefix: header}, nil
	}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for _, path := range []string{"/", "/nethttp"} {
		res, err := hc.Get("http://" + s.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.ProtoMajor != 2 || string(b) != client {
			t.Errorf("%s over h2c: HTTP/%d %q, want HTTP/2 %q", path, res.ProtoMajor, b, client)
		}
	}
	got := exchangeRaw(t, s, header, []byte("GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n"))
	if got != client {
		t.Errorf("hijacked connection's RemoteAddr: %q, want %q", got, client)
	}
}
