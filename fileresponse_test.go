package tinyhttp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/httpfile"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// fileModTime is the modification time given to test files, so that their
// ETag and Last-Modified are known in advance.
var fileModTime = time.Date(2024, time.March, 5, 6, 7, 8, 0, time.UTC)

// writeTestFile writes content to name in a temporary directory, with
// fileModTime, and returns its path.
func writeTestFile(tb testing.TB, name string, content []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(p, fileModTime, fileModTime); err != nil {
		tb.Fatal(err)
	}
	return p
}

// openTestFile opens p, closing it when the test ends (a second Close is harmless).
func openTestFile(tb testing.TB, p string) *os.File {
	tb.Helper()
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// fakeRequest builds a request with the given method and header fields
// (name, value pairs), as the parser would.
func fakeRequest(method string, fields ...string) *Request {
	r := &Request{}
	r.head.method = Method(method)
	r.head.version = HTTPVersion{1, 1}
	r.head.keepAlive = true
	for i := 0; i+1 < len(fields); i += 2 {
		r.head.headers = append(r.head.headers, Header{Field: HeaderField(fields[i]), Value: fields[i+1]})
	}
	return r
}

// fileWire is a response as rendered by writeResponse.
type fileWire struct {
	status int
	header map[string][]string // canonical names
	body   string
}

func (w *fileWire) get(name string) string {
	if v := w.header[canonical(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (w *fileWire) has(name string) bool { return len(w.header[canonical(name)]) > 0 }

func canonical(name string) string { return strings.ToLower(name) }

// renderFile applies the file conditions of req to resp and renders the
// result, returning it parsed, and writeResponse's error.
func renderFile(t *testing.T, req *Request, resp *Response) (*fileWire, error) {
	t.Helper()
	resp = applyFileConditions(req, resp, &exchange{}, nil)
	out, _, err := render(t, resp, string(req.head.method), req.head.version, -1)
	head, body, ok := strings.Cut(out, "\r\n\r\n")
	if !ok {
		t.Fatalf("no header section end in %q", out)
	}
	lines := strings.Split(head, "\r\n")
	status, _ := strconv.Atoi(strings.Fields(lines[0])[1])
	w := &fileWire{status: status, header: map[string][]string{}, body: body}
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ": ")
		w.header[canonical(name)] = append(w.header[canonical(name)], value)
	}
	return w, err
}

// TestFileConditions checks what applyFileConditions makes of a FromFile
// response for each kind of answer (the wire rules R01–R12 are tested over
// sockets in tests/ranges_test.go).
func TestFileConditions(t *testing.T) {
	p := writeTestFile(t, "ten.txt", []byte("0123456789"))
	etag := httpfile.ETag(10, fileModTime)
	lastMod := httpfile.FormatHTTPDate(fileModTime)
	old := httpfile.FormatHTTPDate(fileModTime.Add(-time.Hour))

	tests := []struct {
		name     string
		method   string
		fields   []string
		status   int
		cr       string // Content-Range; "" for none
		body     string
		noType   bool // no Content-Type expected
		noLength bool // no Content-Length expected
	}{
		{"plain", "GET", nil, 200, "", "0123456789", false, false},
		{"HEAD", "HEAD", nil, 200, "", "", false, false},
		{"tail range", "GET", []string{"Range", "bytes=7-"}, 206, "bytes 7-9/10", "789", false, false},
		{"suffix range", "GET", []string{"Range", "bytes=-3"}, 206, "bytes 7-9/10", "789", false, false},
		{"HEAD range", "HEAD", []string{"Range", "bytes=0-4"}, 206, "bytes 0-4/10", "", false, false},
		{"unsatisfiable", "GET", []string{"Range", "bytes=20-30"}, 416, "bytes */10", "", true, false},
		{"If-None-Match", "GET", []string{"If-None-Match", etag}, 304, "", "", true, true},
		{"If-None-Match repeated", "GET", []string{"If-None-Match", `"x"`, "If-None-Match", etag}, 304, "", "", true, true},
		{"If-None-Match stale", "GET", []string{"If-None-Match", `"x"`}, 200, "", "0123456789", false, false},
		{"If-Modified-Since", "HEAD", []string{"If-Modified-Since", lastMod}, 304, "", "", true, true},
		{"If-Match", "GET", []string{"If-Match", `"x"`}, 412, "", "", true, false},
		{"If-Unmodified-Since", "GET", []string{"If-Unmodified-Since", old}, 412, "", "", true, false},
		{"If-Range true", "GET", []string{"Range", "bytes=5-", "If-Range", etag}, 206, "bytes 5-9/10", "56789", false, false},
		{"If-Range stale", "GET", []string{"Range", "bytes=5-", "If-Range", `"x"`}, 200, "", "0123456789", false, false},
		{"Range on POST", "POST", []string{"Range", "bytes=5-"}, 200, "", "0123456789", false, false},
		{"If-None-Match on POST", "POST", []string{"If-None-Match", "*"}, 412, "", "", true, false},
		{"OPTIONS ignores conditions", "OPTIONS", []string{"If-Match", `"x"`}, 200, "", "0123456789", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openTestFile(t, p)
			w, err := renderFile(t, fakeRequest(tt.method, tt.fields...), FromFile(f))
			if err != nil {
				t.Fatalf("writeResponse: %v", err)
			}
			if w.status != tt.status || w.get("Content-Range") != tt.cr || w.body != tt.body {
				t.Fatalf("got %d, Content-Range %q, body %q; want %d, %q, %q\n%v",
					w.status, w.get("Content-Range"), w.body, tt.status, tt.cr, tt.body, w.header)
			}
			if w.get("ETag") != etag || w.get("Accept-Ranges") != "bytes" {
				t.Errorf("ETag %q, Accept-Ranges %q; want %s and bytes", w.get("ETag"), w.get("Accept-Ranges"), etag)
			}
			if wantLM := tt.status != 304; w.has("Last-Modified") != wantLM || wantLM && w.get("Last-Modified") != lastMod {
				t.Errorf("Last-Modified %v, want it %v (%s)", w.header["last-modified"], wantLM, lastMod)
			}
			if w.has("Content-Type") == tt.noType || !tt.noType && w.get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %v, want one: %v", w.header["content-type"], !tt.noType)
			}
			if w.has("Content-Length") == tt.noLength {
				t.Errorf("Content-Length %v, want one: %v", w.header["content-length"], !tt.noLength)
			}
			if tt.status == 200 || tt.status == 206 {
				n := len(tt.body)
				if tt.method == "HEAD" {
					n = 10
					if tt.status == 206 {
						n = 5
					}
				}
				if got := w.get("Content-Length"); got != strconv.Itoa(n) {
					t.Errorf("Content-Length %q, want %d", got, n)
				}
			}
			if runtime.GOOS == "linux" && tt.status != 200 && tt.status != 206 {
				// The file is closed at once when no representation is sent.
				if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
					t.Errorf("file still open after a %d: Stat = %v", tt.status, err)
				}
			}
		})
	}
}

// TestFileConditionsMultipart checks a multipart/byteranges answer: exact
// Content-Length, parts in request order with their own Content-Range and
// Content-Type, no top-level Content-Range; and HEAD, which gets the same
// length without a body.
func TestFileConditionsMultipart(t *testing.T) {
	p := writeTestFile(t, "ten.txt", []byte("0123456789"))
	var length string
	for _, method := range []string{"GET", "HEAD"} {
		w, err := renderFile(t, fakeRequest(method, "Range", "bytes=8-9,0-1"), FromFile(openTestFile(t, p)))
		if err != nil {
			t.Fatal(err)
		}
		mt, params, err := mime.ParseMediaType(w.get("Content-Type"))
		if w.status != 206 || err != nil || mt != "multipart/byteranges" || params["boundary"] == "" || w.has("Content-Range") {
			t.Fatalf("%s: %d %v (%v)", method, w.status, w.header, err)
		}
		if method == "HEAD" {
			if w.body != "" || w.get("Content-Length") != length {
				t.Errorf("HEAD: Content-Length %q, body %q; want %s as for GET, no body", w.get("Content-Length"), w.body, length)
			}
			continue
		}
		length = w.get("Content-Length")
		if length != strconv.Itoa(len(w.body)) {
			t.Errorf("Content-Length %s for a %d-byte body", length, len(w.body))
		}
		mr := multipart.NewReader(strings.NewReader(w.body), params["boundary"])
		want := []struct{ cr, data string }{{"bytes 8-9/10", "89"}, {"bytes 0-1/10", "01"}}
		for i, wp := range want {
			part, err := mr.NextPart()
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			data, _ := io.ReadAll(part)
			if part.Header.Get("Content-Range") != wp.cr || string(data) != wp.data || part.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("part %d: %v %q, want %s %q", i, part.Header, data, wp.cr, wp.data)
			}
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Errorf("after the parts: %v, want EOF", err)
		}
	}
}

// TestFileConditionsApplicationFields: what the application set wins.
func TestFileConditionsApplicationFields(t *testing.T) {
	p := writeTestFile(t, "data.bin", []byte("0123456789"))

	t.Run("own ETag is the validator", func(t *testing.T) {
		resp := FromFile(openTestFile(t, p)).WithHeader(Header{"ETag", `"v1"`})
		w, _ := renderFile(t, fakeRequest("GET", "If-None-Match", `"v1"`), resp)
		if w.status != 304 || len(w.header["etag"]) != 1 || w.get("ETag") != `"v1"` {
			t.Errorf("%d %v; want 304 with the one ETag \"v1\"", w.status, w.header)
		}
	})
	t.Run("own Content-Type kept, also in parts", func(t *testing.T) {
		resp := FromFile(openTestFile(t, p)).WithHeader(Header{"Content-Type", "application/x-test"})
		w, err := renderFile(t, fakeRequest("GET"), resp)
		if err != nil || w.get("Content-Type") != "application/x-test" || len(w.header["content-type"]) != 1 {
			t.Errorf("200: %v (%v)", w.header, err)
		}
		resp = FromFile(openTestFile(t, p)).WithHeader(Header{"Content-Type", "application/x-test"})
		w, err = renderFile(t, fakeRequest("GET", "Range", "bytes=0-0,-1"), resp)
		if err != nil || !strings.Contains(w.body, "Content-Type: application/x-test\r\n") || !strings.HasPrefix(w.get("Content-Type"), "multipart/byteranges;") {
			t.Errorf("multipart: %v %q (%v)", w.header, w.body, err)
		}
	})
	t.Run("Accept-Ranges none disables ranges", func(t *testing.T) {
		resp := FromFile(openTestFile(t, p)).WithHeader(Header{"Accept-Ranges", "none"})
		w, err := renderFile(t, fakeRequest("GET", "Range", "bytes=5-"), resp)
		if err != nil || w.status != 200 || w.body != "0123456789" || len(w.header["accept-ranges"]) != 1 {
			t.Errorf("%d %v %q (%v); want 200 with the whole file and only Accept-Ranges: none", w.status, w.header, w.body, err)
		}
	})
	t.Run("own Content-Range: left alone", func(t *testing.T) {
		resp := FromFile(openTestFile(t, p)).WithHeader(Header{"Content-Range", "bytes 0-9/10"})
		w, err := renderFile(t, fakeRequest("GET", "Range", "bytes=5-"), resp)
		if err != nil || w.status != 200 || w.has("ETag") || w.body != "0123456789" {
			t.Errorf("%d %v (%v); want the response untouched", w.status, w.header, err)
		}
	})
	t.Run("not 200: left alone", func(t *testing.T) {
		resp := FromFile(openTestFile(t, p)).WithStatusCode(404)
		w, _ := renderFile(t, fakeRequest("GET", "Range", "bytes=5-"), resp)
		if w.status != 404 || w.has("ETag") || w.body != "0123456789" {
			t.Errorf("%d %v; want the 404 untouched", w.status, w.header)
		}
	})
	t.Run("sniffed type, offset kept", func(t *testing.T) {
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
		q := writeTestFile(t, "picture", png)
		w, err := renderFile(t, fakeRequest("GET"), FromFile(openTestFile(t, q)))
		if err != nil || w.get("Content-Type") != "image/png" || w.body != string(png) {
			t.Errorf("%v, %d bytes (%v); want image/png and the whole file", w.header, len(w.body), err)
		}
	})
	t.Run("modification time in the future is clamped", func(t *testing.T) {
		q := writeTestFile(t, "future.txt", []byte("x"))
		future := time.Now().Add(48 * time.Hour)
		if err := os.Chtimes(q, future, future); err != nil {
			t.Fatal(err)
		}
		w, _ := renderFile(t, fakeRequest("GET"), FromFile(openTestFile(t, q)))
		lm, ok := httpfile.ParseHTTPDate(w.get("Last-Modified"))
		if !ok || lm.After(time.Now()) || w.get("ETag") != httpfile.ETag(1, future) {
			t.Errorf("Last-Modified %q, ETag %q; want a date not after now, and the ETag of the real time", w.get("Last-Modified"), w.get("ETag"))
		}
	})
	t.Run("unknown modification time: no Last-Modified", func(t *testing.T) {
		q := writeTestFile(t, "epoch.txt", []byte("x"))
		if err := os.Chtimes(q, time.Unix(0, 0), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		w, _ := renderFile(t, fakeRequest("GET", "If-Modified-Since", lastModNow()), FromFile(openTestFile(t, q)))
		if w.status != 200 || w.has("Last-Modified") || !w.has("ETag") {
			t.Errorf("%d %v; want 200 with an ETag and no Last-Modified", w.status, w.header)
		}
	})
}

func lastModNow() string { return httpfile.FormatHTTPDate(time.Now()) }

// TestFileResponseFraming: a file response goes with Content-Length whatever
// its size (for sendfile), unless the application chose a threshold.
func TestFileResponseFraming(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 4*DefaultChunkedThreshold/16)
	p := writeTestFile(t, "big.bin", big)
	w, err := renderFile(t, fakeRequest("GET"), FromFile(openTestFile(t, p)))
	if err != nil || w.get("Content-Length") != strconv.Itoa(len(big)) || w.has("Transfer-Encoding") || w.body != string(big) {
		t.Errorf("default threshold: %v, %d bytes (%v); want Content-Length %d", w.header, len(w.body), err, len(big))
	}
	w, err = renderFile(t, fakeRequest("GET"), FromFile(openTestFile(t, p)).WithChunkedThreshold(1024))
	if err != nil || w.get("Transfer-Encoding") != "chunked" || w.has("Content-Length") {
		t.Errorf("own threshold: %v (%v); want chunked", w.header, err)
	}
}

// TestFileShrunk: a file that shrank after FromFile looked at it makes the
// response fail (the connection is then closed), never sends a wrong body
// as if it were right.
func TestFileShrunk(t *testing.T) {
	tests := []struct {
		name, rng string
		wantErr   error
	}{
		{"whole", "", ErrBodyLength},
		{"single range", "bytes=4-", ErrBodyLength},
		{"multipart", "bytes=0-1,6-9", httpfile.ErrShortFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTestFile(t, "shrinks.txt", []byte("0123456789"))
			resp := FromFile(openTestFile(t, p))
			if err := os.Truncate(p, 5); err != nil {
				t.Fatal(err)
			}
			var fields []string
			if tt.rng != "" {
				fields = []string{"Range", tt.rng}
			}
			resp = applyFileConditions(fakeRequest("GET", fields...), resp, &exchange{}, nil)
			_, closeAfter, err := render(t, resp, "GET", v11, -1)
			if !errors.Is(err, tt.wantErr) || !closeAfter {
				t.Errorf("err = %v, closeAfter = %v; want %v and a close", err, closeAfter, tt.wantErr)
			}
		})
	}
}

// TestFileRangeMidFile: a single range that ends before the end of the file
// is sent without error (the writer must not mistake the rest of the file
// for a body longer than declared), so the connection stays usable.
func TestFileRangeMidFile(t *testing.T) {
	p := writeTestFile(t, "ten.txt", []byte("0123456789"))
	w, err := renderFile(t, fakeRequest("GET", "Range", "bytes=2-4"), FromFile(openTestFile(t, p)))
	if w.status != 206 || w.body != "234" || w.get("Content-Range") != "bytes 2-4/10" {
		t.Errorf("got %d %q %v; want 206 \"234\"", w.status, w.body, w.header)
	}
	if err != nil {
		t.Errorf("writing a 206 for bytes 2-4 of a 10-byte file: %v (response.go's checkLength probes the file past the range)", err)
	}
}

// TestFileConditionsAllocs keeps the answer to a file request cheap: the
// Response, the header slice growing once, one string for the validators,
// one for Content-Range.
func TestFileConditionsAllocs(t *testing.T) {
	p := writeTestFile(t, "ten.txt", []byte("0123456789"))
	f := openTestFile(t, p)
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *Request
		max  float64
	}{
		{"200", fakeRequest("GET", "Host", "h", "Accept", "*/*"), 3},
		{"206", fakeRequest("GET", "Host", "h", "Range", "bytes=2-4"), 4},
	}
	for _, tt := range tests {
		n := testing.AllocsPerRun(100, func() { applyFileConditions(tt.req, newFileResponse(f, fi.Size(), fi.ModTime()), &exchange{}, nil) })
		t.Logf("%s: %.0f allocations", tt.name, n)
		if n > tt.max {
			t.Errorf("%s: %.0f allocations per file response, want at most %.0f", tt.name, n, tt.max)
		}
	}
}

// readFromConn is a TCP connection that records what its ReadFrom is given,
// to check that file bodies reach the connection's ReadFrom (sendfile).
type readFromConn struct {
	*net.TCPConn
	files *atomic.Int64 // ReadFrom calls given an *os.File, bare or limited
	other *atomic.Int64 // ReadFrom calls given anything else
}

func (c readFromConn) ReadFrom(r io.Reader) (int64, error) {
	src := r
	if lr, ok := r.(*io.LimitedReader); ok {
		src = lr.R
	}
	if _, ok := src.(*os.File); ok {
		c.files.Add(1)
	} else {
		c.other.Add(1)
	}
	return c.TCPConn.ReadFrom(r)
}

// readFromListener hands out readFromConns.
type readFromListener struct {
	net.Listener
	files, other atomic.Int64
}

func (l *readFromListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return readFromConn{TCPConn: c.(*net.TCPConn), files: &l.files, other: &l.other}, nil
}

// fetchWithReadFromWatch serves one GET of /big.bin (with Range rng, if
// set) through serve, on a server whose connections count what reaches
// their ReadFrom, and returns that count and the raw bytes the client read
// until the server closed. Goroutine leaks fail the test.
func fetchWithReadFromWatch(t *testing.T, serve func(*Request) error, rng string) (*readFromListener, []byte) {
	t.Helper()
	base := wiretest.Goroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &readFromListener{Listener: ln}
	s, err := FromListener(rl, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for r := range s.Incoming() {
			if err := serve(r); err != nil {
				t.Errorf("serving %s: %v", r.URL(), err)
			}
		}
	})
	defer func() {
		s.Close()
		wg.Wait()
		wiretest.CheckLeaks(t, base)
	}()
	c, err := net.DialTimeout("tcp", s.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	req := "GET /big.bin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
	if rng != "" {
		req += "Range: " + rng + "\r\n"
	}
	io.WriteString(c, req+"\r\n")
	raw, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return rl, raw
}

// TestFileResponseUsesReadFrom checks that whole files and single ranges
// reach the connection's ReadFrom as the file itself (which net's TCPConn
// sends with sendfile), and that nothing else does.
func TestFileResponseUsesReadFrom(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	p := writeTestFile(t, "big.bin", data)
	tests := []struct {
		name, rng string
		want      []byte
		viaFile   bool
	}{
		{"200", "", data, true},
		{"206 tail", "bytes=1000-", data[1000:], true},
		{"206 middle", "bytes=1000-99999", data[1000:100000], true},
		{"206 multipart", "bytes=0-9,20-29", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl, raw := fetchWithReadFromWatch(t, func(r *Request) error {
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				return r.Respond(FromFile(f))
			}, tt.rng)
			head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
			if tt.want != nil && !bytes.Equal(body, tt.want) {
				t.Fatalf("body: %d bytes, want %d\n%s", len(body), len(tt.want), head)
			}
			if got := rl.files.Load() > 0; got != tt.viaFile {
				t.Errorf("ReadFrom given the file: %v, want %v (%d other ReadFrom calls)\n%s", got, tt.viaFile, rl.other.Load(), head)
			}
			if tt.viaFile && rl.other.Load() > 0 {
				t.Errorf("%d ReadFrom calls with something other than the file", rl.other.Load())
			}
		})
	}
}

// BenchmarkFileResponse measures a 1 MiB file response over loopback TCP, a
// keep-alive client asking for it again and again: the whole file (sent
// with sendfile), a 512 KiB range at the end of it, and a 304.
func BenchmarkFileResponse(b *testing.B) {
	const size = 1 << 20
	p := writeTestFile(b, "bench.bin", bytes.Repeat([]byte("0123456789abcdef"), size/16))
	etag := httpfile.ETag(size, fileModTime)
	cases := []struct {
		name, fields string
		bytes        int64
		status       string
	}{
		{"200", "", size, "200"},
		{"206", "Range: bytes=524288-\r\n", size / 2, "206"},
		{"304", "If-None-Match: " + etag + "\r\n", 0, "304"},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			s, err := HTTP("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			wg := serveFileWorkers(s, p, 2)
			defer func() {
				s.Close()
				wg.Wait()
			}()
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 64<<10)
			req := []byte("GET /bench.bin HTTP/1.1\r\nHost: h\r\n" + bc.fields + "\r\n")
			b.SetBytes(bc.bytes)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				n, err := readBenchResponse(br, bc.status)
				if err != nil {
					b.Fatal(err)
				}
				if n != bc.bytes {
					b.Fatalf("%d body bytes, want %d", n, bc.bytes)
				}
			}
		})
	}
}

// readBenchResponse reads one response with the given status and a
// Content-Length (or none, for a 304), discarding its body, and returns the
// body's length.
func readBenchResponse(br *bufio.Reader, status string) (int64, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 "+status+" ")) {
		return 0, fmt.Errorf("status line %q, want %s", line, status)
	}
	length := int64(0)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(name), "Content-Length") {
			length, err = strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
			if err != nil || length < 0 || length > math.MaxInt32 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	return io.CopyN(io.Discard, br, length)
}

// serveFileWorkers answers every request with FromFile(path) from workers
// goroutines until s closes; wait on the group after Close.
func serveFileWorkers(s *Server, path string, workers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for r := range s.Incoming() {
				f, err := os.Open(path)
				if err != nil {
					r.Respond(Empty(500))
					continue
				}
				r.Respond(FromFile(f))
			}
		})
	}
	return &wg
}
