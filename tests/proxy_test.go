package tests

// tinyhttp behind real proxies: nginx (its stream module sending PROXY v1,
// and its HTTP proxy with proxy_http_version 1.1 and an upstream keepalive
// pool in front of that) and HAProxy (send-proxy-v2, http-reuse always).
// The proxies run as child processes of the test, with their configuration
// in t.TempDir() and loopback ports picked free; the tests skip only when
// a binary (or nginx's stream module) is missing. scripts/install-deps.sh
// --tests installs them.
//
// The client sends from 127.0.0.2, an address no proxy uses, so that the
// address tinyhttp reports can only be the client's if the PROXY header
// (or X-Forwarded-For, through a trusted hop) was believed.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// Addresses on the loopback network (Linux routes all of 127.0.0.0/8 to lo).
const (
	proxyClientIP = "127.0.0.2" // the client; never a proxy
	proxyHopIP    = "127.0.0.3" // nginx's HTTP proxy binds here towards its stream hop
)

// proxyTrusted are the proxies' addresses: nginx's and HAProxy's
// connections come from 127.0.0.1, nginx's HTTP hop from 127.0.0.3.
var proxyTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix(proxyHopIP + "/32")}

// Load shape: proxyRequests per proxy path, sent by proxyWorkers
// connections at a time in pipelined batches of 4 (two GETs, a chunked and
// a Content-Length upload), proxyBatchesPerConn batches per connection so
// that the proxies open and reuse many connections.
const (
	proxyRequests       = 10000
	proxyWorkers        = 16
	proxyBatchesPerConn = 25
	proxyMaxUpload      = 16 << 10 // upload sizes vary from 0 to this
	proxyFileSize       = 5 << 20  // the download checked by SHA-256
	proxyDownloads      = 3        // per path: 15 MiB through each proxy
	proxyReadyTimeout   = 10 * time.Second
	proxyIOTimeout      = 30 * time.Second // a bound per connection, so that a hang fails
)

// proxyBackend is the tinyhttp server behind the proxies.
type proxyBackend struct {
	*server
	file    []byte
	fileSum string
	health  atomic.Value // the X-Remote of the last /health request (HAProxy's check)
}

// startProxyBackend starts tinyhttp with the PROXY protocol, trusting the
// proxies only. Each response carries X-Remote (RemoteAddr's IP) and
// X-Client (ClientAddr's answer from X-Forwarded-For).
func startProxyBackend(t *testing.T) *proxyBackend {
	t.Helper()
	b := &proxyBackend{file: make([]byte, proxyFileSize)}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range b.file {
		b.file[i] = byte(rng.Uint32())
	}
	sum := sha256.Sum256(b.file)
	b.fileSum = hex.EncodeToString(sum[:])
	b.server = newServerConfig(t, tinyhttp.ServerConfig{
		ProxyProtocol: &tinyhttp.ProxyProtocolConfig{TrustedSources: proxyTrusted},
	})
	b.serve(8, b.handle)
	return b
}

func (b *proxyBackend) handle(r *tinyhttp.Request) {
	remote := "none"
	if ta, ok := r.RemoteAddr().(*net.TCPAddr); ok {
		remote = ta.IP.String()
	}
	var resp *tinyhttp.Response
	switch r.URL() {
	case "/file":
		resp = tinyhttp.FromData(b.file)
	case "/echo":
		h := sha256.New()
		if _, err := io.Copy(h, r.Body()); err != nil {
			r.Respond(tinyhttp.Empty(400))
			return
		}
		resp = tinyhttp.FromString(hex.EncodeToString(h.Sum(nil)))
	case "/health":
		b.health.Store(remote)
		resp = tinyhttp.FromString("ok")
	default:
		resp = tinyhttp.FromString("ok")
	}
	resp.WithHeader(tinyhttp.Header{Field: "X-Remote", Value: remote})
	resp.WithHeader(tinyhttp.Header{Field: "X-Client", Value: tinyhttp.ClientAddr(r, proxyTrusted).String()})
	r.Respond(resp)
}

// proxyBinary finds a proxy's binary, in PATH or in /usr/sbin (which is
// not in an unprivileged user's PATH on Debian), or skips the test.
func proxyBinary(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/sbin/" + name; fileExists(p) {
		return p
	}
	t.Skipf("%s is not installed (Debian package %s; scripts/install-deps.sh --tests installs it)", name, name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// freeLoopbackPort returns a TCP port free on 127.0.0.1 just now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProxy runs a proxy in the foreground as a child process, its output
// in dir, and waits until every address in ready accepts connections. The
// process is killed when the test ends.
func startProxy(t *testing.T, dir, bin string, args []string, ready ...string) {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, filepath.Base(bin)+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = out, out, dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); out.Close() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(proxyReadyTimeout)
	for _, addr := range ready {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-exited:
				log, _ := os.ReadFile(out.Name())
				t.Fatalf("%s exited: %v\n%s", bin, err, log)
			case <-time.After(20 * time.Millisecond): // polling a port: the proxies have no readiness signal
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(out.Name())
				t.Fatalf("%s not listening on %s after %v:\n%s", bin, addr, proxyReadyTimeout, log)
			}
		}
	}
}

// nginxStreamModule returns the load_module line nginx needs for its
// stream module ("" when it is built in), or skips the test.
func nginxStreamModule(t *testing.T, bin string) string {
	t.Helper()
	v, _ := exec.Command(bin, "-V").CombinedOutput()
	if strings.Contains(string(v), "--with-stream ") || strings.HasSuffix(strings.TrimSpace(string(v)), "--with-stream") {
		return ""
	}
	for _, dir := range []string{"/usr/lib/nginx/modules", "/usr/share/nginx/modules", "/usr/lib64/nginx/modules"} {
		if p := filepath.Join(dir, "ngx_stream_module.so"); fileExists(p) {
			return "load_module " + p + ";"
		}
	}
	t.Skip("nginx has no stream module, which sends the PROXY header (Debian package libnginx-mod-stream)")
	return ""
}

// TestBehindNginx: nginx's stream module sends PROXY v1 to tinyhttp; the
// client reaches it directly (stream) and through nginx's HTTP proxy
// (HTTP/1.1, keepalive upstream, X-Forwarded-For), in front of a second
// stream hop.
func TestBehindNginx(t *testing.T) {
	bin := proxyBinary(t, "nginx")
	module := nginxStreamModule(t, bin)
	b := startProxyBackend(t)
	dir := t.TempDir()
	streamPort, hopPort, httpPort := freeLoopbackPort(t), freeLoopbackPort(t), freeLoopbackPort(t)
	conf := fmt.Sprintf(`%[1]s
daemon off;
master_process off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 1024; }
stream {
	server { listen 127.0.0.1:%[3]d; proxy_pass %[6]s; proxy_protocol on; }
	server { listen 127.0.0.1:%[4]d; proxy_pass %[6]s; proxy_protocol on; }
}
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	upstream tinyhttp {
		server 127.0.0.1:%[4]d;
		keepalive 16;
	}
	server {
		listen 127.0.0.1:%[5]d;
		client_max_body_size 0;
		location / {
			proxy_pass http://tinyhttp;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_bind %[7]s;
			proxy_request_buffering off;
			proxy_buffering off;
		}
	}
}
`, module, dir, streamPort, hopPort, httpPort, b.Addr(), proxyHopIP)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProxy(t, dir, bin, []string{"-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", path},
		fmt.Sprintf("127.0.0.1:%d", streamPort), fmt.Sprintf("127.0.0.1:%d", httpPort))
	checkDirectRejected(t, b)

	t.Run("stream", func(t *testing.T) {
		runProxyLoad(t, b, fmt.Sprintf("127.0.0.1:%d", streamPort), proxyClientIP, proxyClientIP)
	})
	t.Run("http", func(t *testing.T) {
		// tinyhttp's peer is nginx's HTTP proxy (from the PROXY header of
		// the stream hop), and ClientAddr finds the client in
		// X-Forwarded-For behind it.
		runProxyLoad(t, b, fmt.Sprintf("127.0.0.1:%d", httpPort), proxyHopIP, proxyClientIP)
	})
}

// TestBehindHAProxy: HAProxy in HTTP mode with send-proxy-v2 and
// http-reuse always, its health checks sending PROXY v2 too.
func TestBehindHAProxy(t *testing.T) {
	bin := proxyBinary(t, "haproxy")
	b := startProxyBackend(t)
	dir := t.TempDir()
	port := freeLoopbackPort(t)
	conf := fmt.Sprintf(`global
	maxconn 4096
defaults
	mode http
	timeout connect 5s
	timeout client 30s
	timeout server 30s
	timeout http-keep-alive 30s
	option forwardfor
	http-reuse always
frontend fe
	bind 127.0.0.1:%d
	default_backend be
backend be
	option httpchk GET /health
	server tinyhttp %s send-proxy-v2 check check-send-proxy inter 200ms
`, port, b.Addr())
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProxy(t, dir, bin, []string{"-db", "-f", path}, fmt.Sprintf("127.0.0.1:%d", port))
	checkDirectRejected(t, b)
	runProxyLoad(t, b, fmt.Sprintf("127.0.0.1:%d", port), proxyClientIP, proxyClientIP)
	// HAProxy's own checks: a LOCAL header, so the connection's own address.
	if got, _ := b.health.Load().(string); got != "127.0.0.1" {
		t.Errorf("health check seen from %q, want 127.0.0.1", got)
	}
}

// checkDirectRejected: a client that is not a trusted proxy is closed
// unanswered, PROXY header or not.
func checkDirectRejected(t *testing.T, b *proxyBackend) {
	t.Helper()
	for _, send := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		c, err := dialFrom(proxyClientIP, b.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(send))
		got, _ := io.ReadAll(c)
		c.Close()
		if len(got) != 0 {
			t.Errorf("untrusted peer sending %q got %q", send, got)
		}
	}
}

// dialFrom connects from the local address ip, with a deadline on the
// whole connection.
func dialFrom(ip, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: proxyReadyTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(proxyIOTimeout))
	return c, nil
}

// proxyStats counts what a load run saw.
type proxyStats struct {
	requests, failed, conns atomic.Int64
	mu                      sync.Mutex
	errs                    []string
}

func (s *proxyStats) fail(format string, args ...any) {
	s.failed.Add(1)
	s.mu.Lock()
	if len(s.errs) < 10 {
		s.errs = append(s.errs, fmt.Sprintf(format, args...))
	}
	s.mu.Unlock()
}

// runProxyLoad sends proxyRequests requests through the proxy at addr
// from proxyClientIP, plus proxyDownloads downloads of the file, and
// requires every one to succeed with X-Remote = remote and X-Client =
// client.
func runProxyLoad(t *testing.T, b *proxyBackend, addr, remote, client string) {
	var st proxyStats
	var next atomic.Int64 // requests handed out so far
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 2*proxyIOTimeout)
	defer cancel()
	for w := range proxyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			if w < proxyDownloads {
				download(b, addr, remote, &st)
			}
			for ctx.Err() == nil && next.Load() < proxyRequests && st.failed.Load() == 0 {
				proxyConn(addr, remote, client, rng, &next, &st)
			}
		}()
	}
	wg.Wait()
	t.Logf("%s: %d requests on %d connections, %d failed, %d downloads of %d MiB",
		addr, st.requests.Load(), st.conns.Load(), st.failed.Load(), proxyDownloads, proxyFileSize>>20)
	if st.failed.Load() != 0 || st.requests.Load() < proxyRequests+proxyDownloads {
		t.Fatalf("%d failed of %d (want %d, 0 failed); first errors:\n%s",
			st.failed.Load(), st.requests.Load(), proxyRequests+proxyDownloads, strings.Join(st.errs, "\n"))
	}
}

// proxyConn runs up to proxyBatchesPerConn pipelined batches on one
// connection.
func proxyConn(addr, remote, client string, rng *rand.Rand, next *atomic.Int64, st *proxyStats) {
	c, err := dialFrom(proxyClientIP, addr)
	if err != nil {
		st.fail("dial: %v", err)
		return
	}
	defer c.Close()
	st.conns.Add(1)
	br := bufio.NewReader(c)
	for range proxyBatchesPerConn {
		if next.Add(4) > proxyRequests+3 {
			return
		}
		var wire bytes.Buffer
		var want []string // "" for a GET; the body's SHA-256 for an upload
		for i := range 4 {
			switch i {
			case 0, 2:
				wire.WriteString("GET /addr HTTP/1.1\r\nHost: tinyhttp.test\r\n\r\n")
				want = append(want, "")
			case 1:
				body := make([]byte, rng.IntN(proxyMaxUpload+1))
				fillRandom(rng, body)
				wire.WriteString("POST /echo HTTP/1.1\r\nHost: tinyhttp.test\r\nTransfer-Encoding: chunked\r\n\r\n")
				for rest := body; len(rest) > 0; {
					n := min(len(rest), 1+rng.IntN(4096))
					fmt.Fprintf(&wire, "%x\r\n%s\r\n", n, rest[:n])
					rest = rest[n:]
				}
				wire.WriteString("0\r\n\r\n")
				want = append(want, sum(body))
			case 3:
				body := make([]byte, rng.IntN(proxyMaxUpload+1))
				fillRandom(rng, body)
				fmt.Fprintf(&wire, "POST /echo HTTP/1.1\r\nHost: tinyhttp.test\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				want = append(want, sum(body))
			}
		}
		if _, err := c.Write(wire.Bytes()); err != nil {
			st.fail("write: %v", err)
			return
		}
		for _, w := range want {
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				st.fail("read: %v", err)
				return
			}
			got, err := io.ReadAll(res.Body)
			st.requests.Add(1)
			switch {
			case err != nil:
				st.fail("body: %v", err)
				return
			case res.StatusCode != 200:
				st.fail("status %s: %q", res.Status, got)
			case res.Header.Get("X-Remote") != remote || res.Header.Get("X-Client") != client:
				st.fail("X-Remote %q, X-Client %q; want %q, %q", res.Header.Get("X-Remote"), res.Header.Get("X-Client"), remote, client)
			case w != "" && string(got) != w:
				st.fail("upload hash %q, want %q", got, w)
			}
		}
	}
}

// download fetches the 5 MiB file on a connection of its own and checks
// its SHA-256.
func download(b *proxyBackend, addr, remote string, st *proxyStats) {
	c, err := dialFrom(proxyClientIP, addr)
	if err != nil {
		st.fail("dial: %v", err)
		return
	}
	defer c.Close()
	st.conns.Add(1)
	io.WriteString(c, "GET /file HTTP/1.1\r\nHost: tinyhttp.test\r\nConnection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		st.fail("download: %v", err)
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, res.Body)
	st.requests.Add(1)
	switch {
	case err != nil:
		st.fail("download body after %d bytes: %v", n, err)
	case res.StatusCode != 200 || n != proxyFileSize || hex.EncodeToString(h.Sum(nil)) != b.fileSum:
		st.fail("download: %s, %d bytes, SHA-256 %x", res.Status, n, h.Sum(nil))
	case res.Header.Get("X-Remote") != remote:
		st.fail("download X-Remote %q, want %q", res.Header.Get("X-Remote"), remote)
	}
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = 'a' + byte(rng.IntN(26))
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
