package httpfile

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"
)

// Fixtures: the 10-byte resource of CONFORMANCE.md §4 and a 1000-byte one.
var (
	ten      = []byte("0123456789")
	thousand = func() []byte {
		b := make([]byte, 1000)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return b
	}()
	// modTime has a sub-second part, to check that dates compare at one-second resolution.
	modTime = time.Date(2024, time.March, 5, 6, 7, 8, 900_000_000, time.UTC)
	// lastModified is the Last-Modified value sent for modTime.
	lastModified = "Tue, 05 Mar 2024 06:07:08 GMT"
)

const textPlain = "text/plain; charset=utf-8"

// response is what a caller of the package sends: the status, the fields that depend on the
// decision, and the body (nil for HEAD and for statuses without a representation).
type response struct {
	status       int
	contentRange string
	contentType  string
	length       int64
	body         []byte
}

// respond plays the caller (the main package): it evaluates the request and builds the response
// for content the way the package documentation says to.
func respond(t testing.TB, method string, c Conditions, content []byte, ctype string) (response, Decision) {
	t.Helper()
	size := int64(len(content))
	d := Evaluate(method, c, ETag(size, modTime), modTime, size)
	resp := response{status: d.Status, contentRange: d.ContentRange(), contentType: ctype}
	switch {
	case d.Status == 206 && d.Multipart():
		mb, err := NewMultipartBody(bytes.NewReader(content), size, ctype, d.Ranges(), NewBoundary())
		if err != nil {
			t.Fatalf("NewMultipartBody: %v", err)
		}
		resp.contentType = mb.ContentType()
		resp.length = mb.Len()
		if method != "HEAD" {
			body, err := io.ReadAll(mb)
			if err != nil {
				t.Fatalf("reading multipart body: %v", err)
			}
			if int64(len(body)) != mb.Len() {
				t.Fatalf("multipart body has %d bytes, Len says %d", len(body), mb.Len())
			}
			resp.body = body
		}
	case d.Status == 206:
		r := d.Ranges()[0]
		resp.length = r.Length()
		if method != "HEAD" {
			resp.body = content[r.First : r.Last+1]
		}
	case d.Status == 200:
		resp.length = size
		if method != "HEAD" {
			resp.body = content
		}
	default:
		resp.contentType = ""
	}
	return resp, d
}

// part is one part of a multipart/byteranges body.
type part struct {
	contentType, contentRange, data string
}

// parseParts parses a multipart/byteranges body with mime/multipart, independently of our writer.
func parseParts(t testing.TB, contentType string, body []byte) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/byteranges" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q: not multipart/byteranges with a boundary (%v)", contentType, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("multipart part: %v", err)
		}
		parts = append(parts, part{p.Header.Get("Content-Type"), p.Header.Get("Content-Range"), string(data)})
	}
}

func (p part) String() string {
	return fmt.Sprintf("{%s | %s | %q}", p.contentType, p.contentRange, p.data)
}

func partsString(ps []part) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
	}
	return b.String()
}
