package results

import (
	"strings"
	"testing"
)

const sampleRuns = `peer,load,run,status,req_per_sec,p50_us,p99_us,errors,requests,cpu_us,rss_kib,peak_rss_kib,base_rss_kib,mb_per_sec,open,other_cpu_pct,note
tinyhttp,keepalive,1,ok,100,1000,3000,0,1000,10000,5000,6000,,,,1.5,
tinyhttp,keepalive,2,ok,300,2000,5000,0,3000,30000,5000,7000,,,,2.5,
tinyhttp,keepalive,3,ok,200,0,0,0,2000,20000,5000,6500,,,,0.5,
nethttp,keepalive,1,ok,50,1000,2000,0,500,10000,9000,9000,,,,0,
nethttp,idle,1,errors,,,,3,997,,20480,20480,1024,,997,,short
rust,keepalive,0,failed,,,,,,,,,,,,,build failed
`

func TestSummarize(t *testing.T) {
	runs, err := ReadRuns(strings.NewReader(sampleRuns))
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(nil, runs)
	ka := rep.RowsOf("keepalive")
	if len(ka) != 3 {
		t.Fatalf("keepalive rows = %d, want 3", len(ka))
	}
	ti := ka[0]
	if ti.Peer != "tinyhttp" || ti.ReqPerSec != 200 || ti.Runs != 3 || ti.Status != StatusOK {
		t.Errorf("tinyhttp row = %+v", ti)
	}
	// The run without percentiles (wrk gave 0) is left out of the latency median.
	if ti.P50Ms != 1.5 || ti.P99Ms != 4 {
		t.Errorf("latency = %v/%v ms, want 1.5/4", ti.P50Ms, ti.P99Ms)
	}
	if ti.CPUUsPerReq != 10 || ti.OtherCPU != 2.5 || ti.PeakRSSMiB != 7000.0/1024 {
		t.Errorf("cpu/other/peak = %v/%v/%v", ti.CPUUsPerReq, ti.OtherCPU, ti.PeakRSSMiB)
	}
	if ka[2].Status != StatusFailed || ka[2].Note != "build failed" {
		t.Errorf("failed row = %+v", ka[2])
	}
	idle := rep.RowsOf("idle")[0]
	if idle.Status != StatusErrors || idle.IdleOpen != 997 || idle.KiBPerConn != float64(20480-1024)/997 {
		t.Errorf("idle row = %+v", idle)
	}
	q, ok := rep.RatioOf("keepalive", "nethttp")
	if !ok || q.Value != 4 || q.CPU != 0.5 {
		t.Errorf("ratio = %+v, %v; want 4× req/s, 0.5× CPU", q, ok)
	}
	if _, ok := rep.RatioOf("keepalive", "rust"); ok {
		t.Error("a failed peer has no ratio")
	}
}

func TestReadRunsRejectsWrongHeader(t *testing.T) {
	if _, err := ReadRuns(strings.NewReader("a,b\n")); err == nil {
		t.Fatal("want an error for a wrong header")
	}
}

func TestMarkdownShowsFailures(t *testing.T) {
	runs, err := ReadRuns(strings.NewReader(sampleRuns))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := NewReport(map[string]string{"machine": "2 cores"}, runs).WriteMarkdown(&b, "latest.svg"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| rust | failed [1] |", "1. rust: build failed", "![", "**machine**: 2 cores", "4.00× (CPU 0.50×)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

// memoryRuns has the memory loads at two connection counts, in the column
// order of an older run.sh plus min_per_conn, shuffled.
const memoryRuns = `load,peer,run,status,requests,rss_kib,peak_rss_kib,base_rss_kib,open,errors,req_per_sec,min_per_conn,note
busy-1000,tinyhttp,1,ok,50000,12000,14000,2000,1000,0,10000,40,
busy-1000,tinyhttp,2,ok,50000,13000,15000,2000,1000,0,10000,30,
busy-1000,nethttp,1,ok,40000,42000,52000,2000,1000,0,8000,20,
idle-10000,tinyhttp,1,ok,10000,92000,100000,2000,10000,0,,,
idle-10000,nethttp,1,ok,10000,182000,202000,2000,10000,0,,,
idle-1000,tinyhttp,1,ok,1000,11000,12000,2000,1000,0,,,
`

func TestMemoryLoads(t *testing.T) {
	runs, err := ReadRuns(strings.NewReader(memoryRuns))
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(nil, runs)
	var names []string
	for _, l := range rep.Loads() {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, " "); got != "idle-1000 idle-10000 busy-1000" {
		t.Errorf("loads = %q, want idle-1000 idle-10000 busy-1000", got)
	}
	l, ok := LoadByName("idle-10000")
	if !ok || l.Kind != KindIdle || l.Conns != 10000 || !strings.HasSuffix(l.Title, ", 10,000 connections") {
		t.Errorf("LoadByName(idle-10000) = %+v, %v", l, ok)
	}
	for _, bad := range []string{"idle-", "idle-x", "idle-0", "keepalive-10", "busy10"} {
		if _, ok := LoadByName(bad); ok {
			t.Errorf("LoadByName(%q) is ok", bad)
		}
	}
	busy := rep.RowsOf("busy-1000")[0]
	// RSS median 12500, peak median 14500, both minus 2000, over 1000 connections.
	if busy.KiBPerConn != 10.5 || busy.PeakKiBConn != 12.5 || busy.MinPerConn != 30 || busy.ReqPerSec != 10000 {
		t.Errorf("busy row = %+v", busy)
	}
	q, ok := rep.RatioOf("busy-1000", "nethttp")
	if !ok || q.Metric != "kib_per_conn" || q.Value != 10.5/40 || q.Peak != 12.5/50 || q.CPU != 0 {
		t.Errorf("busy ratio = %+v, %v", q, ok)
	}
	q, ok = rep.RatioOf("idle-10000", "nethttp")
	if !ok || q.Value != 9.0/18 {
		t.Errorf("idle ratio = %+v, %v", q, ok)
	}
	var b strings.Builder
	if err := rep.WriteMarkdown(&b, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Busy keep-alive connections, all cycling requests, 1,000 connections",
		"| nethttp | ok | 1000 | 8000 | 20 | 0 | 41.0 | 40.0 | 50.0 | 50.8 | — | 0.26× (peak 0.25×) |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
