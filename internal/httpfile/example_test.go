package httpfile_test

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/httpfile"
)

// A file response answers a request with two ranges.
func ExampleEvaluate() {
	file := strings.NewReader("0123456789") // an *os.File in real use
	size := int64(file.Len())
	modTime := time.Date(2024, time.March, 5, 6, 7, 8, 0, time.UTC)
	etag := httpfile.ETag(size, modTime)

	d := httpfile.Evaluate("GET", httpfile.Conditions{Range: "bytes=0-1,-2", IfRange: etag}, etag, modTime, size)
	fmt.Println(d.Status, d.Multipart(), d.Ranges())

	body, err := httpfile.NewMultipartBody(file, size, "text/plain", d.Ranges(), "BOUNDARY")
	if err != nil {
		panic(err)
	}
	fmt.Println("Content-Type:", body.ContentType())
	fmt.Println("Content-Length:", body.Len())
	b, _ := io.ReadAll(body)
	fmt.Print(strings.ReplaceAll(string(b), "\r\n", "\n"))
	// Output:
	// 206 true [{0 1} {8 9}]
	// Content-Type: multipart/byteranges; boundary=BOUNDARY
	// Content-Length: 160
	// --BOUNDARY
	// Content-Type: text/plain
	// Content-Range: bytes 0-1/10
	//
	// 01
	// --BOUNDARY
	// Content-Type: text/plain
	// Content-Range: bytes 8-9/10
	//
	// 89
	// --BOUNDARY--
}

// A conditional GET of an unchanged file, and a single range.
func ExampleDecision_ContentRange() {
	modTime := time.Date(2024, time.March, 5, 6, 7, 8, 0, time.UTC)
	etag := httpfile.ETag(10, modTime)

	d := httpfile.Evaluate("GET", httpfile.Conditions{IfNoneMatch: etag}, etag, modTime, 10)
	fmt.Println(d.Status)

	d = httpfile.Evaluate("GET", httpfile.Conditions{IfModifiedSince: httpfile.FormatHTTPDate(modTime)}, etag, modTime, 10)
	fmt.Println(d.Status)

	d = httpfile.Evaluate("GET", httpfile.Conditions{Range: "bytes=7-"}, etag, modTime, 10)
	fmt.Println(d.Status, d.ContentRange())

	d = httpfile.Evaluate("GET", httpfile.Conditions{Range: "bytes=20-30"}, etag, modTime, 10)
	fmt.Println(d.Status, d.ContentRange())
	// Output:
	// 304
	// 304
	// 206 bytes 7-9/10
	// 416 bytes */10
}

func ExampleContentType() {
	fmt.Println(httpfile.ContentType("static/app.JS", nil))
	fmt.Println(httpfile.ContentType("LICENSE", func() []byte { return []byte("Copyright ...") }))
	// Output:
	// text/javascript; charset=utf-8
	// text/plain; charset=utf-8
}
