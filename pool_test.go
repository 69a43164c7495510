package tinyhttp

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestPoolWorkersExpire shows idle workers exit after WorkerIdleTimeout:
// ants reaps a worker between one and two expiry periods after it went idle.
func TestPoolWorkersExpire(t *testing.T) {
	const expiry = 50 * time.Millisecond
	s := startServer(t, ServerConfig{WorkerIdleTimeout: expiry})
	c := dial(t, s) // its task keeps a worker busy while it is open
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	recvOne(t, s).Respond(FromString("x"))
	if n := s.pool.running(); n == 0 {
		t.Fatal("no worker alive while a connection is served")
	}
	io.ReadAll(c) // the server closes: the worker goes idle
	c.Close()
	deadline := time.Now().Add(testTimeout)
	for s.pool.running() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still alive long after the expiry", s.pool.running())
		}
		time.Sleep(expiry / 2)
	}
}

// TestPoolPanicClosesOnlyThatTask checks that a panicking task reaches its
// own handler and the pool keeps running other tasks.
func TestPoolPanicClosesOnlyThatTask(t *testing.T) {
	p, err := newWorkerPool(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.release()
	caught := make(chan any, 1)
	p.submit(func() { panic("boom") }, func(v any) { caught <- v })
	select {
	case v := <-caught:
		if !strings.Contains(v.(string), "boom") {
			t.Fatalf("caught %v", v)
		}
	case <-time.After(testTimeout):
		t.Fatal("panic handler not called")
	}
	ran := make(chan struct{})
	if err := p.submit(func() { close(ran) }, func(any) {}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(testTimeout):
		t.Fatal("pool stopped running tasks after a panic")
	}
}
