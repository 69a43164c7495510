// Package peer holds what the benchmark's hello-world servers share: their
// command-line options and the answer they all give.
package peer

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Hello is the body every peer sends for any path other than /sleep and /file.
const Hello = "hello world"

// ContentType is the Content-Type of the hello answer: the one tiny-http's
// from_string and tinyhttp's FromString send, so every peer's answer has
// the same size.
const ContentType = "text/plain; charset=UTF-8"

// SleepPath is the path whose handler sleeps SleepFor before answering.
const SleepPath = "/sleep"

// FilePath is the path that serves the file given by -file.
const FilePath = "/file"

// SleepFor is how long the /sleep handler sleeps: 1 ms stands for a handler
// that waits on something (a database, a disk) rather than the CPU.
const SleepFor = time.Millisecond

// DefaultWorkers is how many goroutines or threads pull requests in the
// pull-model peers (tinyhttp and Rust tiny-http).
const DefaultWorkers = 4

// Options are the command-line options every peer takes.
type Options struct {
	Port    int    // TCP port on 127.0.0.1
	File    string // file served at /file; empty: /file answers 404
	Workers int    // request-pulling workers, where the peer has them
	H2C     bool   // also serve cleartext HTTP/2 with prior knowledge, where the peer can
	// BufferGrace is tinyhttp's ServerConfig.BufferGrace (0: the library's
	// default), for bench/callgrind.sh, whose servers run some 50 times
	// slower than at full speed.
	BufferGrace time.Duration
}

// Addr is the listen address: 127.0.0.1 and the port.
func (o Options) Addr() string { return "127.0.0.1:" + strconv.Itoa(o.Port) }

// Parse reads -port, -file, -workers, -h2c and -grace from os.Args; a bare
// argument is taken as the port. It exits with status 2 on a bad argument.
// With -h2c, SIGTERM reports the run's allocations (ReportMallocsOnTerm),
// which bench/h2load.sh divides by the requests.
func Parse(name string) Options {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	o := Options{}
	fs.IntVar(&o.Port, "port", 8080, "TCP port to listen on (127.0.0.1)")
	fs.StringVar(&o.File, "file", "", "file served at "+FilePath)
	fs.IntVar(&o.Workers, "workers", DefaultWorkers, "request-pulling workers (pull-model peers)")
	fs.BoolVar(&o.H2C, "h2c", false, "also serve cleartext HTTP/2 with prior knowledge (tinyhttp, tinyhttp-handler, nethttp)")
	fs.DurationVar(&o.BufferGrace, "grace", 0, "how long a waiting connection keeps its read buffer (tinyhttp, tinyhttp-handler: ServerConfig.BufferGrace); 0: the library's default")
	_ = fs.Parse(os.Args[1:]) // ExitOnError: Parse exits by itself.
	if fs.NArg() > 1 {
		usage(name, "too many arguments")
	}
	if fs.NArg() == 1 {
		p, err := strconv.Atoi(fs.Arg(0))
		if err != nil {
			usage(name, "bad port "+strconv.Quote(fs.Arg(0)))
		}
		o.Port = p
	}
	if o.Port < 0 || o.Port > 65535 || o.Workers < 1 {
		usage(name, "port must be 0..65535 and workers at least 1")
	}
	if o.H2C {
		ReportMallocsOnTerm(name)
	}
	return o
}

// usage prints msg and the usage line, then exits with status 2.
func usage(name, msg string) {
	fmt.Fprintf(os.Stderr, "%s: %s\nusage: %s [-port PORT] [-file PATH] [-workers N] [-h2c] [PORT]\n", name, msg, name)
	os.Exit(2)
}

// Fatal prints the error and exits with status 1.
func Fatal(name string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	os.Exit(1)
}

// ReportMallocsOnTerm makes SIGTERM print "mallocs=N" (the heap
// allocations of the whole run, runtime.MemStats.Mallocs) to stderr and
// exit 0, so that a script can divide by the requests served.
func ReportMallocsOnTerm(name string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(os.Stderr, "%s: mallocs=%d\n", name, m.Mallocs)
		os.Exit(0)
	}()
}
