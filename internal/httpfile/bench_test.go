package httpfile

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

var sinkDecision Decision

func BenchmarkParseRange(b *testing.B) {
	for _, bc := range []struct{ name, field string }{
		{"single", "bytes=0-4"},
		{"suffix", "bytes=-500"},
		{"multi4", "bytes=0-1,10-19,100-199,500-"},
		{"max", "bytes=0-1,3-4,6-7,9-10,12-13,15-16,18-19,21-22,24-25,27-28,30-31,33-34,36-37,39-40,42-43,45-46," +
			"48-49,51-52,54-55,57-58,60-61,63-64,66-67,69-70,72-73,75-76,78-79,81-82,84-85,87-88,90-91,93-94"},
		{"invalid", "bytes=abc"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf [MaxRanges]Range
			b.ReportAllocs()
			for b.Loop() {
				ParseRange(buf[:0], bc.field, 1000)
			}
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	etag := ETag(1000, modTime)
	for _, bc := range []struct {
		name string
		c    Conditions
	}{
		{"plain", Conditions{}},
		{"single-range", Conditions{Range: "bytes=0-499"}},
		{"if-range-etag", Conditions{Range: "bytes=100-", IfRange: etag}},
		{"if-range-date", Conditions{Range: "bytes=100-", IfRange: lastModified}},
		{"if-none-match-304", Conditions{IfNoneMatch: `"a", "b", ` + etag}},
		{"if-modified-since-304", Conditions{IfModifiedSince: lastModified}},
		{"if-match-412", Conditions{IfMatch: `"stale"`}},
		{"multi-range", Conditions{Range: "bytes=0-1,10-19,100-199"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkDecision = Evaluate("GET", bc.c, etag, modTime, 1000)
			}
		})
	}
}

func BenchmarkValidators(b *testing.B) {
	var buf [64]byte
	b.Run("AppendETag", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AppendETag(buf[:0], 123456789, modTime)
		}
	})
	b.Run("AppendHTTPDate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AppendHTTPDate(buf[:0], modTime)
		}
	})
	b.Run("time.AppendFormat", func(b *testing.B) { // reference
		b.ReportAllocs()
		for b.Loop() {
			modTime.UTC().AppendFormat(buf[:0], http.TimeFormat)
		}
	})
	b.Run("ParseHTTPDate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseHTTPDate(lastModified)
		}
	})
	b.Run("http.ParseTime", func(b *testing.B) { // reference
		b.ReportAllocs()
		for b.Loop() {
			_, _ = http.ParseTime(lastModified)
		}
	})
}

func BenchmarkMultipartBody(b *testing.B) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	ranges := []Range{{0, 99}, {1 << 18, 1<<19 - 1}, {1<<20 - 1000, 1<<20 - 1}}
	boundary := NewBoundary()
	b.Run("WriteTo", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			mb, _ := NewMultipartBody(bytes.NewReader(content), int64(len(content)), "text/plain", ranges, boundary)
			n, _ = mb.WriteTo(io.Discard)
		}
		b.SetBytes(n)
	})
	b.Run("Read", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 32<<10)
		var n int64
		for b.Loop() {
			mb, _ := NewMultipartBody(bytes.NewReader(content), int64(len(content)), "text/plain", ranges, boundary)
			n, _ = io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{mb}, buf)
		}
		b.SetBytes(n)
	})
}

func BenchmarkContentType(b *testing.B) {
	page := []byte("<!DOCTYPE html><html><head><title>x</title></head><body>hello</body></html>")
	b.Run("builtin", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ContentType("/srv/www/index.HTML", nil)
		}
	})
	b.Run("sniff", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ContentType("README", func() []byte { return page })
		}
	})
	b.Run("DetectContentType", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DetectContentType(page)
		}
	})
	b.Run("http.DetectContentType", func(b *testing.B) { // reference
		b.ReportAllocs()
		for b.Loop() {
			http.DetectContentType(page)
		}
	})
}
