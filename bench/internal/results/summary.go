package results

import (
	"slices"
	"sort"
)

// Row is one peer under one load: the median of its runs.
type Row struct {
	Peer   string `json:"peer"`
	Load   string `json:"load"`
	Status string `json:"status"`
	Runs   int    `json:"runs"`
	Note   string `json:"note,omitempty"`

	ReqPerSec   float64 `json:"req_per_sec,omitempty"`
	P50Ms       float64 `json:"p50_ms,omitempty"`
	P99Ms       float64 `json:"p99_ms,omitempty"`
	Errors      int64   `json:"errors"`                      // summed over runs; must be 0
	CPUUsPerReq float64 `json:"cpu_us_per_req,omitempty"`    // request loads: server CPU per request
	CPUMs       float64 `json:"cpu_ms,omitempty"`            // file: server CPU per download
	PeakRSSMiB  float64 `json:"peak_rss_mib,omitempty"`      // largest VmHWM over the runs
	MBPerSec    float64 `json:"mb_per_sec,omitempty"`        // file
	IdleOpen    int64   `json:"idle_open,omitempty"`         // memory loads: connections held open (idle) or cycling (busy)
	IdleRSSMiB  float64 `json:"idle_rss_mib,omitempty"`      // memory loads: VmRSS with them open (busy: median sample while cycling)
	KiBPerConn  float64 `json:"kib_per_conn,omitempty"`      // memory loads: (VmRSS - RSS before) / connections
	PeakKiBConn float64 `json:"peak_kib_per_conn,omitempty"` // memory loads: (VmHWM - RSS before) / connections
	MinPerConn  int64   `json:"min_per_conn,omitempty"`      // busy: fewest requests one connection completed, over the runs
	OtherCPU    float64 `json:"other_cpu_pct"`               // largest share of the server's core other processes took in a run
}

// Ratio compares the reference peer with another peer under one load:
// Value is reference ÷ peer for the load's headline metric (req/s, MB/s or
// KiB per connection), CPU is reference ÷ peer for server CPU per
// request/download, Peak reference ÷ peer for peak KiB per connection.
type Ratio struct {
	Load   string  `json:"load"`
	Peer   string  `json:"peer"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	CPU    float64 `json:"cpu,omitempty"`
	Peak   float64 `json:"peak,omitempty"`
}

// Summarize reduces runs to one row per peer and load, in Loads order (see
// SortLoads) and then in the order peers first appear. Runs of a load
// LoadByName does not know are left out.
func Summarize(runs []Run) []Row {
	var peers, loads []string
	groups := map[[2]string][]Run{}
	for _, r := range runs {
		if !slices.Contains(peers, r.Peer) {
			peers = append(peers, r.Peer)
		}
		if !slices.Contains(loads, r.Load) {
			loads = append(loads, r.Load)
		}
		k := [2]string{r.Peer, r.Load}
		groups[k] = append(groups[k], r)
	}
	SortLoads(loads)
	var rows []Row
	for _, name := range loads {
		l, ok := LoadByName(name)
		if !ok {
			continue
		}
		for _, p := range peers {
			if g, ok := groups[[2]string{p, name}]; ok {
				rows = append(rows, summarize(l, g))
			}
		}
	}
	return rows
}

// summarize reduces the runs of one peer under one load.
func summarize(l Load, runs []Run) Row {
	row := Row{Peer: runs[0].Peer, Load: l.Name, Status: StatusFailed}
	var ok []Run
	for _, r := range runs {
		row.Errors += r.Errors
		if r.Note != "" && row.Note == "" {
			row.Note = r.Note
		}
		if r.Status != StatusFailed {
			ok = append(ok, r)
		}
	}
	row.Runs = len(ok)
	if len(ok) == 0 {
		return row
	}
	row.Status = StatusOK
	if row.Errors > 0 {
		row.Status = StatusErrors
	}
	fillMetrics(&row, l, ok)
	return row
}

// fillMetrics sets the medians that load l reports.
func fillMetrics(row *Row, l Load, runs []Run) {
	row.PeakRSSMiB = kibToMiB(maxOf(runs, func(r Run) float64 { return float64(r.PeakRSSKiB) }))
	row.OtherCPU = maxOf(runs, func(r Run) float64 { return r.OtherCPU })
	switch l.Kind {
	case KindRequests:
		row.ReqPerSec = median(runs, func(r Run) float64 { return r.ReqPerSec })
		// wrk reports 0 when it has no percentile (see bench/README.md).
		measured := positive(runs, func(r Run) float64 { return r.P50Us })
		if len(measured) > 0 {
			row.P50Ms = median(measured, func(r Run) float64 { return r.P50Us }) / 1000
			row.P99Ms = median(measured, func(r Run) float64 { return r.P99Us }) / 1000
		}
		row.CPUUsPerReq = median(runs, perRequest)
	case KindIdle, KindBusy:
		row.IdleOpen = int64(median(runs, func(r Run) float64 { return float64(r.Open) }))
		row.IdleRSSMiB = kibToMiB(median(runs, func(r Run) float64 { return float64(r.RSSKiB) }))
		row.KiBPerConn = median(runs, perConn)
		row.PeakKiBConn = median(runs, peakPerConn)
		if l.Kind == KindBusy {
			row.ReqPerSec = median(runs, func(r Run) float64 { return r.ReqPerSec })
			row.MinPerConn = minOf(runs, func(r Run) int64 { return r.MinPerConn })
		}
	case KindFile:
		row.MBPerSec = median(runs, func(r Run) float64 { return r.MBPerSec })
		row.CPUMs = median(runs, perRequest) / 1000
	}
}

// perRequest is the server CPU time per completed request, µs.
func perRequest(r Run) float64 {
	if r.Requests == 0 {
		return 0
	}
	return r.CPUUs / float64(r.Requests)
}

// perConn is the server memory each open idle connection costs, KiB.
func perConn(r Run) float64 {
	if r.Open == 0 {
		return 0
	}
	return float64(r.RSSKiB-r.BaseRSSKiB) / float64(r.Open)
}

// peakPerConn is the server's peak memory (VmHWM) above the RSS before,
// per open connection, KiB.
func peakPerConn(r Run) float64 {
	if r.Open == 0 {
		return 0
	}
	return float64(r.PeakRSSKiB-r.BaseRSSKiB) / float64(r.Open)
}

func kibToMiB(k float64) float64 { return k / 1024 }

// positive returns the runs where f is above zero.
func positive(runs []Run, f func(Run) float64) []Run {
	var out []Run
	for _, r := range runs {
		if f(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// median of f over runs (the mean of the middle two for an even count).
func median(runs []Run, f func(Run) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// minOf f over runs (which are never empty here).
func minOf(runs []Run, f func(Run) int64) int64 {
	m := f(runs[0])
	for _, r := range runs[1:] {
		m = min(m, f(r))
	}
	return m
}

// maxOf f over runs.
func maxOf(runs []Run, f func(Run) float64) float64 {
	m := 0.0
	for _, r := range runs {
		m = max(m, f(r))
	}
	return m
}

// Headline is the metric a load is judged by and its value in row; higher
// is better unless lowerBetter.
func Headline(l Load, row Row) (metric string, value float64, lowerBetter bool) {
	switch l.Kind {
	case KindIdle, KindBusy:
		return "kib_per_conn", row.KiBPerConn, true
	case KindFile:
		return "mb_per_sec", row.MBPerSec, false
	default:
		return "req_per_sec", row.ReqPerSec, false
	}
}

// cpu is a row's server CPU cost for its load; 0 for the memory loads.
func cpu(l Load, row Row) float64 {
	switch {
	case l.Kind == KindFile:
		return row.CPUMs
	case l.Kind.Memory():
		return 0
	}
	return row.CPUUsPerReq
}

// Ratios compares the Reference peer with every other peer, load by load,
// where both were measured.
func Ratios(rows []Row) []Ratio {
	find := func(peer, load string) (Row, bool) {
		for _, r := range rows {
			if r.Peer == peer && r.Load == load && r.Status != StatusFailed {
				return r, true
			}
		}
		return Row{}, false
	}
	var out []Ratio
	for _, r := range rows {
		l, _ := LoadByName(r.Load)
		ref, ok := find(Reference, r.Load)
		if r.Peer == Reference || r.Status == StatusFailed || !ok {
			continue
		}
		metric, refV, _ := Headline(l, ref)
		_, v, _ := Headline(l, r)
		out = append(out, Ratio{Load: r.Load, Peer: r.Peer, Metric: metric, Value: div(refV, v),
			CPU: div(cpu(l, ref), cpu(l, r)), Peak: div(ref.PeakKiBConn, r.PeakKiBConn)})
	}
	return out
}

// div is a/b, or 0 when b is 0.
func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
