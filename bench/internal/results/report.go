package results

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Report is the whole results file (bench/results/latest.json).
type Report struct {
	Meta   map[string]string `json:"meta"` // machine and settings, from run.sh
	Rows   []Row             `json:"rows"`
	Ratios []Ratio           `json:"ratios"`
}

// NewReport summarizes runs.
func NewReport(meta map[string]string, runs []Run) Report {
	rows := Summarize(runs)
	return Report{Meta: meta, Rows: rows, Ratios: Ratios(rows)}
}

// ReadMeta parses "key=value" lines; blank lines and lines starting with #
// are skipped.
func ReadMeta(r io.Reader) (map[string]string, error) {
	meta := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("read meta: %q is not key=value", line)
		}
		meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return meta, sc.Err()
}

// WriteJSON writes the report, indented.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// ReadReportFile reads a report written by WriteJSON.
func ReadReportFile(path string) (Report, error) {
	var rep Report
	b, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// Loads returns the loads that have rows, in report order.
func (rep Report) Loads() []Load {
	var out []Load
	for _, r := range rep.Rows {
		if len(out) > 0 && out[len(out)-1].Name == r.Load {
			continue
		}
		if l, ok := LoadByName(r.Load); ok && !slices.ContainsFunc(out, func(o Load) bool { return o.Name == l.Name }) {
			out = append(out, l)
		}
	}
	return out
}

// RowsOf returns the rows of one load, in report order.
func (rep Report) RowsOf(load string) []Row {
	var out []Row
	for _, r := range rep.Rows {
		if r.Load == load {
			out = append(out, r)
		}
	}
	return out
}

// RatioOf finds the ratio of the reference against peer under load.
func (rep Report) RatioOf(load, peer string) (Ratio, bool) {
	for _, r := range rep.Ratios {
		if r.Load == load && r.Peer == peer {
			return r, true
		}
	}
	return Ratio{}, false
}
