package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
)

// TestGorillaWebSocket: gorilla/websocket's Upgrader, unchanged, hijacks
// the connection through tinyhttp's ResponseWriter and echoes text and
// binary messages; the close handshake completes.
func TestGorillaWebSocket(t *testing.T) {
	up := gorilla.Upgrader{}
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(kind, msg); err != nil {
				return
			}
		}
	}))
	d := gorilla.Dialer{HandshakeTimeout: testTimeout}
	c, res, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake status %d", res.StatusCode)
	}
	c.SetReadDeadline(time.Now().Add(testTimeout))
	for i, m := range []struct {
		kind int
		data string
	}{{gorilla.TextMessage, "hello"}, {gorilla.BinaryMessage, "\x00\x01\x02"}, {gorilla.TextMessage, strings.Repeat("x", 70000)}} {
		if err := c.WriteMessage(m.kind, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
		kind, got, err := c.ReadMessage()
		if err != nil || kind != m.kind || string(got) != m.data {
			t.Fatalf("message %d: kind %d, %d bytes, %v", i, kind, len(got), err)
		}
	}
	c.WriteMessage(gorilla.CloseMessage, gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, "bye"))
	if _, _, err := c.ReadMessage(); !gorilla.IsCloseError(err, gorilla.CloseNormalClosure) {
		t.Errorf("after close: %v, want the server's normal closure", err)
	}
}

// TestCoderWebSocket: coder/websocket's Accept on tinyhttp, its own client.
func TestCoderWebSocket(t *testing.T) {
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			kind, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, kind, msg); err != nil {
				return
			}
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, base+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	for i, m := range []string{"one", "two", strings.Repeat("z", 30000)} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		kind, got, err := c.Read(ctx)
		if err != nil || kind != websocket.MessageText || string(got) != m {
			t.Fatalf("message %d: %v, %d bytes, %v", i, kind, len(got), err)
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Errorf("close handshake: %v", err)
	}
}
