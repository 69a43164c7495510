package tests

// Connection: upgrade (RFC 9110 §7.8, CONFORMANCE.md C18/C19) through
// Request.Upgrade, and the websocket example (examples/websocket, whose
// server side is package wsecho) end to end: a Go websocket client, a
// hand-written client that breaks RFC 6455 on purpose, and a headless
// Chromium when one is installed.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/websocket/wsecho"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// dialGoWebSocket connects golang.org/x/net/websocket's client to the echo
// endpoint of s, with a deadline of wiretest.Timeout on the connection.
func dialGoWebSocket(t *testing.T, s *server) *websocket.Conn {
	t.Helper()
	addr := s.Addr().String()
	cfg, err := websocket.NewConfig("ws://"+addr+"/ws", "http://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wiretest.Timeout)
	defer cancel()
	ws, err := cfg.DialContext(ctx)
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetDeadline(time.Now().Add(wiretest.Timeout))
	return ws
}

// TestWebSocket_EchoTextAndBinary exchanges text and binary messages, small
// and large, with the example's handler through x/net/websocket's client.
func TestWebSocket_EchoTextAndBinary(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	ws := dialGoWebSocket(t, s)

	for _, text := range []string{"hello", "", "héllo wörld ✓", strings.Repeat("0123456789", 20_000)} {
		if err := websocket.Message.Send(ws, text); err != nil {
			t.Fatalf("sending text of %d bytes: %v", len(text), err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil {
			t.Fatalf("receiving the echo of %d bytes of text: %v", len(text), err)
		}
		if got != text {
			t.Errorf("text echo = %q, want %q", wiretest.Truncate(got), wiretest.Truncate(text))
		}
	}
	for _, data := range [][]byte{{0, 1, 2, 0xff, 0xfe}, bytes.Repeat([]byte{0x80, 0}, 40_000)} {
		if err := websocket.Message.Send(ws, data); err != nil {
			t.Fatalf("sending %d binary bytes: %v", len(data), err)
		}
		var got []byte
		if err := websocket.Message.Receive(ws, &got); err != nil {
			t.Fatalf("receiving the echo of %d binary bytes: %v", len(data), err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("binary echo of %d bytes differs (got %d bytes)", len(data), len(got))
		}
	}
	if n := s.NumConnections(); n != 1 {
		t.Errorf("NumConnections() = %d with one websocket open, want 1", n)
	}
}

// TestWebSocket_ConcurrentSessions runs several websocket sessions at once:
// sessions hold no worker, so two workers serve them all.
func TestWebSocket_ConcurrentSessions(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	const sessions = 8
	conns := make([]*websocket.Conn, sessions)
	for i := range conns {
		conns[i] = dialGoWebSocket(t, s)
	}
	for i, ws := range conns {
		msg := strings.Repeat(string(rune('a'+i)), i+1)
		if err := websocket.Message.Send(ws, msg); err != nil {
			t.Fatalf("session %d: send: %v", i, err)
		}
	}
	for i, ws := range conns {
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil {
			t.Fatalf("session %d: receive: %v", i, err)
		}
		if want := strings.Repeat(string(rune('a'+i)), i+1); got != want {
			t.Errorf("session %d: echo %q, want %q", i, got, want)
		}
	}
}

// TestWebSocket_HandshakeWire checks the 101 answer on the wire (C18): the
// RFC 6455 §1.3 sample key gives its sample accept value, Upgrade and
// Connection name the switch, and there is no framing field or body.
func TestWebSocket_HandshakeWire(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	c := s.dial()
	c.Send(wsHandshake("/ws", s.Addr().String()))
	resp := c.ReadResponse(false)
	if resp.Status != 101 || resp.Proto != "HTTP/1.1" {
		t.Fatalf("got %s %d, want HTTP/1.1 101:\n%s", resp.Proto, resp.Status, resp)
	}
	want := map[string]string{
		"Upgrade":              "websocket",
		"Connection":           "upgrade",
		"Sec-WebSocket-Accept": wsSampleAccept,
	}
	for name, value := range want {
		if got, ok := resp.Get(name); !ok || !strings.EqualFold(got, value) {
			t.Errorf("%s: %q, want %q\n%s", name, got, value, resp)
		}
	}
	for _, name := range []string{"Content-Length", "Transfer-Encoding"} {
		if v, ok := resp.Get(name); ok {
			t.Errorf("101 response carries %s: %s", name, v)
		}
	}
	// The connection is the websocket's now: a frame is echoed.
	ws := &wsClient{c, t}
	ws.send(true, wsText, []byte("after the switch"), true)
	if m := ws.recv(); m.Op != wsText || string(m.Payload) != "after the switch" {
		t.Errorf("echo = %v, want the text frame back", m)
	}
}

// TestWebSocket_AcceptKey checks wsecho.AcceptKey on RFC 6455's sample.
func TestWebSocket_AcceptKey(t *testing.T) {
	if got := wsecho.AcceptKey(wsSampleKey); got != wsSampleAccept {
		t.Errorf("AcceptKey(%q) = %q, want %q", wsSampleKey, got, wsSampleAccept)
	}
}

// TestWebSocket_FragmentsPingAndClose sends a text message in three
// fragments with a ping between them, then closes with a status code: the
// pong comes first, then the whole message in one frame, then the close
// frame echoing the code, then the server closes the connection.
func TestWebSocket_FragmentsPingAndClose(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	ws := dialWS(t, "tcp", s.Addr().String(), "/ws")

	ws.send(false, wsText, []byte("frag"), true)
	ws.send(false, wsContinuation, []byte("ment"), true)
	ws.send(true, wsPing, []byte("are you there"), true)
	ws.send(true, wsContinuation, []byte("ed ✓"), true)

	if m := ws.recv(); m.Op != wsPong || !m.Fin || string(m.Payload) != "are you there" {
		t.Errorf("first frame = %v, want the pong with the ping's payload", m)
	}
	if m := ws.recv(); m.Op != wsText || !m.Fin || string(m.Payload) != "fragmented ✓" {
		t.Errorf("second frame = %v, want the whole text message in one frame", m)
	}

	// A binary message in two fragments.
	ws.send(false, wsBinary, []byte{0, 1}, true)
	ws.send(true, wsContinuation, []byte{2, 0xff}, true)
	if m := ws.recv(); m.Op != wsBinary || !bytes.Equal(m.Payload, []byte{0, 1, 2, 0xff}) {
		t.Errorf("binary echo = %v, want 00 01 02 ff", m)
	}

	// An unsolicited pong is ignored; the close code is echoed.
	ws.send(true, wsPong, nil, true)
	ws.send(true, wsClose, wsCloseBody(4001, "bye"), true)
	m := ws.recv()
	if m.Op != wsClose || m.closeCode() != 4001 {
		t.Errorf("answer to close 4001 = %v, want a close frame with 4001", m)
	}
	ws.ExpectClosed()
}

// TestWebSocket_ProtocolErrors breaks RFC 6455 in every way the example
// checks: each time the server sends a close frame with the right code,
// then closes the connection.
func TestWebSocket_ProtocolErrors(t *testing.T) {
	const max = 1024
	big := bytes.Repeat([]byte("x"), max+1)
	tests := []struct {
		name   string
		frames [][]byte
		code   int
	}{
		{"unmasked", [][]byte{wsFrame(true, wsText, []byte("hello"), false)}, 1002},
		{"continuation first", [][]byte{wsFrame(true, wsContinuation, []byte("x"), true)}, 1002},
		{"new message inside a fragmented one", [][]byte{
			wsFrame(false, wsText, []byte("a"), true), wsFrame(true, wsText, []byte("b"), true)}, 1002},
		{"reserved opcode", [][]byte{wsFrame(true, 0x3, nil, true)}, 1002},
		{"reserved control opcode", [][]byte{wsFrame(true, 0xB, nil, true)}, 1002},
		{"RSV1 without an extension", [][]byte{func() []byte {
			f := wsFrame(true, wsText, []byte("x"), true)
			f[0] |= 0x40
			return f
		}()}, 1002},
		{"fragmented ping", [][]byte{wsFrame(false, wsPing, nil, true)}, 1002},
		{"ping above 125 bytes", [][]byte{wsFrame(true, wsPing, bytes.Repeat([]byte("p"), 126), true)}, 1002},
		{"close with one byte", [][]byte{wsFrame(true, wsClose, []byte{3}, true)}, 1002},
		{"close with reserved code 1005", [][]byte{wsFrame(true, wsClose, wsCloseBody(1005, ""), true)}, 1002},
		{"close with code 999", [][]byte{wsFrame(true, wsClose, wsCloseBody(999, ""), true)}, 1002},
		{"text not UTF-8", [][]byte{wsFrame(true, wsText, []byte{'a', 0xff, 'b'}, true)}, 1007},
		{"fragmented text not UTF-8", [][]byte{
			wsFrame(false, wsText, []byte{'a', 0xe2}, true), wsFrame(true, wsContinuation, []byte{0x28, 0xa1}, true)}, 1007},
		{"message above the limit", [][]byte{wsFrame(true, wsBinary, big, true)}, 1009},
		{"fragments above the limit", [][]byte{
			wsFrame(false, wsBinary, big[:max], true), wsFrame(true, wsContinuation, []byte("y"), true)}, 1009},
	}
	s := startEchoServer(t, tinyhttp.ServerConfig{}, &wsecho.Echo{MaxMessageSize: max})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := dialWS(t, "tcp", s.Addr().String(), "/ws")
			// A message of exactly the limit is fine.
			ws.send(true, wsBinary, big[:max], true)
			if m := ws.recv(); m.Op != wsBinary || len(m.Payload) != max {
				t.Fatalf("echo of %d bytes = %v", max, m)
			}
			for _, f := range tt.frames {
				ws.Send(string(f))
			}
			ws.expectClose(tt.code)
		})
	}
}

// TestWebSocket_HandshakeRefused sends handshakes the example must refuse;
// the refusal is an ordinary response on a connection that stays usable
// (except where noted), and never a 101.
func TestWebSocket_HandshakeRefused(t *testing.T) {
	const key = "Sec-WebSocket-Key: " + wsSampleKey + "\r\n"
	tests := []struct {
		name    string
		request string
		status  int
		header  string // a field the refusal must carry, "Name: value"
	}{
		{"version 8", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" + key +
			"Sec-WebSocket-Version: 8\r\n\r\n", 400, "Sec-WebSocket-Version: 13"},
		{"no version", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" + key +
			"\r\n", 400, "Sec-WebSocket-Version: 13"},
		{"no key", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" +
			"Sec-WebSocket-Version: 13\r\n\r\n", 400, ""},
		{"short key", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" +
			"Sec-WebSocket-Key: AAAA\r\nSec-WebSocket-Version: 13\r\n\r\n", 400, ""},
		{"other protocol", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: upgrade\r\n" + key +
			"Sec-WebSocket-Version: 13\r\n\r\n", 400, ""},
		{"cross-origin", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" + key +
			"Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n", 403, ""},
		{"POST", "POST /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" + key +
			"Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 405, ""},
		// C19: without the upgrade token in Connection, Request.Upgrade refuses.
		{"no Connection: upgrade", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n" + key +
			"Sec-WebSocket-Version: 13\r\n\r\n", 400, ""},
	}
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial()
			c.Send(tt.request)
			resp := c.ReadResponse(false)
			if resp.Status != tt.status {
				t.Fatalf("status %d, want %d:\n%s", resp.Status, tt.status, resp)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got, _ := resp.Get(name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			// Still HTTP: the next request on the connection is answered.
			c.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			if resp := c.ReadResponse(false); resp.Status != 200 || !bytes.Contains(resp.Body, []byte("new WebSocket")) {
				t.Errorf("page after a refused handshake: %d\n%s", resp.Status, resp)
			}
		})
	}
}

// TestWebSocket_RefusedUpgradeKeepsPipeline pipelines a handshake the
// example refuses and a plain request: the server waits for the upgrade
// request to be settled before parsing what follows, then answers both.
func TestWebSocket_RefusedUpgradeKeepsPipeline(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	c := s.dial()
	c.Send("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" +
		"Sec-WebSocket-Key: " + wsSampleKey + "\r\nSec-WebSocket-Version: 7\r\n\r\n" +
		"GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp := c.ReadResponse(false); resp.Status != 400 {
		t.Errorf("refused handshake: %d, want 400", resp.Status)
	}
	if resp := c.ReadResponse(false); resp.Status != 404 {
		t.Errorf("pipelined request after it: %d, want 404", resp.Status)
	}
}

// TestWebSocket_HTTP10UpgradeRefused sends an upgrade on HTTP/1.0, where the
// Upgrade field must be ignored (C19): no 101.
func TestWebSocket_HTTP10UpgradeRefused(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	c := s.dial()
	c.Send("GET /ws HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" +
		"Sec-WebSocket-Key: " + wsSampleKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp := c.ReadResponse(false)
	if resp.Status != 400 {
		t.Errorf("HTTP/1.0 upgrade answered %d, want the example's 400:\n%s", resp.Status, resp)
	}
	c.ExpectClosed() // HTTP/1.0 without keep-alive
}

// TestWebSocket_NotUpgradable calls Request.Upgrade on requests that did not
// ask for a switch: it returns ErrNotUpgradable, UpgradeRequested is false,
// nothing is written, and the request can still be answered.
func TestWebSocket_NotUpgradable(t *testing.T) {
	tests := []struct{ name, request string }{
		{"plain GET", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"Upgrade without Connection: upgrade", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n"},
		{"Upgrade with Connection: keep-alive", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n"},
		{"Connection: upgrade without Upgrade", "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n"},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, upgrade\r\n\r\n"},
	}
	s := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial()
			c.Send(tt.request)
			r := s.recv()
			if r.UpgradeRequested() {
				t.Errorf("UpgradeRequested() = true")
			}
			conn, err := r.Upgrade("websocket", tinyhttp.Empty(101))
			if !errors.Is(err, tinyhttp.ErrNotUpgradable) {
				t.Errorf("Upgrade: %v, want ErrNotUpgradable", err)
			}
			if conn != nil {
				t.Errorf("Upgrade returned a connection along with %v", err)
				conn.Close()
			}
			if err := r.Respond(tinyhttp.FromString("plain")); err != nil {
				t.Fatalf("Respond after a refused Upgrade: %v", err)
			}
			resp := c.ReadResponse(false)
			if resp.Status != 200 || string(resp.Body) != "plain" {
				t.Errorf("got %d %q, want 200 plain (no 101 before it)", resp.Status, resp.Body)
			}
		})
	}
}

// TestWebSocket_UpgradeKeepsEarlyBytes sends the handshake and the first
// bytes of the new protocol in one write: the upgraded connection yields
// them, although the server had read them along with the request head.
func TestWebSocket_UpgradeKeepsEarlyBytes(t *testing.T) {
	t.Run("raw", func(t *testing.T) {
		s := newServer(t)
		c := s.dial()
		early := "early bytes, sent with the handshake"
		c.Send("GET /raw HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo-test\r\n\r\n" + early)
		r := s.recv()
		if !r.UpgradeRequested() {
			t.Fatal("UpgradeRequested() = false for Connection: Upgrade + Upgrade on 1.1")
		}
		conn, err := r.Upgrade("echo-test", nil)
		if err != nil {
			t.Fatalf("Upgrade: %v", err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(wiretest.Timeout))
		got := make([]byte, len(early))
		if _, err := io.ReadFull(conn, got); err != nil {
			t.Fatalf("reading the early bytes from the upgraded conn: %v (got %q)", err, got)
		}
		if string(got) != early {
			t.Errorf("upgraded conn yielded %q, want %q", got, early)
		}
		if _, err := conn.Write([]byte("reply")); err != nil {
			t.Fatalf("writing on the upgraded conn: %v", err)
		}
		resp := c.ReadResponse(false)
		if resp.Status != 101 {
			t.Fatalf("status %d, want 101:\n%s", resp.Status, resp)
		}
		if up, _ := resp.Get("Upgrade"); up != "echo-test" {
			t.Errorf("Upgrade: %q, want echo-test", up)
		}
		c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
		reply := make([]byte, 5)
		if _, err := io.ReadFull(c.R, reply); err != nil || string(reply) != "reply" {
			t.Errorf("after the 101: %q, %v; want reply", reply, err)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
		c := s.dial()
		c.Send(wsHandshake("/ws", "h") + string(wsFrame(true, wsText, []byte("in the same write"), true)))
		if resp := c.ReadResponse(false); resp.Status != 101 {
			t.Fatalf("status %d, want 101:\n%s", resp.Status, resp)
		}
		ws := &wsClient{c, t}
		if m := ws.recv(); m.Op != wsText || string(m.Payload) != "in the same write" {
			t.Errorf("echo = %v, want the frame sent with the handshake", m)
		}
	})
}

// TestWebSocket_UpgradeAfterPipelinedRequest pipelines a plain request and
// an upgrade; the application upgrades first: the 101 waits for the
// earlier response, which goes first, and the raw stream follows.
func TestWebSocket_UpgradeAfterPipelinedRequest(t *testing.T) {
	s := newServer(t)
	c := s.dial()
	c.Send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /second HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\nraw")
	first, second := s.recv(), s.recv()
	type upgraded struct {
		conn net.Conn
		err  error
	}
	done := make(chan upgraded, 1)
	s.goroutine(func() {
		conn, err := second.Upgrade("test", nil)
		done <- upgraded{conn, err}
	})
	select {
	case u := <-done:
		t.Fatalf("Upgrade returned (%v) before the earlier request was answered", u.err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := first.Respond(tinyhttp.FromString("first")); err != nil {
		t.Fatalf("Respond: %v", err)
	}
	var u upgraded
	select {
	case u = <-done:
	case <-time.After(wiretest.Timeout):
		t.Fatal("Upgrade did not return after the earlier response was written")
	}
	if u.err != nil {
		t.Fatalf("Upgrade: %v", u.err)
	}
	defer u.conn.Close()
	u.conn.SetDeadline(time.Now().Add(wiretest.Timeout))
	buf := make([]byte, 3)
	if _, err := io.ReadFull(u.conn, buf); err != nil || string(buf) != "raw" {
		t.Errorf("upgraded conn read %q, %v; want raw", buf, err)
	}
	u.conn.Write([]byte("RAW"))
	if resp := c.ReadResponse(false); resp.Status != 200 || string(resp.Body) != "first" {
		t.Errorf("first response: %d %q", resp.Status, resp.Body)
	}
	if resp := c.ReadResponse(false); resp.Status != 101 {
		t.Errorf("second response: %d, want 101", resp.Status)
	}
	c.Conn.SetReadDeadline(time.Now().Add(wiretest.Timeout))
	if _, err := io.ReadFull(c.R, buf); err != nil || string(buf) != "RAW" {
		t.Errorf("after the 101: %q, %v; want RAW", buf, err)
	}
}

// TestWebSocket_UpgradedConnHasNoServerDeadlines upgrades a connection of a
// server with short timeouts and uses it after they would have passed: the
// raw connection belongs to the application, and the server's per-request
// read and write deadlines must not follow it there.
func TestWebSocket_UpgradedConnHasNoServerDeadlines(t *testing.T) {
	const short = 150 * time.Millisecond
	s := newServerConfig(t, tinyhttp.ServerConfig{
		ReadHeaderTimeout: short, IdleTimeout: short, WriteTimeout: short, BodyReadTimeout: short,
	})
	c := s.dial()
	c.Send("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n")
	r := s.recv()
	conn, err := r.Upgrade("test", nil)
	if err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	defer conn.Close()
	if resp := c.ReadResponse(false); resp.Status != 101 {
		t.Fatalf("status %d, want 101", resp.Status)
	}
	time.Sleep(4 * short) // not synchronisation: the server's timeouts must pass first
	if _, err := conn.Write([]byte("late write")); err != nil {
		t.Errorf("write on the upgraded conn %v after the 101: %v (a server write deadline is still set)", 4*short, err)
	}
	c.Send("late read")
	buf := make([]byte, len("late read"))
	readDone := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(conn, buf)
		readDone <- err
	}()
	select {
	case err := <-readDone:
		if err != nil {
			t.Errorf("read on the upgraded conn %v after the 101: %v (a server read deadline is still set)", 4*short, err)
		}
	case <-time.After(wiretest.Timeout):
		conn.Close()
		<-readDone
		t.Fatal("read on the upgraded conn did not return")
	}
}

// TestWebSocket_CloseEndsSessions checks that Server.Close closes upgraded
// connections: the client sees the connection end, and the session's
// goroutine exits (the leak check).
func TestWebSocket_CloseEndsSessions(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	ws := dialWS(t, "tcp", s.Addr().String(), "/ws")
	ws.send(true, wsText, []byte("x"), true)
	ws.recv()
	if n := s.NumConnections(); n != 1 {
		t.Errorf("NumConnections() = %d, want 1 (the upgraded connection)", n)
	}
	if !wiretest.Within(t, wiretest.Timeout, "Close", func() { s.Close() }) {
		return
	}
	ws.ExpectClosed()
	if n := s.NumConnections(); n != 0 {
		t.Errorf("NumConnections() = %d after Close returned, want 0", n)
	}
}

// TestWebSocket_ShutdownEndsSessions checks that Shutdown returns while a
// websocket is open, and the upgraded connection is closed by then.
func TestWebSocket_ShutdownEndsSessions(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	ws := dialWS(t, "tcp", s.Addr().String(), "/ws")
	ws.send(true, wsText, []byte("x"), true)
	ws.recv()
	ctx, cancel := context.WithTimeout(context.Background(), wiretest.Timeout)
	defer cancel()
	var err error
	if !wiretest.Within(t, 2*wiretest.Timeout, "Shutdown", func() { err = s.Shutdown(ctx) }) {
		return
	}
	if err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	ws.ExpectClosed()
}

// TestWebSocket_ClientCloseReleasesConnection checks that an upgraded
// connection the application closes leaves NumConnections.
func TestWebSocket_ClientCloseReleasesConnection(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	ws := dialWS(t, "tcp", s.Addr().String(), "/ws")
	ws.send(true, wsClose, wsCloseBody(1000, ""), true)
	if m := ws.recv(); m.Op != wsClose || m.closeCode() != 1000 {
		t.Errorf("answer to close = %v, want close 1000", m)
	}
	ws.ExpectClosed()
	waitForNoConnections(t, s)
}

// TestWebSocket_Page checks the example's page and its 404s.
func TestWebSocket_Page(t *testing.T) {
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	c := s.dial()
	c.Send("GET /?auto=x HTTP/1.1\r\nHost: h\r\n\r\nGET /nothing HTTP/1.1\r\nHost: h\r\n\r\n")
	resp := c.ReadResponse(false)
	if ct, _ := resp.Get("Content-Type"); resp.Status != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("page: %d %q", resp.Status, ct)
	}
	for _, want := range []string{`new WebSocket(`, `location.host + "/ws"`, `id="out"`} {
		if !bytes.Contains(resp.Body, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if resp := c.ReadResponse(false); resp.Status != 404 {
		t.Errorf("/nothing: %d, want 404", resp.Status)
	}
}

// chromiumPath is where Debian's chromium package installs the browser
// (scripts/install-deps.sh --browser).
const chromiumPath = "/usr/bin/chromium"

// chromiumTimeout bounds one headless Chromium run, start-up included.
const chromiumTimeout = 60 * time.Second

// chromiumDOM loads url in a headless Chromium (certificate errors
// ignored, for the tests' self-signed certificates) and returns the DOM it
// dumps once the page has run for 5 s of virtual time.
func chromiumDOM(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--ignore-certificate-errors", "--user-data-dir="+t.TempDir(),
		"--dump-dom", "--virtual-time-budget=5000", url)
	cmd.WaitDelay = wiretest.Timeout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("Chromium did not finish within %v\nstderr:\n%s", chromiumTimeout, wiretest.Truncate(stderr.String()))
	}
	if err != nil {
		t.Fatalf("chromium: %v\nstderr:\n%s", err, wiretest.Truncate(stderr.String()))
	}
	return string(out)
}

// TestWebSocket_Chromium loads the example's page in a headless Chromium,
// which opens the websocket, sends ?auto's text and shows the echo; the
// dumped DOM must show it.
func TestWebSocket_Chromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (install it with: bash scripts/install-deps.sh --browser)", chromiumPath)
	}
	s := startEchoServer(t, tinyhttp.ServerConfig{}, nil)
	const msg = "hello-from-chromium"
	dom := chromiumDOM(t, "http://"+s.Addr().String()+"/?auto="+msg)
	if !strings.Contains(dom, "<p>echo: "+msg+"</p>") || !strings.Contains(dom, "<title>echo: "+msg+"</title>") {
		t.Errorf("the DOM does not show the echo of %q:\n%s", msg, wiretest.Truncate(dom))
	}
}
