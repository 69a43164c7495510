// Command metrics serves tinyhttp's Server.Stats and the Go runtime's
// metrics in the Prometheus text format at /metrics, and net/http/pprof at
// /debug/pprof/, all through ServeHandler: the observability a production
// server needs, from handlers written for net/http.
//
//	cd integration && go run ./examples/metrics -addr 127.0.0.1:9100
//	curl -s http://127.0.0.1:9100/metrics | grep tinyhttp_
//	go tool pprof http://127.0.0.1:9100/debug/pprof/profile?seconds=5
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/pprof"

	"github.com/c0c8f223/tinyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// workers is how many goroutines run the handlers.
const workers = 8

func main() {
	addr := flag.String("addr", "127.0.0.1:9100", "address to listen on")
	flag.Parse()
	s, err := tinyhttp.NewServer(tinyhttp.ServerConfig{Addr: *addr})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("metrics on http://%s/metrics, profiles on http://%s/debug/pprof/\n", s.Addr(), s.Addr())
	log.Fatal(s.ServeHandler(workers, Handler(s)))
}

// Handler is the example's mux: /metrics, /debug/pprof/ and a hello at /.
func Handler(s *tinyhttp.Server) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewStatsCollector(s),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	return mux
}

// statsMetric is one field of tinyhttp.Stats as a Prometheus metric.
type statsMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*tinyhttp.Stats) float64
}

// StatsCollector exports a server's Stats, taken once per scrape.
type StatsCollector struct {
	s       *tinyhttp.Server
	metrics []statsMetric
}

// NewStatsCollector returns a collector of s's Stats: counters for what
// only grows, gauges for what is open or queued now; responses carry a
// class label, rejections a status label.
func NewStatsCollector(s *tinyhttp.Server) *StatsCollector {
	c := &StatsCollector{s: s}
	counter := func(name, help string, v func(*tinyhttp.Stats) uint64) {
		c.metrics = append(c.metrics, statsMetric{prometheus.NewDesc("tinyhttp_"+name, help, nil, nil), prometheus.CounterValue,
			func(st *tinyhttp.Stats) float64 { return float64(v(st)) }})
	}
	gauge := func(name, help string, v func(*tinyhttp.Stats) int64) {
		c.metrics = append(c.metrics, statsMetric{prometheus.NewDesc("tinyhttp_"+name, help, nil, nil), prometheus.GaugeValue,
			func(st *tinyhttp.Stats) float64 { return float64(v(st)) }})
	}
	labelled := func(name, help, label, value string, v func(*tinyhttp.Stats) uint64) {
		c.metrics = append(c.metrics, statsMetric{prometheus.NewDesc("tinyhttp_"+name, help, nil, prometheus.Labels{label: value}), prometheus.CounterValue,
			func(st *tinyhttp.Stats) float64 { return float64(v(st)) }})
	}
	counter("connections_accepted_total", "Connections accepted.", func(s *tinyhttp.Stats) uint64 { return s.ConnectionsAccepted })
	gauge("connections_open", "Connections open now.", func(s *tinyhttp.Stats) int64 { return s.ConnectionsOpen })
	gauge("connections_idle", "Keep-alive connections idle now.", func(s *tinyhttp.Stats) int64 { return s.ConnectionsIdle })
	gauge("connections_upgraded", "Upgraded or hijacked connections open now.", func(s *tinyhttp.Stats) int64 { return s.ConnectionsUpgraded })
	counter("http2_connections_total", "Connections served as HTTP/2.", func(s *tinyhttp.Stats) uint64 { return s.HTTP2Connections })
	counter("requests_total", "Requests received, HTTP/2 streams included.", func(s *tinyhttp.Stats) uint64 { return s.RequestsReceived })
	counter("http2_streams_total", "HTTP/2 streams received.", func(s *tinyhttp.Stats) uint64 { return s.HTTP2Streams })
	help := "Responses sent, by status class."
	labelled("responses_total", help, "class", "1xx", func(s *tinyhttp.Stats) uint64 { return s.Responses1xx })
	labelled("responses_total", help, "class", "2xx", func(s *tinyhttp.Stats) uint64 { return s.Responses2xx })
	labelled("responses_total", help, "class", "3xx", func(s *tinyhttp.Stats) uint64 { return s.Responses3xx })
	labelled("responses_total", help, "class", "4xx", func(s *tinyhttp.Stats) uint64 { return s.Responses4xx })
	labelled("responses_total", help, "class", "5xx", func(s *tinyhttp.Stats) uint64 { return s.Responses5xx })
	counter("read_bytes_total", "Bytes read from connections.", func(s *tinyhttp.Stats) uint64 { return s.BytesRead })
	counter("written_bytes_total", "Bytes written to connections.", func(s *tinyhttp.Stats) uint64 { return s.BytesWritten })
	help = "Requests the server refused itself, by status."
	for _, r := range []struct {
		status string
		v      func(*tinyhttp.Stats) uint64
	}{
		{"400", func(s *tinyhttp.Stats) uint64 { return s.Rejected400 }},
		{"408", func(s *tinyhttp.Stats) uint64 { return s.Rejected408 }},
		{"413", func(s *tinyhttp.Stats) uint64 { return s.Rejected413 }},
		{"414", func(s *tinyhttp.Stats) uint64 { return s.Rejected414 }},
		{"431", func(s *tinyhttp.Stats) uint64 { return s.Rejected431 }},
		{"503", func(s *tinyhttp.Stats) uint64 { return s.Rejected503 }},
		{"505", func(s *tinyhttp.Stats) uint64 { return s.Rejected505 }},
	} {
		labelled("rejected_total", help, "status", r.status, r.v)
	}
	gauge("queue_length", "Requests queued for the application now.", func(s *tinyhttp.Stats) int64 { return int64(s.QueueLength) })
	gauge("workers_running", "Pool goroutines serving connections now.", func(s *tinyhttp.Stats) int64 { return int64(s.WorkersRunning) })
	return c
}

// Describe sends the descriptors of every metric.
func (c *StatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

// Collect takes one Stats snapshot and sends every metric from it.
func (c *StatsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&st))
	}
}
