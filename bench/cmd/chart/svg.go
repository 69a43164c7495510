package main

import (
	"fmt"
	"html"
	"slices"
	"strings"

	"github.com/c0c8f223/tinyhttp/bench/internal/results"
)

// Layout, in SVG user units (pixels).
const (
	width      = 900 // whole chart
	margin     = 16  // around the chart
	labelWidth = 130 // peer names left of the bars
	valueWidth = 170 // value text right of the bars
	barHeight  = 18
	barGap     = 6
	titleSpace = 26 // panel title above its bars
	panelGap   = 18 // between panels
	headSpace  = 56 // chart title and two subtitle lines
)

// palette gives each peer a fixed colour, in order of first appearance.
var palette = []string{"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// bar is one peer's bar in a panel.
type bar struct {
	peer   string
	value  float64
	label  string
	failed bool
}

// panel is one load.
type panel struct {
	title string
	bars  []bar
}

// render draws the whole chart.
func render(rep results.Report) string {
	panels := buildPanels(rep)
	peers := peerOrder(rep)
	height := headSpace + margin
	for _, p := range panels {
		height += panelHeight(p) + panelGap
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="16" font-weight="bold">tinyhttp side-by-side benchmark</text>`+"\n", margin, margin+8)
	for i, line := range subtitle(rep.Meta) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%s</text>`+"\n", margin, margin+26+i*16, esc(line))
	}
	y := headSpace + margin
	for _, p := range panels {
		drawPanel(&b, p, peers, y)
		y += panelHeight(p) + panelGap
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// subtitle describes the machine and settings in two lines.
func subtitle(meta map[string]string) []string {
	line := func(keys ...string) string {
		var parts []string
		for _, k := range keys {
			if v, ok := meta[k]; ok {
				parts = append(parts, k+": "+v)
			}
		}
		return strings.Join(parts, " · ")
	}
	return []string{line("machine", "cpu", "pinning"), line("runs", "duration", "date")}
}

// peerOrder lists peers in order of first appearance (fixes their colours).
func peerOrder(rep results.Report) []string {
	var peers []string
	for _, r := range rep.Rows {
		if !slices.Contains(peers, r.Peer) {
			peers = append(peers, r.Peer)
		}
	}
	return peers
}

// buildPanels makes one panel per load that has rows.
func buildPanels(rep results.Report) []panel {
	var panels []panel
	for _, l := range rep.Loads() {
		rows := rep.RowsOf(l.Name)
		p := panel{title: panelTitle(l)}
		for _, r := range rows {
			_, v, _ := results.Headline(l, r)
			p.bars = append(p.bars, bar{peer: r.Peer, value: v, label: valueLabel(l, r, v), failed: r.Status == results.StatusFailed})
		}
		panels = append(panels, p)
	}
	return panels
}

// panelTitle is the load's title with its unit.
func panelTitle(l results.Load) string {
	switch l.Kind {
	case results.KindIdle, results.KindBusy:
		return l.Title + " — server RSS per connection, KiB (lower is better)"
	case results.KindFile:
		return l.Title + " — MB/s (higher is better)"
	default:
		return l.Title + " — requests/s (higher is better)"
	}
}

// valueLabel is the text beside a bar.
func valueLabel(l results.Load, r results.Row, v float64) string {
	switch {
	case r.Status == results.StatusFailed:
		return "failed"
	case l.Kind == results.KindBusy:
		return fmt.Sprintf("%.1f KiB/conn (%d busy)", v, r.IdleOpen)
	case l.Kind == results.KindIdle:
		return fmt.Sprintf("%.1f KiB/conn (%d open)", v, r.IdleOpen)
	case l.Kind == results.KindFile:
		return fmt.Sprintf("%.0f MB/s", v)
	}
	s := humanize(v) + " req/s"
	if r.Errors > 0 {
		s += fmt.Sprintf(" (%d errors)", r.Errors)
	}
	return s
}

// humanize writes 123456 as 123.5k.
func humanize(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func panelHeight(p panel) int {
	return titleSpace + len(p.bars)*(barHeight+barGap)
}

// drawPanel draws one panel with its top at y.
func drawPanel(b *strings.Builder, p panel, peers []string, y int) {
	fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", margin, y+14, esc(p.title))
	maxV := 0.0
	for _, br := range p.bars {
		maxV = max(maxV, br.value)
	}
	barArea := float64(width - 2*margin - labelWidth - valueWidth)
	x0 := margin + labelWidth
	for i, br := range p.bars {
		by := y + titleSpace + i*(barHeight+barGap)
		w := 0.0
		if maxV > 0 && !br.failed {
			w = br.value / maxV * barArea
		}
		color := palette[slices.Index(peers, br.peer)%len(palette)]
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", x0-8, by+13, esc(br.peer))
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", x0, by, w, barHeight, color)
		textColor := "#333"
		if br.failed {
			textColor = "#d62728"
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%d" fill="%s">%s</text>`+"\n", float64(x0)+w+6, by+13, textColor, esc(br.label))
	}
}

func esc(s string) string { return html.EscapeString(s) }
