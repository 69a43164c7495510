package httpfile

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func TestMultipartBodyLayout(t *testing.T) {
	mb, err := NewMultipartBody(bytes.NewReader(ten), 10, "text/plain", []Range{{0, 1}, {4, 5}}, "B")
	if err != nil {
		t.Fatal(err)
	}
	want := "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01" +
		"\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 4-5/10\r\n\r\n45" +
		"\r\n--B--\r\n"
	got, err := io.ReadAll(mb)
	if err != nil || string(got) != want {
		t.Fatalf("body = %q, %v\nwant %q", got, err, want)
	}
	if mb.Len() != int64(len(want)) {
		t.Errorf("Len() = %d, want %d", mb.Len(), len(want))
	}
	if ct := mb.ContentType(); ct != "multipart/byteranges; boundary=B" {
		t.Errorf("ContentType() = %q", ct)
	}
	// Reading past the end keeps returning EOF.
	if n, err := mb.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read after EOF = %d, %v", n, err)
	}

	// Without a Content-Type, the parts carry none.
	mb, err = NewMultipartBody(bytes.NewReader(ten), 10, "", []Range{{9, 9}, {0, 0}}, "b-'+_.9")
	if err != nil {
		t.Fatal(err)
	}
	want = "--b-'+_.9\r\nContent-Range: bytes 9-9/10\r\n\r\n9\r\n--b-'+_.9\r\nContent-Range: bytes 0-0/10\r\n\r\n0\r\n--b-'+_.9--\r\n"
	if got, err := io.ReadAll(mb); err != nil || string(got) != want || mb.Len() != int64(len(want)) {
		t.Errorf("body = %q, %v, Len %d\nwant %q, %d", got, err, mb.Len(), want, len(want))
	}
}

// TestMultipartBodyStreaming reads the same bodies through every path (small reads, WriteTo with
// and without ReadFrom, iotest's reader checks) and parses them with mime/multipart.
func TestMultipartBodyStreaming(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), 10000) // 360 000 bytes
	for _, tc := range []struct {
		name    string
		content []byte
		ranges  []Range
		ctype   string
	}{
		{"small", ten, []Range{{0, 1}, {4, 5}}, textPlain},
		{"three", thousand, []Range{{999, 999}, {0, 99}, {500, 600}}, "application/octet-stream"},
		{"big parts", big, []Range{{0, 100_000}, {200_000, 359_999}, {5, 5}}, "text/plain"},
		{"many", thousand, func() []Range {
			rs := make([]Range, MaxRanges)
			for i := range rs {
				rs[i] = Range{int64(30 * i), int64(30*i + 9)}
			}
			return rs
		}(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := int64(len(tc.content))
			newBody := func() *MultipartBody {
				mb, err := NewMultipartBody(bytes.NewReader(tc.content), size, tc.ctype, tc.ranges, NewBoundary())
				if err != nil {
					t.Fatal(err)
				}
				return mb
			}
			mb := newBody()
			ref, err := io.ReadAll(mb)
			if err != nil || int64(len(ref)) != mb.Len() {
				t.Fatalf("ReadAll: %d bytes, %v; Len %d", len(ref), err, mb.Len())
			}
			parts := parseParts(t, mb.ContentType(), ref)
			if len(parts) != len(tc.ranges) {
				t.Fatalf("%d parts, want %d", len(parts), len(tc.ranges))
			}
			for i, p := range parts {
				r := tc.ranges[i]
				if p.contentType != tc.ctype || p.contentRange != r.ContentRange(size) || p.data != string(tc.content[r.First:r.Last+1]) {
					t.Errorf("part %d: %s; want %s, %s, %d bytes", i, p, tc.ctype, r.ContentRange(size), r.Length())
				}
			}
			// Bodies differ only in their boundaries; compare with the boundary of each.
			same := func(path string, got []byte, b *MultipartBody) {
				t.Helper()
				want := bytes.ReplaceAll(ref, []byte(mb.boundary), []byte(b.boundary))
				if !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes differ from ReadAll's %d", path, len(got), len(want))
				}
			}

			b := newBody()
			got, err := io.ReadAll(iotest.OneByteReader(b))
			if err != nil {
				t.Fatal(err)
			}
			same("one byte at a time", got, b)

			b = newBody()
			got, err = io.ReadAll(iotest.HalfReader(b))
			if err != nil {
				t.Fatal(err)
			}
			same("half reads", got, b)

			b = newBody()
			var buf bytes.Buffer // has ReadFrom
			if n, err := b.WriteTo(&buf); err != nil || n != b.Len() {
				t.Fatalf("WriteTo(bytes.Buffer) = %d, %v; want %d", n, err, b.Len())
			}
			same("WriteTo with ReadFrom", buf.Bytes(), b)

			b = newBody()
			var plain plainWriter
			if n, err := b.WriteTo(&plain); err != nil || n != b.Len() {
				t.Fatalf("WriteTo(plain writer) = %d, %v; want %d", n, err, b.Len())
			}
			same("WriteTo without ReadFrom", plain.Bytes(), b)

			b = newBody()
			buf.Reset()
			bw := bufio.NewWriterSize(&plain, 4096)
			plain.Reset()
			if n, err := io.Copy(bw, b); err != nil || n != b.Len() || bw.Flush() != nil {
				t.Fatalf("io.Copy(bufio.Writer) = %d, %v; want %d", n, err, b.Len())
			}
			same("io.Copy into a bufio.Writer", plain.Bytes(), b)

			// Part of it by Read, the rest by WriteTo.
			b = newBody()
			head := make([]byte, 77)
			n, _ := io.ReadFull(b, head)
			plain.Reset()
			plain.Write(head[:n])
			if _, err := b.WriteTo(&plain); err != nil {
				t.Fatal(err)
			}
			same("Read then WriteTo", plain.Bytes(), b)

			b = newBody()
			if err := iotest.TestReader(b, bytes.ReplaceAll(ref, []byte(mb.boundary), []byte(b.boundary))); err != nil {
				t.Error(err)
			}
		})
	}
}

// plainWriter is a writer without ReadFrom, to exercise WriteTo's own buffer.
type plainWriter struct{ b bytes.Buffer }

func (w *plainWriter) Write(p []byte) (int, error) { return w.b.Write(p) }
func (w *plainWriter) Bytes() []byte               { return w.b.Bytes() }
func (w *plainWriter) Reset()                      { w.b.Reset() }

// shortReaderAt holds fewer bytes than the size the body was built for (a file truncated while
// being served).
type shortReaderAt struct{ data []byte }

func (r shortReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(r.data).ReadAt(p, off)
}

// errReaderAt fails every read.
type errReaderAt struct{}

var errDisk = errors.New("disk on fire")

func (errReaderAt) ReadAt(p []byte, off int64) (int, error) { return 0, errDisk }

// lazyReaderAt breaks the io.ReaderAt contract: no bytes and no error.
type lazyReaderAt struct{}

func (lazyReaderAt) ReadAt(p []byte, off int64) (int, error) { return 0, nil }

// eofReaderAt returns io.EOF together with a full read that reaches the end of the data, which
// io.ReaderAt allows.
type eofReaderAt struct{ data []byte }

func (r eofReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := copy(p, r.data[off:])
	if off+int64(n) == int64(len(r.data)) {
		return n, io.EOF
	}
	return n, nil
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

var errWrite = errors.New("peer gone")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, errWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestMultipartBodyErrors(t *testing.T) {
	ranges := []Range{{0, 1}, {6, 9}}
	t.Run("short file", func(t *testing.T) {
		for _, path := range []string{"Read", "WriteTo", "WriteTo plain"} {
			mb, err := NewMultipartBody(shortReaderAt{ten[:7]}, 10, textPlain, ranges, "B")
			if err != nil {
				t.Fatal(err)
			}
			switch path {
			case "Read":
				_, err = io.ReadAll(mb)
			case "WriteTo":
				_, err = mb.WriteTo(&bytes.Buffer{})
			default:
				_, err = mb.WriteTo(&plainWriter{})
			}
			if !errors.Is(err, ErrShortFile) {
				t.Errorf("%s: err = %v, want ErrShortFile", path, err)
			}
		}
	})
	t.Run("read error", func(t *testing.T) {
		mb, _ := NewMultipartBody(errReaderAt{}, 10, textPlain, ranges, "B")
		if _, err := io.ReadAll(mb); !errors.Is(err, errDisk) {
			t.Errorf("Read: err = %v", err)
		}
		mb, _ = NewMultipartBody(errReaderAt{}, 10, textPlain, ranges, "B")
		if _, err := mb.WriteTo(&plainWriter{}); !errors.Is(err, errDisk) {
			t.Errorf("WriteTo: err = %v", err)
		}
	})
	t.Run("no progress", func(t *testing.T) {
		mb, _ := NewMultipartBody(lazyReaderAt{}, 10, textPlain, ranges, "B")
		if _, err := io.ReadAll(mb); !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("Read: err = %v", err)
		}
	})
	t.Run("EOF with full read", func(t *testing.T) {
		mb, _ := NewMultipartBody(eofReaderAt{ten}, 10, textPlain, ranges, "B")
		got, err := io.ReadAll(mb)
		if err != nil || int64(len(got)) != mb.Len() || !strings.Contains(string(got), "\r\n\r\n6789\r\n--B--") {
			t.Errorf("Read: %q, %v", got, err)
		}
	})
	t.Run("write error", func(t *testing.T) {
		for limit := 0; limit < 120; limit += 7 {
			mb, _ := NewMultipartBody(bytes.NewReader(ten), 10, textPlain, ranges, "B")
			w := &failWriter{n: limit}
			n, err := mb.WriteTo(w)
			if !errors.Is(err, errWrite) || n != int64(limit) {
				t.Errorf("limit %d: WriteTo = %d, %v", limit, n, err)
			}
		}
	})
	t.Run("invalid arguments", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			size     int64
			ctype    string
			ranges   []Range
			boundary string
		}{
			{"empty boundary", 10, "", ranges, ""},
			{"long boundary", 10, "", ranges, strings.Repeat("b", 71)},
			{"space in boundary", 10, "", ranges, "a b"},
			{"quote in boundary", 10, "", ranges, `a"b`},
			{"CRLF in boundary", 10, "", ranges, "a\r\nb"},
			{"colon in boundary", 10, "", ranges, "a:b"},
			{"CRLF in content type", 10, "text/plain\r\nX-Evil: 1", ranges, "B"},
			{"NUL in content type", 10, "text/plain\x00", ranges, "B"},
			{"DEL in content type", 10, "text/plain\x7f", ranges, "B"},
			{"no ranges", 10, "", nil, "B"},
			{"past the end", 10, "", []Range{{0, 1}, {9, 10}}, "B"},
			{"negative", 10, "", []Range{{-1, 1}}, "B"},
			{"reversed", 10, "", []Range{{5, 4}}, "B"},
			{"too long", 1<<63 - 1, "", []Range{{0, 1<<63 - 2}, {0, 1<<63 - 2}}, "B"},
		} {
			if _, err := NewMultipartBody(bytes.NewReader(ten), tc.size, tc.ctype, tc.ranges, tc.boundary); err == nil {
				t.Errorf("%s: no error", tc.name)
			}
		}
		// The longest boundary, and a tab in the content type, are fine.
		if _, err := NewMultipartBody(bytes.NewReader(ten), 10, "text/plain;\tcharset=utf-8", ranges, strings.Repeat("b", 70)); err != nil {
			t.Errorf("70-character boundary: %v", err)
		}
	})
}

func TestNewBoundary(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		b := NewBoundary()
		if len(b) != 2*boundaryBytes || seen[b] {
			t.Fatalf("NewBoundary() = %q: wrong length or repeated", b)
		}
		for j := 0; j < len(b); j++ {
			if !strings.ContainsRune("0123456789abcdef", rune(b[j])) {
				t.Fatalf("NewBoundary() = %q: not hex", b)
			}
		}
		seen[b] = true
	}
}

// TestMultipartBodySharedFile streams several bodies from one *os.File at once, as the main
// package may for concurrent requests of the same file (run with -race).
func TestMultipartBodySharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, thousand, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const goroutines = 8
	type result struct {
		ranges      []Range
		contentType string
		body        []byte
	}
	results := make([]result, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := []Range{{int64(g), int64(g + 100)}, {int64(900 - g), 999}}
			mb, err := NewMultipartBody(f, 1000, "application/octet-stream", rs, NewBoundary())
			if err != nil {
				t.Error(err)
				return
			}
			var buf bytes.Buffer
			if _, err := mb.WriteTo(&buf); err != nil {
				t.Error(err)
				return
			}
			results[g] = result{rs, mb.ContentType(), buf.Bytes()}
		}()
	}
	wg.Wait()
	for g, r := range results {
		if r.body == nil {
			continue // reported above
		}
		for i, p := range parseParts(t, r.contentType, r.body) { // on the test goroutine: it may call Fatal
			if p.data != string(thousand[r.ranges[i].First:r.ranges[i].Last+1]) {
				t.Errorf("goroutine %d, part %d: wrong data", g, i)
			}
		}
	}
}
