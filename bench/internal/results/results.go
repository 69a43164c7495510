// Package results reads the per-run rows that bench/run.sh records, reduces
// them to one row per peer and load (medians), and describes the loads, so
// that the report and chart commands agree on them.
package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Reference is the peer every other peer is compared with.
const Reference = "tinyhttp"

// Status values of a run or a row.
const (
	StatusOK     = "ok"     // measured, no errors
	StatusErrors = "errors" // measured, but the load saw errors
	StatusFailed = "failed" // the peer did not build, start or answer
)

// Kind tells which metrics a load produces.
type Kind int

// Kinds of load.
const (
	KindRequests Kind = iota // many small requests: req/s, latency, CPU per request
	KindIdle                 // idle connections held open: memory per connection
	KindFile                 // one large download: MB/s, CPU per download
	KindBusy                 // many keep-alive connections all cycling requests: memory per connection
)

// Memory reports whether loads of kind k are judged by memory per connection.
func (k Kind) Memory() bool { return k == KindIdle || k == KindBusy }

// Load describes one benchmark load.
type Load struct {
	Name  string // as in the runs file: "keepalive", "idle-10000", ...
	Title string // for tables and charts
	Kind  Kind
	Conns int // connections of a memory load named "<name>-<conns>"; 0 otherwise
}

// Loads lists the loads in the order they are run and shown. A memory load
// (idle, busy) is run at several connection counts and recorded as
// "<name>-<connections>" ("idle-1000"); LoadByName resolves those names.
var Loads = []Load{
	{"keepalive", "Keep-alive, 64 connections", KindRequests, 0},
	{"pipelined", "Pipelined ×16, 64 connections", KindRequests, 0},
	{"close", "Connection: close (new connection per request)", KindRequests, 0},
	{"sleep", "Pipelined ×16 on /sleep (1 ms handler)", KindRequests, 0},
	{"idle", "Idle keep-alive connections held open", KindIdle, 0},
	{"busy", "Busy keep-alive connections, all cycling requests", KindBusy, 0},
	{"file", "Large file download over one connection", KindFile, 0},
}

// LoadByName finds a load, also a memory load with its connection count
// ("busy-10000"); ok is false for an unknown name.
func LoadByName(name string) (Load, bool) {
	l, _, ok := loadByName(name)
	return l, ok
}

// loadByName is LoadByName that also returns the load's index in Loads.
func loadByName(name string) (Load, int, bool) {
	for i, l := range Loads {
		if l.Name == name {
			return l, i, true
		}
		if !l.Kind.Memory() {
			continue
		}
		rest, ok := strings.CutPrefix(name, l.Name+"-")
		if n, err := strconv.Atoi(rest); ok && err == nil && n > 0 {
			l.Name, l.Conns = name, n
			l.Title += ", " + thousands(n) + " connections"
			return l, i, true
		}
	}
	return Load{}, 0, false
}

// SortLoads orders load names as they are run and shown: by their place in
// Loads, then by connection count; unknown names go last, in name order.
func SortLoads(names []string) {
	slices.SortStableFunc(names, func(a, b string) int {
		la, ia, oka := loadByName(a)
		lb, ib, okb := loadByName(b)
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case !oka:
			return strings.Compare(a, b)
		case ia != ib:
			return ia - ib
		}
		return la.Conns - lb.Conns
	})
}

// thousands writes 10000 as 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Run is one measurement: one line of the runs file.
type Run struct {
	Peer       string
	Load       string
	Run        int     // 1-based; 0 for a failure row
	Status     string  // StatusOK, StatusErrors or StatusFailed
	ReqPerSec  float64 // requests per second (request loads)
	P50Us      float64 // median latency, µs
	P99Us      float64 // 99th percentile latency, µs
	Errors     int64   // non-2xx answers plus socket errors
	Requests   int64   // requests completed (idle: connections set up)
	CPUUs      float64 // server CPU time (user+system) during the run, µs
	RSSKiB     int64   // server VmRSS at the end of the run
	PeakRSSKiB int64   // server VmHWM at the end of the run
	BaseRSSKiB int64   // server VmRSS before the load (memory loads)
	MBPerSec   float64 // download throughput, 10^6 bytes per second (file)
	Open       int64   // connections open after set-up (idle), or cycling requests (busy)
	OtherCPU   float64 // % of the server's core busy with other processes during the run
	Note       string  // why a run failed, or anything odd
	MinPerConn int64   // busy: fewest requests any one connection completed
}

// Columns is the header line of the runs file, in Run's field order. Under
// a busy load, rss_kib is the median of VmRSS samples taken while every
// connection cycles requests, and req_per_sec their rate.
var Columns = []string{
	"peer", "load", "run", "status", "req_per_sec", "p50_us", "p99_us", "errors",
	"requests", "cpu_us", "rss_kib", "peak_rss_kib", "base_rss_kib", "mb_per_sec", "open", "other_cpu_pct", "note",
	"min_per_conn",
}

// required are the columns a runs file must have; the others may be
// missing (a file from an older run.sh) and then read as empty.
var required = []string{"peer", "load", "status"}

// ReadRuns parses a runs file: CSV whose header names its columns, among
// Columns, in any order. Unknown columns are ignored; empty or missing
// numeric fields read as zero.
func ReadRuns(r io.Reader) ([]Run, error) {
	cr := csv.NewReader(r)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("read runs: no header")
	}
	index := map[string]int{}
	for i, name := range recs[0] {
		index[name] = i
	}
	for _, name := range required {
		if _, ok := index[name]; !ok {
			return nil, fmt.Errorf("read runs: header %q lacks column %q", strings.Join(recs[0], ","), name)
		}
	}
	runs := make([]Run, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		field := func(name string) string {
			if j, ok := index[name]; ok && j < len(rec) {
				return rec[j]
			}
			return ""
		}
		run, err := parseRun(field)
		if err != nil {
			return nil, fmt.Errorf("read runs: line %d: %w", i+2, err)
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// fieldParser parses numeric fields and keeps the first error.
type fieldParser struct{ err error }

func (p *fieldParser) float(s string) float64 {
	if s == "" || p.err != nil {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.err = err
	}
	return v
}

func (p *fieldParser) int(s string) int64 {
	return int64(p.float(s))
}

// parseRun turns one CSV record, whose fields field returns by column
// name, into a Run.
func parseRun(field func(string) string) (Run, error) {
	var p fieldParser
	f := func(name string) float64 { return p.float(field(name)) }
	i := func(name string) int64 { return p.int(field(name)) }
	r := Run{
		Peer: field("peer"), Load: field("load"), Run: int(i("run")), Status: field("status"),
		ReqPerSec: f("req_per_sec"), P50Us: f("p50_us"), P99Us: f("p99_us"),
		Errors: i("errors"), Requests: i("requests"), CPUUs: f("cpu_us"),
		RSSKiB: i("rss_kib"), PeakRSSKiB: i("peak_rss_kib"), BaseRSSKiB: i("base_rss_kib"),
		MBPerSec: f("mb_per_sec"), Open: i("open"), OtherCPU: f("other_cpu_pct"), Note: field("note"),
		MinPerConn: i("min_per_conn"),
	}
	return r, p.err
}
