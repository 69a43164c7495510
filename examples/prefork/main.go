// Command prefork runs N processes on one port with ServerConfig.ReusePort:
// the kernel spreads the connections between them. The parent starts the
// children (re-executions of itself, told apart by PREFORK_CHILD), restarts
// a child that dies (waiting longer each time it dies young), and on SIGTERM
// or SIGINT asks every child to shut down gracefully and exits once they
// are done. Each child answers "hello from PID".
//
//	go build -o /tmp/prefork ./examples/prefork && /tmp/prefork -addr 127.0.0.1:8000 -n 4
//	for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1:8000/; done   # several pids
//
// Each child tells the parent, through a pipe, that it listens: the first
// child binds -addr (port 0 lets the kernel pick one) and the others, and
// any restarted child, join its port.
//
// On Linux, set net.ipv4.tcp_migrate_req=1 so that the connections queued
// on a child that stops move to the others instead of being reset (see the
// README, "Running several processes and restarting without downtime").
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// childEnv marks a child process.
const childEnv = "PREFORK_CHILD"

// Restart back-off: a child that dies within healthyAfter of its start is
// restarted after a delay that doubles from minBackoff to maxBackoff, so a
// child that cannot start does not spin; one that ran longer is restarted
// at once.
const (
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 10 * time.Second
	healthyAfter = 10 * time.Second
)

// shutdownTimeout bounds a child's graceful shutdown.
const shutdownTimeout = 30 * time.Second

// workers is how many goroutines answer requests in each child.
const workers = 4

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on (host:port; port 0 picks one)")
	n := flag.Int("n", 2, "number of child processes")
	flag.Parse()
	var err error
	if os.Getenv(childEnv) != "" {
		err = child(*addr)
	} else {
		err = parent(*addr, *n)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// child serves on addr, sharing the port, until SIGTERM or SIGINT. Once it
// listens it writes its address to the parent's readiness pipe (fd 3).
func child(addr string) error {
	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: addr, ReusePort: true})
	if err != nil {
		return err
	}
	pid := strconv.Itoa(os.Getpid())
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(workers, func(r *tinyhttp.Request) {
			r.Respond(tinyhttp.FromString("hello from " + pid + "\n"))
		})
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	if ready := os.NewFile(readyFD, "ready"); ready != nil {
		fmt.Fprintln(ready, s.Addr())
		ready.Close()
	}
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = s.Shutdown(ctx)
	<-served
	return err
}

// readyFD is the child's end of its readiness pipe: the first of
// exec.Cmd.ExtraFiles.
const readyFD = 3

// parent runs n children on addr until SIGTERM or SIGINT. The first child
// binds addr (port 0 lets the kernel pick); the others join its port.
func parent(addr string, n int) error {
	if n < 1 {
		return fmt.Errorf("-n %d: want at least one child", n)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	var wg sync.WaitGroup
	defer wg.Wait() // runs last: every supervisor stops its child gracefully
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // runs first: tells the supervisors to stop
	for i := range n {
		ready := make(chan string, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			supervise(ctx, i, addr, ready)
		}()
		select {
		case addr = <-ready:
		case <-stop:
			return nil
		}
	}
	fmt.Printf("listening on http://%s/ (%d processes, parent pid %d)\n", addr, n, os.Getpid())
	<-stop
	return nil
}

// supervise keeps child number i running on addr until ctx ends, then
// stops it gracefully. It sends the address on ready once the first child
// listens; a child that cannot start is retried with back-off.
func supervise(ctx context.Context, i int, addr string, ready chan<- string) {
	backoff := minBackoff
	for {
		begun := time.Now()
		cmd, listening, err := startChild(i, addr)
		if err != nil {
			log.Printf("child %d: %v", i, err)
		} else {
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			for waiting := true; waiting; {
				select {
				case a, ok := <-listening:
					if ok && ready != nil {
						ready <- a
						ready = nil
						addr = a // a restarted child joins the same port
					}
					listening = nil
				case <-ctx.Done():
					cmd.Process.Signal(syscall.SIGTERM)
					<-exited
					return
				case err := <-exited:
					log.Printf("child %d (pid %d) exited: %v", i, cmd.Process.Pid, err)
					waiting = false
				}
			}
		}
		if time.Since(begun) >= healthyAfter {
			backoff = minBackoff
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// startChild starts child number i on addr with a readiness pipe; the
// channel yields the address it listens on (and is closed without one if
// it dies first).
func startChild(i int, addr string) (*exec.Cmd, chan string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Args = append(cmd.Args, "-addr", addr) // the last -addr wins
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(i))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close() // the child holds its own copy
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	listening := make(chan string, 1)
	go func() {
		defer r.Close()
		defer close(listening)
		line, err := bufio.NewReader(r).ReadString('\n')
		if err == nil {
			listening <- strings.TrimSpace(line)
		}
	}()
	return cmd, listening, nil
}
