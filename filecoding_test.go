package tinyhttp

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/c0c8f223/tinyhttp/internal/httpfile"
)

// The answers to conditional and range requests for a file response that
// is content-coded (WithCompression, or ServerConfig.Compression): a 304
// and a 412 stand for the representation a 200 to the same request would
// have sent, so they carry its ETag (weak when coded) and Vary (RFC 9110
// §15.4.5), and the coded representation's ETag is weak, so that If-Match
// never matches it (§13.1.1); a range request is answered from the
// uncoded representation, with its strong ETag, and Vary (§15.3.7).

// codedFileWant is what a test expects of one answer: the status, and the
// fields named (a field absent from the map is not checked; "" means the
// field must be absent).
type codedFileWant struct {
	status int
	fields map[string]string
}

// startFileServer serves the files of dir at /name under cfg; optIn makes
// every response call WithCompression.
func startFileServer(t *testing.T, cfg ServerConfig, dir string, optIn bool) *Server {
	t.Helper()
	cfg.ErrorLog = discardLog()
	s := startServer(t, cfg)
	go func() {
		for r := range s.Incoming() {
			f, err := os.Open(filepath.Join(dir, filepath.Base(r.URL())))
			if err != nil {
				r.Respond(Empty(StatusNotFound))
				continue
			}
			resp := FromFile(f)
			if optIn {
				resp = resp.WithCompression()
			}
			r.Respond(resp)
		}
	}()
	return s
}

// fileExchange writes one raw request on a new connection to s and reads
// the answer, its body included (none for HEAD, 304 and 412's empty one).
func fileExchange(t *testing.T, s *Server, req string) (*http.Response, string) {
	t.Helper()
	c := dial(t, s)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(req, " ")
	res, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", req, err)
	}
	return res, string(body)
}

// checkCodedFile compares res with want; name says which request it answers.
func checkCodedFile(t *testing.T, name string, res *http.Response, want codedFileWant) {
	t.Helper()
	if res.StatusCode != want.status {
		t.Errorf("%s: status %d, want %d\n%v", name, res.StatusCode, want.status, res.Header)
		return
	}
	for field, v := range want.fields {
		got := strings.Join(res.Header.Values(field), ", ")
		if got != v {
			t.Errorf("%s: %s %q, want %q\n%v", name, field, got, v, res.Header)
		}
	}
}

// TestFileCodingConditional: the 304, 412, 206 and 200 answers for a file
// that a 200 sends compressed, both opted in (WithCompression) and chosen
// by the server-wide policy, over a loopback socket; a HEAD gets the
// headers its GET does.
func TestFileCodingConditional(t *testing.T) {
	dir := t.TempDir()
	writeFileAt(t, dir, "ten.txt", "0123456789")
	etag := httpfile.ETag(10, fileModTime)
	weak := "W/" + etag
	lastMod := httpfile.FormatHTTPDate(fileModTime)
	const ae = "Accept-Encoding"

	// The fields of the two representations (no Accept-Ranges: "" is absent).
	coded := func(status int, ce string) codedFileWant {
		return codedFileWant{status, map[string]string{"ETag": weak, "Vary": ae, "Accept-Ranges": "", "Content-Encoding": ce}}
	}
	plain := func(status int) codedFileWant {
		return codedFileWant{status, map[string]string{"ETag": etag, "Vary": ae, "Accept-Ranges": "bytes", "Content-Encoding": ""}}
	}
	noMeta := map[string]string{"Content-Type": "", "Last-Modified": "", "Content-Length": ""}
	tests := []struct {
		name, method, fields string
		want                 codedFileWant
	}{
		{"200 gzip", "GET", "Accept-Encoding: gzip\r\n", coded(200, "gzip")},
		{"HEAD 200 gzip", "HEAD", "Accept-Encoding: gzip\r\n", coded(200, "gzip")},
		{"304 If-None-Match weak", "GET", "Accept-Encoding: gzip\r\nIf-None-Match: " + weak + "\r\n", coded(304, "")},
		{"304 If-None-Match strong", "GET", "Accept-Encoding: gzip\r\nIf-None-Match: " + etag + "\r\n", coded(304, "")},
		{"304 If-Modified-Since", "GET", "Accept-Encoding: gzip\r\nIf-Modified-Since: " + lastMod + "\r\n", coded(304, "")},
		{"304 deflate", "GET", "Accept-Encoding: deflate\r\nIf-None-Match: " + weak + "\r\n", coded(304, "")},
		{"HEAD 304", "HEAD", "Accept-Encoding: gzip\r\nIf-None-Match: " + weak + "\r\n", coded(304, "")},
		{"304 no Accept-Encoding", "GET", "If-None-Match: " + weak + "\r\n", plain(304)},
		{"304 no acceptable coding", "GET", "Accept-Encoding: br\r\nIf-None-Match: " + etag + "\r\n", plain(304)},
		{"412 If-Match strong", "GET", "Accept-Encoding: gzip\r\nIf-Match: " + etag + "\r\n", coded(412, "")},
		{"412 If-Match weak", "GET", "Accept-Encoding: gzip\r\nIf-Match: " + weak + "\r\n", coded(412, "")},
		{"If-Match *", "GET", "Accept-Encoding: gzip\r\nIf-Match: *\r\n", coded(200, "gzip")},
		{"If-Match uncoded", "GET", "If-Match: " + etag + "\r\n", plain(200)},
		{"412 If-Unmodified-Since", "GET", "Accept-Encoding: gzip\r\nIf-Unmodified-Since: " +
			httpfile.FormatHTTPDate(fileModTime.Add(-1e9)) + "\r\n", coded(412, "")},
		{"206", "GET", "Accept-Encoding: gzip\r\nRange: bytes=0-4\r\n", plain(206)},
		{"206 If-Range", "GET", "Accept-Encoding: gzip\r\nRange: bytes=0-4\r\nIf-Range: " + etag + "\r\n", plain(206)},
		{"206 If-Match", "GET", "Accept-Encoding: gzip\r\nRange: bytes=0-4\r\nIf-Match: " + etag + "\r\n", plain(206)},
		{"206 multipart", "GET", "Accept-Encoding: gzip\r\nRange: bytes=0-1,4-5\r\n", plain(206)},
		{"HEAD 206", "HEAD", "Accept-Encoding: gzip\r\nRange: bytes=0-4\r\n", plain(206)},
		{"If-Range weak: 200 gzip", "GET", "Accept-Encoding: gzip\r\nRange: bytes=0-4\r\nIf-Range: " + weak + "\r\n", coded(200, "gzip")},
		{"If-Match, Range ignored", "GET", "Accept-Encoding: gzip\r\nRange: bytes=abc\r\nIf-Match: " + etag + "\r\n", coded(412, "")},
	}
	for _, mode := range []struct {
		name  string
		cfg   ServerConfig
		optIn bool
	}{
		{"WithCompression", ServerConfig{}, true},
		{"policy", ServerConfig{Compression: &CompressionConfig{MinSize: -1}}, false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			s := startFileServer(t, mode.cfg, dir, mode.optIn)
			for _, tt := range tests {
				res, body := fileExchange(t, s, tt.method+" /ten.txt HTTP/1.1\r\nHost: x\r\n"+tt.fields+"\r\n")
				checkCodedFile(t, tt.name, res, tt.want)
				switch tt.want.status {
				case 304:
					checkCodedFile(t, tt.name, res, codedFileWant{304, noMeta})
				case 412: // an empty body, framed, and no representation metadata
					checkCodedFile(t, tt.name, res, codedFileWant{412, map[string]string{"Content-Type": "", "Content-Length": "0"}})
				case 200:
					if tt.method == "GET" && decodeAs(t, res.Header.Get("Content-Encoding"), []byte(body)) != "0123456789" {
						t.Errorf("%s: body %q", tt.name, body)
					}
				}
				if tt.method == "GET" {
					head, _ := fileExchange(t, s, "HEAD /ten.txt HTTP/1.1\r\nHost: x\r\n"+tt.fields+"\r\n")
					checkSameHeaders(t, tt.name, res, head)
				}
			}
		})
	}
}

// checkSameHeaders checks that head, the answer to a HEAD, has the status
// and header fields of get, the answer to the same GET, but for Date and a
// multipart boundary.
func checkSameHeaders(t *testing.T, name string, get, head *http.Response) {
	t.Helper()
	g, h := get.Header.Clone(), head.Header.Clone()
	for _, hs := range []http.Header{g, h} {
		hs.Del("Date")
		if ct, _, ok := strings.Cut(hs.Get("Content-Type"), "boundary="); ok {
			hs.Set("Content-Type", ct)
		}
	}
	if head.StatusCode != get.StatusCode || !reflect.DeepEqual(g, h) {
		t.Errorf("%s: HEAD answered %d %v, GET %d %v", name, head.StatusCode, h, get.StatusCode, g)
	}
}

// TestFileCodingConditionalPolicy: under the server-wide policy, a 304
// carries Vary only when the 200 would be compressed, which depends on the
// file's media type, from its name or its content.
func TestFileCodingConditionalPolicy(t *testing.T) {
	dir := t.TempDir()
	writeFileAt(t, dir, "ten.png", "0123456789")
	writeFileAt(t, dir, "noext", "plain text, sniffed")
	writeFileAt(t, dir, "empty.txt", "")
	s := startFileServer(t, ServerConfig{Compression: &CompressionConfig{MinSize: -1}}, dir, false)
	for _, tt := range []struct {
		path string
		size int64
		want codedFileWant
	}{
		{"ten.png", 10, codedFileWant{304, map[string]string{"Vary": "", "Accept-Ranges": "bytes"}}},
		{"noext", 19, codedFileWant{304, map[string]string{"Vary": "Accept-Encoding", "Accept-Ranges": ""}}},
		{"empty.txt", 0, codedFileWant{304, map[string]string{"Vary": "", "Accept-Ranges": "bytes"}}},
	} {
		etag := httpfile.ETag(tt.size, fileModTime)
		res, _ := fileExchange(t, s, "GET /"+tt.path+" HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
		full := codedFileWant{200, map[string]string{"Vary": tt.want.fields["Vary"], "Accept-Ranges": tt.want.fields["Accept-Ranges"]}}
		checkCodedFile(t, tt.path+" 200", res, full)
		res, _ = fileExchange(t, s, "GET /"+tt.path+" HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: "+etag+"\r\n\r\n")
		checkCodedFile(t, tt.path+" 304", res, tt.want)
	}
}

// writeFileAt writes content to dir/name with fileModTime.
func writeFileAt(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fileModTime, fileModTime); err != nil {
		t.Fatal(err)
	}
}
