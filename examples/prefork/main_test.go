package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testTimeout bounds every wait: a hang fails the test instead of stalling it.
const testTimeout = 20 * time.Second

// children is how many processes the test runs.
const children = 3

// syncBuffer collects the parent's output for the test to read.
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

// waitOutput waits until the output has a line with prefix and returns it.
func waitOutput(t *testing.T, out *syncBuffer, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			if i := strings.Index(line, prefix); i >= 0 {
				return line[i:]
			}
		}
		time.Sleep(10 * time.Millisecond) // polling a child process's output
	}
	t.Fatalf("no line with %q within %v; output:\n%s", prefix, testTimeout, out)
	return ""
}

// pidOf asks the server for the pid of the child that answers.
func pidOf(c *http.Client, addr string) (int, error) {
	res, err := c.Get("http://" + addr + "/")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(b), "hello from ")))
}

// pidsSeen sends requests on new connections until n distinct pids answered.
func pidsSeen(t *testing.T, c *http.Client, addr string, n int) map[int]bool {
	t.Helper()
	seen := map[int]bool{}
	for i := 0; len(seen) < n; i++ {
		if i == 2000 {
			t.Fatalf("2000 requests reached only pids %v, want %d", seen, n)
		}
		pid, err := pidOf(c, addr)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		seen[pid] = true
	}
	return seen
}

// TestPrefork: the parent runs its children on one port and the kernel
// spreads connections over all of them; a child killed outright is
// restarted on the same port; SIGTERM stops everything gracefully.
func TestPrefork(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "prefork")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out syncBuffer
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-n", strconv.Itoa(children))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()
	var addr string
	if _, err := fmt.Sscanf(waitOutput(t, &out, "listening on "), "listening on http://%s", &addr); err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSuffix(addr, "/")
	// A new connection per request, so the kernel picks a child each time.
	client := &http.Client{Timeout: testTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	pids := pidsSeen(t, client, addr, children)
	t.Logf("children %v answer on %s", pids, addr)

	var victim int
	for pid := range pids {
		victim = pid
		break
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &out, fmt.Sprintf("(pid %d) exited", victim))
	// The replacement joins the port: children pids answer again, one new.
	deadline := time.Now().Add(testTimeout)
	for {
		now := pidsSeen(t, client, addr, children-1)
		fresh := 0
		for pid := range now {
			if pid == victim {
				t.Fatalf("the killed child %d answered", victim)
			}
			if !pids[pid] {
				fresh = pid
			}
		}
		if fresh != 0 {
			t.Logf("child %d replaced by %d", victim, fresh)
			pids[fresh] = true
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replacement for child %d answered within %v", victim, testTimeout)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("parent exited with %v after SIGTERM; output:\n%s", err, &out)
		}
	case <-time.After(testTimeout):
		t.Fatalf("parent still runs %v after SIGTERM", testTimeout)
	}
	// The parent reaps its children before it exits: none may be left.
	for pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("child %d still runs after the parent exited", pid)
		}
	}
}
