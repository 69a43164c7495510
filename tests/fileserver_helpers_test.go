package tests

// Helpers of the file response tests (ranges_test.go) and the file server
// tests (fileserver_test.go): test trees with known modification times, a
// server running the fileserver example's handler and recording what it
// answered, real clients run with a time bound, and a WAV file made by hand.

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/fileserver/fileserve"
	"github.com/c0c8f223/tinyhttp/internal/httpfile"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// fileTestModTime is the modification time of every file the tests write, so
// that validators are known in advance.
var fileTestModTime = time.Date(2024, time.March, 5, 6, 7, 8, 0, time.UTC)

// tenBytes is the 10-byte resource of CONFORMANCE.md §4.
const tenBytes = "0123456789"

// writeTree writes files (slash-separated path → content) under a new
// temporary directory, each with fileTestModTime, and returns the directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, fileTestModTime, fileTestModTime); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// etagOf returns the ETag tinyhttp sends for a test file of size bytes.
func etagOf(size int) string { return httpfile.ETag(int64(size), fileTestModTime) }

// fileRecord is what a file server answered to one request.
type fileRecord struct {
	method, target, rangeField string
	status                     tinyhttp.StatusCode
	err                        error // Respond's
}

// fileLog records the answers of a server, for checks made on the server side.
type fileLog struct {
	mu      sync.Mutex
	records []fileRecord
}

func (l *fileLog) add(r fileRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
}

// all returns a copy of the records so far.
func (l *fileLog) all() []fileRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]fileRecord(nil), l.records...)
}

// waitFor polls until cond holds for the records (a server logs an answer
// after Respond returns, which may be after the client has it all), or
// wiretest.Timeout passes; it returns whether cond held.
func (l *fileLog) waitFor(cond func([]fileRecord) bool) bool {
	return wiretest.PollUntil(func() bool { return cond(l.all()) })
}

// errors returns the Respond errors recorded so far.
func (l *fileLog) errors() []error {
	var errs []error
	for _, r := range l.all() {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	return errs
}

// startFileServer starts a server whose workers run the fileserver
// example's handler on dir, and returns it with the log of its answers.
func startFileServer(t *testing.T, dir string) (*server, *fileLog) {
	t.Helper()
	h, err := fileserve.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := &fileLog{}
	h.Log = func(req *tinyhttp.Request, status tinyhttp.StatusCode, err error) {
		rng, _ := req.Header("Range")
		log.add(fileRecord{method: string(req.Method()), target: req.URL(), rangeField: rng, status: status, err: err})
	}
	s := newServer(t)
	t.Cleanup(func() { h.Close() }) // runs after the server is closed
	s.serve(2, h.Serve)
	return s, log
}

// startFromFileServer starts a server answering every request with
// tinyhttp.ServeFile of the request path under dir (the tests' paths are
// safe), and returns it with the log of its answers.
func startFromFileServer(t *testing.T, dir string) (*server, *fileLog) {
	t.Helper()
	log := &fileLog{}
	s := newServer(t)
	s.serve(2, func(r *tinyhttp.Request) {
		p, _, _ := strings.Cut(r.URL(), "?")
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(p)))
		resp := tinyhttp.Empty(tinyhttp.StatusNotFound)
		if err == nil {
			resp = tinyhttp.FromFile(f)
		}
		rng, _ := r.Header("Range")
		err = r.Respond(resp)
		log.add(fileRecord{method: string(r.Method()), target: r.URL(), rangeField: rng, status: resp.StatusCode(), err: err})
	})
	return s, log
}

// exchange sends one request (method, target and extra field lines, each
// "Name: value") on a new connection and returns the response.
func exchange(t *testing.T, s *server, method, target string, fields ...string) *wiretest.Response {
	t.Helper()
	c := s.dial()
	defer c.Close()
	c.Send(requestText(method, target, fields...))
	return c.ReadResponse(method == "HEAD")
}

// requestText is an HTTP/1.1 request without a body.
func requestText(method, target string, fields ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: test\r\n")
	for _, f := range fields {
		b.WriteString(f + "\r\n")
	}
	if method == "POST" || method == "PUT" {
		b.WriteString("Content-Length: 0\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// toolTimeout bounds a run of a real client (curl, wget, chromium).
const toolTimeout = 60 * time.Second

// needTool skips the test when the program is not installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (install it with: bash scripts/install-deps.sh, or apt-get install %s)", name, name)
	}
	return p
}

// runTool runs a program in dir with a time bound and returns its standard
// output; it fails the test when the program fails.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = time.Second // do not wait on pipes a killed child's children hold
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, wiretest.Truncate(stdout.String()), wiretest.Truncate(stderr.String()))
	}
	return stdout.String()
}

// Parameters of the WAV file the browser test seeks in.
const (
	wavRate    = 8000 // samples per second: small, and every browser plays it
	wavSeconds = 6
	wavTone    = 440 // Hz
)

// makeWAV returns a WAV file (RIFF, PCM, 16-bit mono) of seconds seconds of
// a sine wave, the header written field by field.
func makeWAV(seconds int) []byte {
	const (
		bitsPerSample = 16
		channels      = 1
		blockAlign    = channels * bitsPerSample / 8
		fmtChunkSize  = 16 // the PCM fmt chunk
		formatPCM     = 1
		amplitude     = 0.3 * math.MaxInt16
	)
	n := wavRate * seconds
	dataSize := n * blockAlign
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(4 + 8 + fmtChunkSize + 8 + dataSize)) // "WAVE", the fmt chunk, the data chunk
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	le(uint32(fmtChunkSize))
	le(uint16(formatPCM))
	le(uint16(channels))
	le(uint32(wavRate))
	le(uint32(wavRate * blockAlign)) // byte rate
	le(uint16(blockAlign))
	le(uint16(bitsPerSample))
	b.WriteString("data")
	le(uint32(dataSize))
	for i := range n {
		le(int16(amplitude * math.Sin(2*math.Pi*wavTone*float64(i)/wavRate)))
	}
	return b.Bytes()
}
