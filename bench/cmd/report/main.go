// Command report turns the per-run rows that bench/run.sh records into the
// results file (medians per peer and load, and tinyhttp's ratios against
// every other peer) and a markdown table.
//
// Usage: report -runs results/runs.csv [-meta results/meta.txt] -json results/latest.json -md results/latest.md [-chart latest.svg]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/c0c8f223/tinyhttp/bench/internal/results"
)

func main() {
	runsPath := flag.String("runs", "results/runs.csv", "per-run rows written by run.sh")
	metaPath := flag.String("meta", "", "key=value file describing the machine and settings")
	jsonPath := flag.String("json", "results/latest.json", "results file to write")
	mdPath := flag.String("md", "results/latest.md", "markdown table to write")
	chart := flag.String("chart", "", "chart file name to link from the markdown (relative to it)")
	flag.Parse()
	if err := run(*runsPath, *metaPath, *jsonPath, *mdPath, *chart); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// run reads the runs and the meta file and writes the JSON and markdown.
func run(runsPath, metaPath, jsonPath, mdPath, chart string) error {
	runs, err := readRuns(runsPath)
	if err != nil {
		return err
	}
	meta, err := readMeta(metaPath)
	if err != nil {
		return err
	}
	rep := results.NewReport(meta, runs)
	if err := writeFile(jsonPath, func(f *os.File) error { return rep.WriteJSON(f) }); err != nil {
		return err
	}
	return writeFile(mdPath, func(f *os.File) error { return rep.WriteMarkdown(f, chart) })
}

func readRuns(path string) ([]results.Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return results.ReadRuns(f)
}

func readMeta(path string) (map[string]string, error) {
	if path == "" {
		return map[string]string{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return results.ReadMeta(f)
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
