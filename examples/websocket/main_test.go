package main

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/c0c8f223/tinyhttp/internal/exampletest"
)

// TestWebSocketExample_Run runs the example on a free port: the page is served, the
// websocket echoes, and cancelling the context stops it.
func TestWebSocketExample_Run(t *testing.T) {
	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := exampletest.NewLines()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, out) }()
	line := out.Next(t)
	url, _, ok := strings.Cut(strings.TrimPrefix(line, "listening on "), " ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q, want the URL", line)
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

	cancel() // closes the server and the open websocket
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	ws.Close()
	tr.CloseIdleConnections()
	waitGoroutines(t, baseline)
}

// waitGoroutines polls until the goroutine count is back to at most
// baseline, failing the test after 5 s.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Errorf("goroutine leak: %d goroutines, %d before\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
