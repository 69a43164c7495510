package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/c0c8f223/tinyhttp/bench/internal/results"
)

func TestRenderIsWellFormedSVG(t *testing.T) {
	rep := results.Report{
		Meta: map[string]string{"machine": "2 cores <test>"},
		Rows: []results.Row{
			{Peer: "tinyhttp", Load: "keepalive", Status: results.StatusOK, ReqPerSec: 1000},
			{Peer: "nethttp", Load: "keepalive", Status: results.StatusFailed},
			{Peer: "nethttp", Load: "file", Status: results.StatusOK, MBPerSec: 2000},
		},
	}
	svg := render(rep)
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{"1.0k req/s", "failed", "2000 MB/s", "2 cores &lt;test&gt;"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}
