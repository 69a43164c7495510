package tinyhttptest_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/tinyhttptest"
)

// echo is a handler under test: it answers with the request body, upper-cased.
func echo(r *tinyhttp.Request) {
	b, err := io.ReadAll(r.Body())
	if err != nil {
		r.Respond(tinyhttp.Empty(400))
		return
	}
	r.Respond(tinyhttp.FromString(strings.ToUpper(string(b))).
		WithHeader(tinyhttp.Header{Field: "X-Method", Value: string(r.Method())}))
}

func Example() {
	tr := tinyhttptest.NewRequest(tinyhttp.MethodPost, "/echo", strings.NewReader("hello"))
	echo(tr.Request())
	fmt.Println(tr.StatusCode(), string(tr.Body()))
	// Output: 200 OK HELLO
}

func TestRecordsResponse(t *testing.T) {
	tr := tinyhttptest.NewRequest(tinyhttp.MethodPut, "/x", strings.NewReader("abc")).
		WithHeader("X-Test", "1").WithSecure(true)
	req := tr.Request()
	if req.Method() != tinyhttp.MethodPut || req.URL() != "/x" || !req.Secure() {
		t.Fatalf("request: %s %s secure=%v", req.Method(), req.URL(), req.Secure())
	}
	if v, ok := req.Header("x-test"); !ok || v != "1" {
		t.Fatalf("header: %q %v", v, ok)
	}
	if n, ok := req.BodyLength(); !ok || n != 3 {
		t.Fatalf("BodyLength = %d, %v", n, ok)
	}
	if tr.Answered() {
		t.Fatal("answered before the handler ran")
	}
	echo(req)
	if !tr.Answered() || tr.StatusCode() != 200 {
		t.Fatalf("answered=%v status=%d", tr.Answered(), tr.StatusCode())
	}
	if v, _ := tr.Header("X-Method"); v != "PUT" {
		t.Fatalf("X-Method = %q", v)
	}
	if got := string(tr.Body()); got != "ABC" {
		t.Fatalf("body %q", got)
	}
	wire, err := tr.Wire()
	if err != nil || !strings.HasPrefix(string(wire), "HTTP/1.1 200 OK\r\n") || !strings.Contains(string(wire), "Content-Length: 3\r\n") {
		t.Fatalf("wire %q, %v", wire, err)
	}
	if err := req.Respond(tinyhttp.Empty(500)); err != tinyhttp.ErrAlreadyAnswered {
		t.Fatalf("second Respond: %v", err)
	}
}

func TestInvalidHeaderBecomes500(t *testing.T) {
	tr := tinyhttptest.NewRequest(tinyhttp.MethodGet, "/", nil)
	err := tr.Request().Respond(tinyhttp.FromString("x").WithHeader(tinyhttp.Header{Field: "X", Value: "a\r\nb: c"}))
	if err == nil || tr.StatusCode() != 500 {
		t.Fatalf("err=%v status=%d, want an error and 500", err, tr.StatusCode())
	}
}

func TestIntoWriterRecorded(t *testing.T) {
	tr := tinyhttptest.NewRequest(tinyhttp.MethodGet, "/cgi", nil)
	w, err := tr.Request().IntoWriter()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "HTTP/1.1 200 OK\r\n\r\nraw")
	w.Close()
	if wire, _ := tr.Wire(); string(wire) != "HTTP/1.1 200 OK\r\n\r\nraw" {
		t.Fatalf("wire %q", wire)
	}
}

func TestHeadRequestHasNoBody(t *testing.T) {
	tr := tinyhttptest.NewRequest(tinyhttp.MethodHead, "/", nil)
	tr.Request().Respond(tinyhttp.FromString("hello"))
	wire, _ := tr.Wire()
	if !strings.HasSuffix(string(wire), "Content-Length: 5\r\n\r\n") {
		t.Fatalf("HEAD wire %q", wire)
	}
}
