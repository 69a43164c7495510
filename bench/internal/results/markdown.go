package results

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteMarkdown writes the report as markdown: settings, one table per
// load, and the chart when chartFile is not empty.
func (rep Report) WriteMarkdown(w io.Writer, chartFile string) error {
	var b strings.Builder
	b.WriteString("# tinyhttp side-by-side benchmark\n\n")
	writeMeta(&b, rep.Meta)
	if chartFile != "" {
		fmt.Fprintf(&b, "![requests per second per peer and load](%s)\n\n", chartFile)
	}
	b.WriteString("Ratios are tinyhttp ÷ peer from the same run: above 1 means tinyhttp has more of the metric " +
		"(better for req/s and MB/s; worse for memory and CPU). " +
		"\"Other load on server core\" is the largest share of the server's core that anything but the server " +
		"(other processes, interrupts) used during a run: a high figure means the machine was not quiet.\n\n")
	for _, l := range rep.Loads() {
		rows := rep.RowsOf(l.Name)
		fmt.Fprintf(&b, "## %s\n\n", l.Title)
		if l.Kind.Memory() {
			b.WriteString(memoryNote(l))
		}
		rep.writeTable(&b, l, rows)
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMeta lists the settings and the machine, sorted by key.
func writeMeta(b *strings.Builder, meta map[string]string) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "- **%s**: %s\n", k, meta[k])
	}
	if len(keys) > 0 {
		b.WriteString("\n")
	}
}

// writeTable writes one load's table.
func (rep Report) writeTable(b *strings.Builder, l Load, rows []Row) {
	head, cells := columns(l)
	var notes []string
	b.WriteString("| peer | status | " + strings.Join(head, " | ") + " | other load on server core | tinyhttp ÷ peer |\n")
	b.WriteString(strings.Repeat("|---", len(head)+4) + "|\n")
	for _, r := range rows {
		ratio := "—"
		if q, ok := rep.RatioOf(l.Name, r.Peer); ok {
			ratio = fmt.Sprintf("%.2f×", q.Value)
			if q.CPU > 0 {
				ratio += fmt.Sprintf(" (CPU %.2f×)", q.CPU)
			}
			if q.Peak > 0 {
				ratio += fmt.Sprintf(" (peak %.2f×)", q.Peak)
			}
		}
		status := r.Status
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("%d. %s: %s", len(notes)+1, r.Peer, r.Note))
			status += fmt.Sprintf(" [%d]", len(notes))
		}
		vals := append(cells(r), otherLoad(l, r))
		if r.Status == StatusFailed {
			vals = make([]string, len(head)+1)
			for i := range vals {
				vals[i] = "—"
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r.Peer, status, strings.Join(vals, " | "), ratio)
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
}

// memoryNote explains a memory load's figures above its table.
func memoryNote(l Load) string {
	if l.Kind == KindBusy {
		return "KiB / connection is (server VmRSS − VmRSS before the connections) ÷ connections, VmRSS being the median of " +
			"samples taken while every connection cycles requests; peak uses VmHWM instead. \"Fewest requests\" is the " +
			"smallest number of requests one connection completed in a run: above 0, every connection was busy. " +
			"The ratio is tinyhttp ÷ peer of KiB / connection (and of peak KiB / connection).\n\n"
	}
	return "KiB / connection is (server VmRSS − VmRSS before the connections) ÷ connections still open, after each " +
		"sent one request and read its answer; peak uses VmHWM instead. The ratio is tinyhttp ÷ peer of " +
		"KiB / connection (and of peak KiB / connection).\n\n"
}

// otherLoad formats Row.OtherCPU; the memory loads do not measure it.
func otherLoad(l Load, r Row) string {
	if l.Kind.Memory() {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", r.OtherCPU)
}

// columns gives the headings of a load's table and the cells of one row.
func columns(l Load) ([]string, func(Row) []string) {
	switch l.Kind {
	case KindIdle:
		return []string{"connections open", "RSS MiB", "KiB / connection", "peak KiB / connection", "peak RSS MiB"}, func(r Row) []string {
			return []string{fmt.Sprint(r.IdleOpen), f1(r.IdleRSSMiB), f1(r.KiBPerConn), f1(r.PeakKiBConn), f1(r.PeakRSSMiB)}
		}
	case KindBusy:
		return []string{"connections busy", "req/s", "fewest requests", "errors", "RSS MiB", "KiB / connection", "peak KiB / connection", "peak RSS MiB"}, func(r Row) []string {
			return []string{fmt.Sprint(r.IdleOpen), f0(r.ReqPerSec), fmt.Sprint(r.MinPerConn), fmt.Sprint(r.Errors),
				f1(r.IdleRSSMiB), f1(r.KiBPerConn), f1(r.PeakKiBConn), f1(r.PeakRSSMiB)}
		}
	case KindFile:
		return []string{"MB/s", "server CPU ms / download", "errors", "peak RSS MiB"}, func(r Row) []string {
			return []string{f0(r.MBPerSec), f0(r.CPUMs), fmt.Sprint(r.Errors), f1(r.PeakRSSMiB)}
		}
	default:
		return []string{"req/s", "p50 ms", "p99 ms", "errors", "server CPU µs / req", "peak RSS MiB"}, func(r Row) []string {
			return []string{f0(r.ReqPerSec), ms(r.P50Ms), ms(r.P99Ms), fmt.Sprint(r.Errors), f2(r.CPUUsPerReq), f1(r.PeakRSSMiB)}
		}
	}
}

// ms formats a latency; 0 means wrk gave none.
func ms(v float64) string {
	if v == 0 {
		return "n/a"
	}
	return f2(v)
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }
