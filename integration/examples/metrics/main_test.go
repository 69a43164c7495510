package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/google/pprof/profile"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// testTimeout bounds every request: a hang fails the test.
const testTimeout = 20 * time.Second

// start serves the example's Handler on a loopback port.
func start(t *testing.T) string {
	t.Helper()
	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.ServeHandler(workers, Handler(s)) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		http.DefaultClient.CloseIdleConnections()
		s.Shutdown(ctx)
		<-done
	})
	return "http://" + s.Addr().String()
}

var client = &http.Client{Timeout: testTimeout}

// scrape fetches /metrics and parses the text format.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	res, err := client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			default:
				out[key] = 1 // summaries and histograms: present
			}
		}
	}
	return out
}

// TestMetrics: the scrape parses, has tinyhttp's and the runtime's
// metrics, and the request counter counts the requests in between.
func TestMetrics(t *testing.T) {
	base := start(t)
	first := scrape(t, base)
	for _, name := range []string{"tinyhttp_requests_total", "tinyhttp_connections_open", "tinyhttp_responses_total{class=2xx}",
		"tinyhttp_rejected_total{status=431}", "go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := first[name]; !ok {
			t.Errorf("%s is missing from the scrape", name)
		}
	}
	const n = 25
	for range n {
		res, err := client.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	second := scrape(t, base)
	// The first scrape and the n hellos come between the two readings.
	if got := second["tinyhttp_requests_total"] - first["tinyhttp_requests_total"]; got != n+1 {
		t.Errorf("requests_total grew by %v, want %d", got, n+1)
	}
	if second["tinyhttp_responses_total{class=2xx}"] < n {
		t.Errorf("2xx responses: %v, want at least %d", second["tinyhttp_responses_total{class=2xx}"], n)
	}
}

// TestPprof: a one-second CPU profile through the example parses, and the
// goroutine listing is there.
func TestPprof(t *testing.T) {
	base := start(t)
	res, err := client.Get(base + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p, err := profile.Parse(res.Body)
	if err != nil {
		t.Fatalf("parsing the CPU profile: %v", err)
	}
	if len(p.SampleType) == 0 || p.DurationNanos < int64(500*time.Millisecond) {
		t.Errorf("profile: %d sample types, %v long", len(p.SampleType), time.Duration(p.DurationNanos))
	}
	res2, err := client.Get(base + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	b, _ := io.ReadAll(res2.Body)
	if res2.StatusCode != 200 || !strings.Contains(string(b), "goroutine profile:") {
		t.Errorf("goroutine listing: %d %.80q", res2.StatusCode, b)
	}
}
