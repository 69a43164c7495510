// Command chart draws the results file as an SVG bar chart: one panel per
// load, one bar per peer (req/s for the request loads, MB/s for the file
// download, RSS per connection for the idle and busy connections). It uses
// only the standard library.
//
// Usage: chart -in results/latest.json -out results/latest.svg
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/c0c8f223/tinyhttp/bench/internal/results"
)

func main() {
	in := flag.String("in", "results/latest.json", "results file written by report")
	out := flag.String("out", "results/latest.svg", "SVG file to write")
	flag.Parse()
	rep, err := results.ReadReportFile(*in)
	if err == nil {
		err = os.WriteFile(*out, []byte(render(rep)), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}
