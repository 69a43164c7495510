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
