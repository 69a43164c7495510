// Command restart serves "hello from PID" and restarts without dropping a
// connection, in either of two ways.
//
// Re-exec on SIGHUP: the process starts a new copy of itself, hands it the
// listening socket (os/exec ExtraFiles, its number in RESTART_LISTEN_FD),
// waits until the copy serves, then shuts down gracefully: requests in
// flight finish, and connections that arrive meanwhile wait in the socket's
// queue, which both processes share, so none is refused.
//
//	go build -o /tmp/restart ./examples/restart && /tmp/restart -addr 127.0.0.1:8000 &
//	curl http://127.0.0.1:8000/     # hello from 1234
//	kill -HUP %1                    # a new process takes over
//	curl http://127.0.0.1:8000/     # hello from 1240
//
// systemd socket activation: under a .socket unit (ListenStream=8000) the
// process serves the socket systemd passes (LISTEN_FDS), and
// "systemctl restart" is the zero-downtime restart, since systemd keeps the
// socket open while the service restarts. See the README, "Running several
// processes and restarting without downtime".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// Variables a process passes to the copy it starts: the numbers of the
// listening socket and of the pipe the copy closes once it serves.
const (
	listenFDEnv = "RESTART_LISTEN_FD"
	readyFDEnv  = "RESTART_READY_FD"
)

// Timeouts: how long the new copy may take to start serving (it is a
// freshly started program: a second is plenty, ten is generous), and how
// long requests in flight may take to finish on the way out.
const (
	readyTimeout    = 10 * time.Second
	shutdownTimeout = 30 * time.Second
)

// workers is how many goroutines answer requests.
const workers = 4

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on, unless a socket is passed")
	flag.Parse()
	if err := run(*addr); err != nil {
		log.Fatal(err)
	}
}

func run(addr string) error {
	ln, err := listener(addr)
	if err != nil {
		return err
	}
	s, err := tinyhttp.NewServerFromListener(ln, tinyhttp.ServerConfig{})
	if err != nil {
		return err
	}
	pid := strconv.Itoa(os.Getpid())
	go s.Serve(workers, func(r *tinyhttp.Request) {
		r.Respond(tinyhttp.FromString("hello from " + pid + "\n"))
	})
	// Signals are caught before anyone is told that the process serves: a
	// SIGTERM right after must be a graceful stop, not the default death.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
	fmt.Printf("listening on http://%s/ (pid %s)\n", s.Addr(), pid)
	signalReady()
	for s := range sig {
		if s != syscall.SIGHUP {
			break
		}
		if err := handOver(ln); err != nil {
			log.Printf("restart failed, serving on: %v", err)
			continue
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}

// listener returns the socket systemd passed, the one the previous process
// passed, or a new one on addr.
func listener(addr string) (net.Listener, error) {
	lns, err := tinyhttp.ListenersFromEnv()
	if err != nil {
		return nil, err
	}
	if len(lns) > 0 {
		for _, extra := range lns[1:] {
			extra.Close() // this example serves one socket
		}
		return lns[0], nil
	}
	if v := os.Getenv(listenFDEnv); v != "" {
		os.Unsetenv(listenFDEnv)
		fd, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", listenFDEnv, v, err)
		}
		f := os.NewFile(uintptr(fd), "listener")
		defer f.Close() // FileListener holds a duplicate
		return net.FileListener(f)
	}
	return net.Listen("tcp", addr)
}

// signalReady writes a byte to the pipe the previous process waits on, if
// any, and closes it.
func signalReady() {
	v := os.Getenv(readyFDEnv)
	os.Unsetenv(readyFDEnv)
	if fd, err := strconv.Atoi(v); err == nil {
		f := os.NewFile(uintptr(fd), "ready")
		f.Write([]byte{1})
		f.Close()
	}
}

// handOver starts a copy of this program with the listening socket and
// waits until it serves (it writes to the ready pipe) or dies.
func handOver(ln net.Listener) error {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return errors.New("not a TCP listener")
	}
	lnFile, err := tl.File() // a duplicate: the socket stays open here too
	if err != nil {
		return err
	}
	defer lnFile.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{lnFile, readyW} // descriptors 3 and 4
	cmd.Env = append(os.Environ(), listenFDEnv+"=3", readyFDEnv+"=4")
	err = cmd.Start()
	readyW.Close() // the copy holds the only write end now
	if err != nil {
		return err
	}
	go cmd.Wait() // the copy outlives this process; reap it if it dies first
	readyR.SetReadDeadline(time.Now().Add(readyTimeout))
	if _, err := io.ReadFull(readyR, make([]byte, 1)); err != nil { // EOF: it died
		cmd.Process.Kill()
		return fmt.Errorf("the new process did not start serving: %w", err)
	}
	return nil
}
