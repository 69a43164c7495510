// Package results reads the per-run rows that bench/run.sh records, reduces
// them to one row per peer and load (medians), and describes the loads, so
// that the report and chart commands agree on them.
package results

import (
	"encoding/csv"
	"fmt"
	"io"
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
)

// Load describes one benchmark load.
type Load struct {
	Name  string // as in the runs file: "keepalive", "pipelined", ...
	Title string // for tables and charts
	Kind  Kind
}

// Loads lists the loads in the order they are run and shown.
var Loads = []Load{
	{"keepalive", "Keep-alive, 64 connections", KindRequests},
	{"pipelined", "Pipelined ×16, 64 connections", KindRequests},
	{"close", "Connection: close (new connection per request)", KindRequests},
	{"sleep", "Pipelined ×16 on /sleep (1 ms handler)", KindRequests},
	{"idle", "Idle keep-alive connections held open", KindIdle},
	{"file", "Large file download over one connection", KindFile},
}

// LoadByName finds a load; ok is false for an unknown name.
func LoadByName(name string) (Load, bool) {
	for _, l := range Loads {
		if l.Name == name {
			return l, true
		}
	}
	return Load{}, false
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
	BaseRSSKiB int64   // server VmRSS before the load (idle)
	MBPerSec   float64 // download throughput, 10^6 bytes per second (file)
	Open       int64   // connections still open after set-up (idle)
	OtherCPU   float64 // % of the server's core busy with other processes during the run
	Note       string  // why a run failed, or anything odd
}

// Columns is the header line of the runs file, in Run's field order.
var Columns = []string{
	"peer", "load", "run", "status", "req_per_sec", "p50_us", "p99_us", "errors",
	"requests", "cpu_us", "rss_kib", "peak_rss_kib", "base_rss_kib", "mb_per_sec", "open", "other_cpu_pct", "note",
}

// ReadRuns parses a runs file (CSV with the Columns header). Empty numeric
// fields read as zero.
func ReadRuns(r io.Reader) ([]Run, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(Columns)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(Columns, ",") {
		return nil, fmt.Errorf("read runs: header is not %q", strings.Join(Columns, ","))
	}
	runs := make([]Run, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		run, err := parseRun(rec)
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

// parseRun turns one CSV record into a Run.
func parseRun(rec []string) (Run, error) {
	var p fieldParser
	r := Run{
		Peer: rec[0], Load: rec[1], Run: int(p.int(rec[2])), Status: rec[3],
		ReqPerSec: p.float(rec[4]), P50Us: p.float(rec[5]), P99Us: p.float(rec[6]),
		Errors: p.int(rec[7]), Requests: p.int(rec[8]), CPUUs: p.float(rec[9]),
		RSSKiB: p.int(rec[10]), PeakRSSKiB: p.int(rec[11]), BaseRSSKiB: p.int(rec[12]),
		MBPerSec: p.float(rec[13]), Open: p.int(rec[14]), OtherCPU: p.float(rec[15]), Note: rec[16],
	}
	return r, p.err
}
