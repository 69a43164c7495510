package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/c0c8f223/tinyhttp/internal/exampletest"
)

// TestWebSocketExample_Run runs the example on a free port: the page is served, the
// websocket echoes, and cancelling the context stops it.
func TestWebSocketExample_Run(t *testing.T) {
	_, url, stop := exampletest.Start(t, run, "-addr", "127.0.0.1:0")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed URL %q", url)
	}

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "new WebSocket(") {
		t.Errorf("page: %d\n%s", resp.StatusCode, page)
	}

	ws, err := websocket.Dial("ws"+strings.TrimPrefix(url, "http")+"ws", "", url)
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	ws.SetDeadline(time.Now().Add(5 * time.Second))
	var got string
	if err := websocket.Message.Send(ws, "ping"); err != nil {
		t.Fatal(err)
	}
	if err := websocket.Message.Receive(ws, &got); err != nil || got != "ping" {
		t.Errorf("echo %q, %v", got, err)
	}

	if err := stop(); err != nil { // closes the server and the open websocket
		t.Errorf("run: %v", err)
	}
	ws.Close()
	tr.CloseIdleConnections()
}
