package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// urlRE finds the URL run prints.
var urlRE = regexp.MustCompile(`on (http://\S+/)\n`)

// TestRun starts the command on a free port, downloads a file and a range
// of it through the URL it prints, and stops it.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, world"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dir", dir, "-addr", "127.0.0.1:0", "-workers", "2"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context ended")
		}
	}()

	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q %q", stdout.String(), stderr.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", base+"hello.txt", nil)
	req.Header.Set("Range", "bytes=7-")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || string(body) != "world" || resp.Header.Get("Content-Range") != "bytes 7-11/12" {
		t.Errorf("range: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	client.CloseIdleConnections()
	// The line is written once Respond has returned, maybe after the client
	// has the response: wait for it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), `"GET /hello.txt HTTP/1.1" 206`); {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the request: %q", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunFlags: bad flags and arguments are errors.
func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-dir", filepath.Join(t.TempDir(), "missing")}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
