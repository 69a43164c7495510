package tinyhttp

// Benchmarks of content coding. Run with
//
//	go test -run '^$' -bench 'Negotiate|Compressor|CompressedResponse|DecodedBody' -benchmem .
//
// BenchmarkCompressor compares compress/gzip and compress/zlib with
// github.com/klauspost/compress, the library tinyhttp uses, on 64 KiB of
// HTML and of JSON: at each library's default level (6 and 5), at level 6,
// and compress/gzip at level 1, about as fast as klauspost/compress at 5.
// It reports the compression ratio (input bytes / output bytes) with ns/op,
// MB/s, B/op and allocs/op. Writers are reused through Reset, as the server
// pools them.

import (
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	stdzlib "compress/zlib"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// benchDocSize is the size of the benchmark documents: 64 KiB, a typical
// HTML page or API answer worth compressing.
const benchDocSize = 64 << 10

// codingJSON returns n bytes of deterministic JSON: an array of records,
// like an API listing.
func codingJSON(n int) string {
	words := strings.Fields("order item price total user account status created updated name email city")
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("[")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"user":{"name":"%s %s","email":"%s%d@example.com"},"items":[{"sku":"%s-%d","quantity":%d,"price":%d.%02d}],"status":"%s","created":"2024-%02d-%02dT%02d:%02d:00Z"},`,
			i, words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.IntN(1000),
			words[rng.IntN(len(words))], rng.IntN(10_000), 1+rng.IntN(9), rng.IntN(500), rng.IntN(100),
			words[rng.IntN(len(words))], 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60))
	}
	return b.String()[:n]
}

func BenchmarkNegotiateEncoding(b *testing.B) {
	for _, tt := range []struct{ name, accept string }{
		{"none", ""},
		{"chrome", "gzip, deflate, br, zstd"},
		{"curl", "deflate, gzip, br, zstd"},
		{"qvalues", "br;q=1.0, gzip;q=0.8, identity;q=0.5, *;q=0.1"},
		{"refusals", "identity;q=0, *;q=0"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				negotiateEncoding(tt.accept)
			}
		})
	}
}

// resettable is what gzip and zlib writers of both libraries have in common.
type resettable interface {
	io.WriteCloser
	Reset(io.Writer)
}

func BenchmarkCompressor(b *testing.B) {
	docs := []struct{ name, doc string }{{"html", codingText(benchDocSize)}, {"json", codingJSON(benchDocSize)}}
	writers := []struct {
		name string
		make func() resettable
	}{
		{"gzip/std-6", func() resettable { w, _ := stdgzip.NewWriterLevel(nil, stdgzip.DefaultCompression); return w }},
		{"gzip/std-1", func() resettable { w, _ := stdgzip.NewWriterLevel(nil, stdgzip.BestSpeed); return w }}, // about klauspost-5's speed
		{"gzip/klauspost-5", func() resettable { w, _ := gzip.NewWriterLevel(nil, DefaultCompressionLevel); return w }},
		{"gzip/klauspost-6", func() resettable { w, _ := gzip.NewWriterLevel(nil, 6); return w }},
		{"deflate/std-6", func() resettable { w, _ := stdzlib.NewWriterLevel(nil, stdzlib.DefaultCompression); return w }},
		{"deflate/klauspost-5", func() resettable { w, _ := zlib.NewWriterLevel(nil, DefaultCompressionLevel); return w }},
	}
	for _, d := range docs {
		for _, wr := range writers {
			b.Run(d.name+"/"+wr.name, func(b *testing.B) {
				w, doc := wr.make(), []byte(d.doc)
				var out bytes.Buffer
				b.SetBytes(int64(len(d.doc)))
				b.ReportAllocs()
				for b.Loop() {
					out.Reset()
					w.Reset(&out)
					w.Write(doc)
					w.Close()
				}
				b.ReportMetric(float64(len(d.doc))/float64(out.Len()), "ratio")
			})
		}
	}
}

// BenchmarkCompressedResponse writes a 64 KiB HTML response as the server
// does, chunked, with and without gzip: the cost of compression per
// response, pooled compressor included.
func BenchmarkCompressedResponse(b *testing.B) {
	page := codingText(benchDocSize)
	policy := (&CompressionConfig{}).policy()
	for _, accept := range []string{"", "gzip", "deflate"} {
		name := accept
		if name == "" {
			name = "identity"
		}
		b.Run(name, func(b *testing.B) {
			w := bufio.NewWriterSize(io.Discard, writeBufferSize)
			srv := &responsePolicy{server: DefaultServerName, compress: policy}
			b.SetBytes(benchDocSize)
			b.ReportAllocs()
			for b.Loop() {
				resp := FromString(page).WithHeader(Header{Field: "Content-Type", Value: "text/html"})
				x := exchange{version: HTTPVersion{1, 1}, keepAlive: true, teChunked: -1, acceptEnc: accept}
				if _, err := writeResponse(w, resp, &x, srv); err != nil {
					b.Fatal(err)
				}
				w.Flush()
			}
		})
	}
}

// BenchmarkDecodedBody reads a gzipped 64 KiB request body through
// DecodedBody.
func BenchmarkDecodedBody(b *testing.B) {
	gz := gzipped(b, codingText(benchDocSize))
	buf := make([]byte, 32<<10)
	b.SetBytes(benchDocSize)
	b.ReportAllocs()
	for b.Loop() {
		body, err := detached(gz, "gzip").DecodedBody()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{body}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
