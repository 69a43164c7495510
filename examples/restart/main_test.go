package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testTimeout bounds every wait: a hang fails the test instead of stalling it.
const testTimeout = 20 * time.Second

// clients is how many goroutines hammer the port, each with one
// connection (one request) at a time.
const clients = 16

// build compiles this example into the test's temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "restart")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lines returns the lines the process prints, in a channel.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

// listening waits for "listening on http://ADDR/ (pid N)" and returns ADDR and N.
func listening(t *testing.T, out <-chan string) (addr string, pid int) {
	t.Helper()
	select {
	case line := <-out:
		var url string
		if _, err := fmt.Sscanf(line, "listening on %s (pid %d)", &url, &pid); err != nil {
			t.Fatalf("printed %q: %v", line, err)
		}
		return strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"), pid
	case <-time.After(testTimeout):
		t.Fatal("the example printed nothing")
	}
	return "", 0
}

// get sends one request on a new connection and returns the pid answering.
func get(addr string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(b), "hello from ")))
}

// gone waits until pid has exited (or is a zombie nobody reaps yet).
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d still runs after %v", pid, testTimeout)
		}
		time.Sleep(10 * time.Millisecond) // polling the process table
	}
}

// TestSIGHUPRestart: while clients hammer the port, SIGHUP hands the socket
// to a new process; answers come from the new pid, and no request fails
// and no connection is refused during the hand-over.
func TestSIGHUPRestart(t *testing.T) {
	bin := build(t)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := lines(stdout)
	addr, oldPid := listening(t, out)
	newPid := 0
	defer func() {
		cmd.Process.Kill()
		if newPid != 0 {
			syscall.Kill(newPid, syscall.SIGKILL)
		}
	}()

	var (
		mu     sync.Mutex
		byPid  = map[int]int{}
		failed []error
		done   atomic.Int64
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				pid, err := get(addr)
				mu.Lock()
				if err != nil {
					failed = append(failed, err)
				} else {
					byPid[pid]++
				}
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	waitCount := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(testTimeout)
		for !ok() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s: not within %v", what, testTimeout)
			}
			time.Sleep(time.Millisecond) // polling counters
		}
	}
	waitCount("500 requests before the restart", func() bool { return done.Load() >= 500 })
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	_, newPid = listening(t, out)
	if err := cmd.Wait(); err != nil { // the old process ends once its requests are done
		t.Errorf("the old process: %v", err)
	}
	after := done.Load()
	waitCount("500 requests after the old process exited", func() bool { return done.Load() >= after+500 })
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d requests: %v (old pid %d, new pid %d)", done.Load(), byPid, oldPid, newPid)
	if len(failed) > 0 {
		t.Errorf("%d requests failed during the hand-over; the first: %v", len(failed), failed[0])
	}
	if byPid[oldPid] == 0 || byPid[newPid] == 0 {
		t.Errorf("answers by pid %v, want both %d and %d", byPid, oldPid, newPid)
	}
	for pid := range byPid {
		if pid != oldPid && pid != newPid {
			t.Errorf("an answer from pid %d", pid)
		}
	}
	syscall.Kill(newPid, syscall.SIGTERM)
	gone(t, newPid)
}

// TestSocketActivation: started the way systemd starts a socket-activated
// service (LISTEN_PID, LISTEN_FDS=1, the socket as descriptor 3), the
// example serves the socket it was given.
func TestSocketActivation(t *testing.T) {
	bin := build(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// sh's exec keeps the shell's pid, so $$ is the example's pid. -addr is
	// the socket's own address: binding it anew would fail.
	cmd := exec.Command("/bin/sh", "-c", `export LISTEN_PID=$$; exec "$0" -addr "$1"`, bin, ln.Addr().String())
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{f}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr, pid := listening(t, lines(stdout))
	if addr != ln.Addr().String() || pid != cmd.Process.Pid {
		t.Errorf("listening on %s as pid %d, want %s as pid %d", addr, pid, ln.Addr(), cmd.Process.Pid)
	}
	ln.Close() // the example's copy of the socket is the only one now
	f.Close()
	got, err := get(addr)
	if err != nil || got != pid {
		t.Errorf("answer: pid %d, %v; want pid %d", got, err, pid)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("after SIGTERM: %v", err)
	}
}
