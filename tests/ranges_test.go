package tests

// File responses over the wire: the range rules R01–R12 of CONFORMANCE.md
// §4, conditional requests, ServeFile, and a differential test against
// net/http's ServeContent on the same files.

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/httpfile"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// rangeCheck is what a test expects of a response to a file request.
type rangeCheck struct {
	status int
	cr     string // Content-Range; "" for none
	body   string // for a non-multipart response to GET
}

// check compares r with want, and checks what every file response carries.
func (want rangeCheck) check(t *testing.T, r *wiretest.Response, method string) {
	t.Helper()
	cr, hasCR := r.Get("Content-Range")
	if r.Status != want.status || cr != want.cr || want.cr == "" && hasCR {
		t.Fatalf("got %d with Content-Range %q, want %d with %q\n%s", r.Status, cr, want.status, want.cr, r)
	}
	if method != "HEAD" && want.status != 304 && string(r.Body) != want.body {
		t.Errorf("body %q, want %q", wiretest.Truncate(string(r.Body)), wiretest.Truncate(want.body))
	}
	if ar, _ := r.Get("Accept-Ranges"); ar != "bytes" { // R11
		t.Errorf("Accept-Ranges %q, want bytes", ar)
	}
	if _, ok := r.Get("ETag"); !ok {
		t.Errorf("no ETag\n%s", r)
	}
	if r.Chunked {
		t.Errorf("file response sent chunked\n%s", r)
	}
}

// multipartParts parses a multipart/byteranges response into its parts'
// Content-Range and data, checking each part has a Content-Type.
func multipartParts(t *testing.T, r *wiretest.Response) [][2]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(must(r.Get("Content-Type")))
	if err != nil || mt != "multipart/byteranges" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q (%v), want multipart/byteranges with a boundary\n%s", must(r.Get("Content-Type")), err, r)
	}
	var parts [][2]string
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("multipart body: %v\n%s", err, r)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("multipart part: %v", err)
		}
		if p.Header.Get("Content-Type") == "" {
			t.Errorf("part %q has no Content-Type", p.Header.Get("Content-Range"))
		}
		parts = append(parts, [2]string{p.Header.Get("Content-Range"), string(data)})
	}
}

// must returns the value, ignoring whether the field was there.
func must(v string, _ bool) string { return v }

// TestRanges checks every rule of CONFORMANCE.md §4 against a FromFile
// response over a real socket, on the 10-byte resource "0123456789".
func TestRanges(t *testing.T) {
	dir := writeTree(t, map[string]string{"ten.txt": tenBytes, "empty.txt": ""})
	s, _ := startFromFileServer(t, dir)
	etag := etagOf(10)
	lastMod := httpfile.FormatHTTPDate(fileTestModTime)
	full := rangeCheck{200, "", tenBytes}

	get := func(t *testing.T, want rangeCheck, fields ...string) *wiretest.Response {
		t.Helper()
		r := exchange(t, s, "GET", "/ten.txt", fields...)
		want.check(t, r, "GET")
		return r
	}

	t.Run("R01", func(t *testing.T) {
		r := get(t, rangeCheck{206, "bytes 0-4/10", "01234"}, "Range: bytes=0-4")
		if cl, _ := r.Get("Content-Length"); cl != "5" {
			t.Errorf("Content-Length %q, want 5", cl)
		}
	})
	t.Run("R02", func(t *testing.T) {
		get(t, rangeCheck{206, "bytes 7-9/10", "789"}, "Range: bytes=7-")
		get(t, rangeCheck{206, "bytes 7-9/10", "789"}, "Range: bytes=-3")
		get(t, rangeCheck{206, "bytes 5-9/10", "56789"}, "Range: bytes=5-100")
	})
	t.Run("R03", func(t *testing.T) {
		get(t, rangeCheck{416, "bytes */10", ""}, "Range: bytes=20-30")
	})
	t.Run("R04", func(t *testing.T) {
		r := exchange(t, s, "GET", "/ten.txt", "Range: bytes=0-1,4-5")
		rangeCheck{206, "", string(r.Body)}.check(t, r, "GET")
		parts := multipartParts(t, r)
		want := [][2]string{{"bytes 0-1/10", "01"}, {"bytes 4-5/10", "45"}}
		if diff := cmp.Diff(want, parts); diff != "" {
			t.Errorf("parts (-want +got):\n%s", diff)
		}
		if cl, _ := r.Get("Content-Length"); cl != strconv.Itoa(len(r.Body)) {
			t.Errorf("Content-Length %q for a %d-byte body", cl, len(r.Body))
		}
		// In request order, not sorted.
		parts = multipartParts(t, exchange(t, s, "GET", "/ten.txt", "Range: bytes=8-9,0-0"))
		if diff := cmp.Diff([][2]string{{"bytes 8-9/10", "89"}, {"bytes 0-0/10", "0"}}, parts); diff != "" {
			t.Errorf("parts (-want +got):\n%s", diff)
		}
		// A single satisfiable range is never multipart.
		get(t, rangeCheck{206, "bytes 0-1/10", "01"}, "Range: bytes=0-1,20-30")
	})
	t.Run("R05", func(t *testing.T) {
		for _, v := range []string{"bytes=abc", "bytes=5-1", "items=0-1", "bytes=", "bytes=--1"} {
			get(t, full, "Range: "+v)
		}
	})
	t.Run("R06", func(t *testing.T) {
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			r := exchange(t, s, m, "/ten.txt", "Range: bytes=0-4")
			full.check(t, r, m)
		}
	})
	t.Run("R07", func(t *testing.T) {
		get(t, full, "Range: bytes=0-5,1-6,2-7")
		get(t, full, "Range: bytes="+strings.TrimSuffix(strings.Repeat("0-,", 1000), ","))
	})
	t.Run("R08", func(t *testing.T) {
		get(t, rangeCheck{206, "bytes 0-4/10", "01234"}, "Range: bytes=0-4", "If-Range: "+etag)
		get(t, rangeCheck{206, "bytes 0-4/10", "01234"}, "Range: bytes=0-4", "If-Range: "+lastMod)
		get(t, full, "Range: bytes=0-4", `If-Range: "stale"`)
		get(t, full, "Range: bytes=0-4", "If-Range: "+httpfile.FormatHTTPDate(fileTestModTime.Add(-time.Hour)))
	})
	t.Run("R09", func(t *testing.T) {
		get(t, full, "If-Range: "+etag)
		get(t, full, `If-Range: "stale"`)
	})
	t.Run("R10", func(t *testing.T) {
		get(t, full, "Range: bytes=0-4", "If-Range: W/"+etag)
	})
	t.Run("R11", func(t *testing.T) {
		get(t, full)
		r := exchange(t, s, "GET", "/empty.txt", "Range: bytes=0-4")
		rangeCheck{200, "", ""}.check(t, r, "GET")
		if cl, _ := r.Get("Content-Length"); cl != "0" {
			t.Errorf("empty file: Content-Length %q, want 0", cl)
		}
	})
	t.Run("R12", func(t *testing.T) {
		c := s.dial()
		c.Send(requestText("HEAD", "/ten.txt", "Range: bytes=0-4") + requestText("GET", "/ten.txt", "Range: bytes=-2"))
		r := c.ReadResponse(true)
		rangeCheck{206, "bytes 0-4/10", ""}.check(t, r, "HEAD")
		if cl, _ := r.Get("Content-Length"); cl != "5" {
			t.Errorf("Content-Length %q, want 5", cl)
		}
		// No body: the next pipelined response starts right after the head.
		rangeCheck{206, "bytes 8-9/10", "89"}.check(t, c.ReadResponse(false), "GET")
	})
}

// TestFileConditionalRequests checks 304 and 412 over the wire.
func TestFileConditionalRequests(t *testing.T) {
	dir := writeTree(t, map[string]string{"ten.txt": tenBytes})
	s, _ := startFromFileServer(t, dir)
	etag := etagOf(10)
	lastMod := httpfile.FormatHTTPDate(fileTestModTime)
	before := httpfile.FormatHTTPDate(fileTestModTime.Add(-time.Hour))
	after := httpfile.FormatHTTPDate(fileTestModTime.Add(time.Hour))
	full := rangeCheck{200, "", tenBytes}
	notModified := rangeCheck{status: 304}
	failed := rangeCheck{status: 412}

	tests := []struct {
		name   string
		method string
		fields []string
		want   rangeCheck
	}{
		{"If-None-Match current", "GET", []string{"If-None-Match: " + etag}, notModified},
		{"If-None-Match in a list", "GET", []string{`If-None-Match: "a", ` + etag}, notModified},
		{"If-None-Match weak form matches", "GET", []string{"If-None-Match: W/" + etag}, notModified},
		{"If-None-Match star", "HEAD", []string{"If-None-Match: *"}, notModified},
		{"If-None-Match stale", "GET", []string{`If-None-Match: "stale"`}, full},
		{"If-None-Match on POST", "POST", []string{"If-None-Match: " + etag}, failed},
		{"If-Modified-Since same", "GET", []string{"If-Modified-Since: " + lastMod}, notModified},
		{"If-Modified-Since later", "GET", []string{"If-Modified-Since: " + after}, notModified},
		{"If-Modified-Since earlier", "GET", []string{"If-Modified-Since: " + before}, full},
		{"If-Modified-Since invalid", "GET", []string{"If-Modified-Since: yesterday"}, full},
		{"If-None-Match wins over If-Modified-Since", "GET", []string{`If-None-Match: "stale"`, "If-Modified-Since: " + after}, full},
		{"If-Match current", "GET", []string{"If-Match: " + etag}, full},
		{"If-Match star", "GET", []string{"If-Match: *"}, full},
		{"If-Match stale", "GET", []string{`If-Match: "stale"`}, failed},
		{"If-Match weak never matches", "GET", []string{"If-Match: W/" + etag}, failed},
		{"If-Unmodified-Since earlier", "GET", []string{"If-Unmodified-Since: " + before}, failed},
		{"If-Unmodified-Since same", "GET", []string{"If-Unmodified-Since: " + lastMod}, full},
		{"If-Match wins over If-Unmodified-Since", "GET", []string{"If-Match: " + etag, "If-Unmodified-Since: " + before}, full},
		{"412 before Range", "GET", []string{`If-Match: "stale"`, "Range: bytes=0-4"}, failed},
		{"304 before Range", "GET", []string{"If-None-Match: " + etag, "Range: bytes=0-4"}, notModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exchange(t, s, tt.method, "/ten.txt", tt.fields...)
			tt.want.check(t, r, tt.method)
			switch r.Status {
			case 304:
				// RFC 9110 §15.4.5: the ETag; no representation metadata.
				for _, f := range []string{"Content-Type", "Content-Length", "Transfer-Encoding", "Last-Modified"} {
					if v, ok := r.Get(f); ok {
						t.Errorf("304 with %s: %s", f, v)
					}
				}
			case 200:
				if lm, _ := r.Get("Last-Modified"); lm != lastMod {
					t.Errorf("Last-Modified %q, want %q", lm, lastMod)
				}
			}
			if et, _ := r.Get("ETag"); et != etag {
				t.Errorf("ETag %q, want %q", et, etag)
			}
		})
	}
}

// TestFileRangeKeepsConnection: after a 206 for a range in the middle of a
// file, Respond reports success and the connection serves the next
// request. (A writer that reads past the range to check the body's length
// takes the rest of the file for an overlong body.)
func TestFileRangeKeepsConnection(t *testing.T) {
	dir := writeTree(t, map[string]string{"ten.txt": tenBytes})
	s, log := startFromFileServer(t, dir)
	c := s.dial()
	c.Send(requestText("GET", "/ten.txt", "Range: bytes=2-4") + requestText("GET", "/ten.txt", "Range: bytes=0-0,9-9"))
	rangeCheck{206, "bytes 2-4/10", "234"}.check(t, c.ReadResponse(false), "GET")
	next, err := c.TryReadResponse(false)
	if err != nil {
		t.Errorf("the pipelined request after a mid-file range got no answer: %v", err)
	} else if next.Status != 206 {
		t.Errorf("second response: %d, want 206\n%s", next.Status, next)
	}
	if !log.waitFor(func(rs []fileRecord) bool { return len(rs) == 2 }) {
		t.Errorf("the server answered %d requests, want 2: %+v", len(log.all()), log.all())
	}
	if errs := log.errors(); len(errs) > 0 {
		t.Errorf("Respond errors: %v", errs)
	}
}

// TestServeFile checks ServeFile's answers: the file with its conditions,
// 404 for what is missing or is a directory, 403 for special files.
func TestServeFile(t *testing.T) {
	dir := writeTree(t, map[string]string{"ten.txt": tenBytes, "sub/x.txt": "x"})
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Logf("no FIFO: %v", err)
		fifo = ""
	}
	s := newServer(t)
	s.serve(2, func(r *tinyhttp.Request) {
		p, _, _ := strings.Cut(r.URL(), "?")
		tinyhttp.ServeFile(r, filepath.Join(dir, filepath.FromSlash(p)))
	})
	rangeCheck{206, "bytes 7-9/10", "789"}.check(t, exchange(t, s, "GET", "/ten.txt", "Range: bytes=7-"), "GET")
	rangeCheck{status: 304}.check(t, exchange(t, s, "GET", "/ten.txt", "If-None-Match: "+etagOf(10)), "GET")
	for target, want := range map[string]int{"/missing": 404, "/sub": 404, "/sub/": 404, "/ten.txt/x": 404} {
		if r := exchange(t, s, "GET", target); r.Status != want {
			t.Errorf("%s: %d, want %d", target, r.Status, want)
		}
	}
	if fifo != "" {
		// Refused as a special file, without waiting for a writer (a
		// blocked open would make the read time out and fail the test).
		if r := exchange(t, s, "GET", "/fifo"); r.Status != 403 {
			t.Errorf("FIFO: %d, want 403", r.Status)
		}
	}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked.txt")
		if err := os.WriteFile(locked, []byte("secret"), 0); err != nil {
			t.Fatal(err)
		}
		if r := exchange(t, s, "GET", "/locked.txt"); r.Status != 403 {
			t.Errorf("unreadable file: %d, want 403", r.Status)
		}
	} else {
		t.Log("running as root: the 403 for an unreadable file is not checked")
	}
}

// rawExchange sends req on a new connection to addr and parses the response.
func rawExchange(t *testing.T, addr, req string) *wiretest.Response {
	t.Helper()
	c := wiretest.Dial(t, "tcp", addr)
	defer c.Close()
	c.Send(req)
	r, err := c.TryReadResponse(strings.HasPrefix(req, "HEAD "))
	if err != nil {
		t.Fatalf("reading the response to %q: %v", wiretest.Truncate(req), err)
	}
	return r
}

// TestFileServeContentDifferential sends the same requests to a tinyhttp
// FromFile server and to net/http's ServeContent (given the same ETag) on
// the same files, and compares status, Content-Range and body (part by
// part for multipart/byteranges, whose boundaries differ).
//
// The deliberate differences, each a case below with both statuses:
//   - A syntactically invalid Range or an unknown unit: net/http answers 416,
//     we ignore the field (200), which RFC 9110 §14.2 allows for invalid
//     ranges and requires for unknown units.
//   - Range on a method other than GET/HEAD: net/http honours it (206), RFC
//     9110 §14.2 says to ignore it (200).
//   - More than two overlapping ranges, or more than httpfile.MaxRanges
//     ranges: net/http sends them all (206), we send the whole file (200),
//     against the CVE-2011-3192 class of amplification.
//   - If-Range with a date: net/http compares the parsed date at one-second
//     resolution, we require the exact Last-Modified value sent (RFC 9110
//     §13.1.5 "exactly matches"), so the same instant in the obsolete
//     rfc850 form is false for us (200) and true for net/http (206).
//
// Not compared: header fields other than Content-Range (net/http's 416 has
// a text body and Content-Type, ours is empty; its 304 keeps Last-Modified
// only when there is no ETag), and multipart boundaries and framing.
func TestFileServeContentDifferential(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	bin := make([]byte, 100_000)
	for i := range bin {
		bin[i] = byte(rnd.UintN(256))
	}
	files := map[string]string{"ten.txt": tenBytes, "empty.txt": "", "bin.dat": string(bin)}
	dir := writeTree(t, files)
	s, _ := startFromFileServer(t, dir)

	std := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("ETag", httpfile.ETag(fi.Size(), fi.ModTime()))
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	}))
	defer std.Close()
	stdAddr := strings.TrimPrefix(std.URL, "http://")

	etag10 := etagOf(10)
	lastMod := httpfile.FormatHTTPDate(fileTestModTime)
	rfc850 := fileTestModTime.Format("Monday, 02-Jan-06 15:04:05 GMT")
	many := make([]string, httpfile.MaxRanges+1)
	for i := range many {
		many[i] = fmt.Sprintf("%d-%d", i*10, i*10+4)
	}
	tests := []struct {
		name, method, path string
		fields             []string
		ours, theirs       int // status codes; theirs 0: same as ours
	}{
		{"whole", "GET", "/ten.txt", nil, 200, 0},
		{"HEAD", "HEAD", "/bin.dat", nil, 200, 0},
		{"first bytes", "GET", "/ten.txt", []string{"Range: bytes=0-4"}, 206, 0},
		{"open-ended", "GET", "/bin.dat", []string{"Range: bytes=99000-"}, 206, 0},
		{"suffix", "GET", "/bin.dat", []string{"Range: bytes=-500"}, 206, 0},
		{"suffix longer than the file", "GET", "/ten.txt", []string{"Range: bytes=-50"}, 206, 0},
		{"clamped", "GET", "/ten.txt", []string{"Range: bytes=5-100"}, 206, 0},
		{"middle", "GET", "/bin.dat", []string{"Range: bytes=1000-60999"}, 206, 0},
		{"HEAD range", "HEAD", "/bin.dat", []string{"Range: bytes=10-19"}, 206, 0},
		{"two ranges", "GET", "/bin.dat", []string{"Range: bytes=0-99,5000-5999"}, 206, 0},
		{"two ranges with spaces", "GET", "/ten.txt", []string{"Range: bytes= 0-1 , 4-5"}, 206, 0},
		{"reversed order", "GET", "/bin.dat", []string{"Range: bytes=5000-5099,0-9"}, 206, 0},
		{"one satisfiable of two", "GET", "/ten.txt", []string{"Range: bytes=0-1,20-30"}, 206, 0},
		{"unsatisfiable", "GET", "/ten.txt", []string{"Range: bytes=20-30"}, 416, 0},
		{"empty file", "GET", "/empty.txt", []string{"Range: bytes=0-4"}, 200, 0},
		{"ranges adding up to more than the file", "GET", "/ten.txt", []string{"Range: bytes=0-5,1-6,2-7"}, 200, 0},
		{"If-Range current ETag", "GET", "/ten.txt", []string{"Range: bytes=0-4", "If-Range: " + etag10}, 206, 0},
		{"If-Range stale ETag", "GET", "/ten.txt", []string{"Range: bytes=0-4", `If-Range: "x"`}, 200, 0},
		{"If-Range weak ETag", "GET", "/ten.txt", []string{"Range: bytes=0-4", "If-Range: W/" + etag10}, 200, 0},
		{"If-Range Last-Modified", "GET", "/ten.txt", []string{"Range: bytes=0-4", "If-Range: " + lastMod}, 206, 0},
		{"If-None-Match", "GET", "/ten.txt", []string{"If-None-Match: " + etag10}, 304, 0},
		{"If-Modified-Since", "GET", "/ten.txt", []string{"If-Modified-Since: " + lastMod}, 304, 0},
		{"If-Match stale", "GET", "/ten.txt", []string{`If-Match: "x"`}, 412, 0},
		{"If-Match current", "GET", "/ten.txt", []string{"If-Match: " + etag10, "Range: bytes=1-2"}, 206, 0},
		{"If-Unmodified-Since earlier", "GET", "/ten.txt", []string{"If-Unmodified-Since: " + httpfile.FormatHTTPDate(fileTestModTime.Add(-time.Hour))}, 412, 0},

		// Deliberate differences (see the doc comment).
		{"invalid range", "GET", "/ten.txt", []string{"Range: bytes=abc"}, 200, 416},
		{"reversed range", "GET", "/ten.txt", []string{"Range: bytes=5-1"}, 200, 416},
		{"unknown unit", "GET", "/ten.txt", []string{"Range: items=0-1"}, 200, 416},
		{"Range on POST", "POST", "/ten.txt", []string{"Range: bytes=0-4"}, 200, 206},
		{"three overlapping ranges", "GET", "/bin.dat", []string{"Range: bytes=0-9,0-9,0-9"}, 200, 206},
		{"too many ranges", "GET", "/bin.dat", []string{"Range: bytes=" + strings.Join(many, ",")}, 200, 206},
		{"If-Range rfc850 date", "GET", "/ten.txt", []string{"Range: bytes=0-4", "If-Range: " + rfc850}, 200, 206},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := requestText(tt.method, tt.path, tt.fields...)
			ours := rawExchange(t, s.Addr().String(), req)
			theirs := rawExchange(t, stdAddr, req)
			wantTheirs := tt.theirs
			if wantTheirs == 0 {
				wantTheirs = tt.ours
			}
			if ours.Status != tt.ours || theirs.Status != wantTheirs {
				t.Fatalf("tinyhttp %d, net/http %d; want %d and %d\n--- tinyhttp:\n%s\n--- net/http:\n%s",
					ours.Status, theirs.Status, tt.ours, wantTheirs, ours, theirs)
			}
			if ours.Status != theirs.Status {
				return // a deliberate difference: nothing more to compare
			}
			ocr, _ := ours.Get("Content-Range")
			tcr, _ := theirs.Get("Content-Range")
			if ocr != tcr {
				t.Errorf("Content-Range: tinyhttp %q, net/http %q", ocr, tcr)
			}
			octype, _ := ours.Get("Content-Type")
			if ours.Status == 206 && strings.HasPrefix(octype, "multipart/") {
				if diff := cmp.Diff(multipartParts(t, theirs), multipartParts(t, ours), wiretest.SummarizeLongStrings); diff != "" {
					t.Errorf("parts (-net/http +tinyhttp):\n%s", diff)
				}
				return
			}
			if ours.Status == 200 || ours.Status == 206 {
				if !bytes.Equal(ours.Body, theirs.Body) {
					t.Errorf("bodies differ: tinyhttp %d bytes, net/http %d", len(ours.Body), len(theirs.Body))
				}
				ocl, _ := ours.Get("Content-Length")
				tcl, _ := theirs.Get("Content-Length")
				if ocl != tcl {
					t.Errorf("Content-Length: tinyhttp %q, net/http %q", ocl, tcl)
				}
			}
		})
	}
}
