// Package tinyhttptest builds tinyhttp requests without a network and
// records the answers given to them, so that handlers can be unit-tested,
// like net/http/httptest and tiny-http's TestRequest.
//
//	tr := tinyhttptest.NewRequest(tinyhttp.MethodPost, "/echo", strings.NewReader("hi"))
//	handler(tr.Request())
//	if tr.StatusCode() != 200 || string(tr.Body()) != "hi" { ... }
package tinyhttptest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/testhook"
)

// TestRequest is a request under construction and, once answered, the answer.
// Configure it with the With* methods, then call Request.
type TestRequest struct {
	spec testhook.Spec
	req  *tinyhttp.Request

	mu       sync.Mutex
	resp     *tinyhttp.Response
	wire     []byte
	wireErr  error
	raw      *bytes.Buffer // IntoWriter output
	answered bool
}

// NewRequest starts a test request: HTTP/1.1, "Host: example.com", from
// 127.0.0.1:12345, with body (nil: none).
func NewRequest(method tinyhttp.Method, target string, body io.Reader) *TestRequest {
	tr := &TestRequest{}
	tr.spec = testhook.Spec{
		Method: string(method), Target: target, Major: 1, Minor: 1,
		Headers: [][2]string{{"Host", "example.com"}},
		Body:    body, BodyLen: -1,
		Remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 12345},
	}
	if body == nil {
		tr.spec.BodyLen = 0
	}
	if l, ok := body.(interface{ Len() int }); ok {
		tr.spec.BodyLen = int64(l.Len())
	}
	tr.spec.Sink = sink{tr}
	return tr
}

// WithHeader adds a request header field.
func (tr *TestRequest) WithHeader(name, value string) *TestRequest {
	tr.spec.Headers = append(tr.spec.Headers, [2]string{name, value})
	return tr
}

// WithoutHeader removes every field of that name, Host included.
func (tr *TestRequest) WithoutHeader(name string) *TestRequest {
	kept := tr.spec.Headers[:0]
	for _, kv := range tr.spec.Headers {
		if !strings.EqualFold(kv[0], name) {
			kept = append(kept, kv)
		}
	}
	tr.spec.Headers = kept
	return tr
}

// WithHTTPVersion sets the request's protocol version.
func (tr *TestRequest) WithHTTPVersion(v tinyhttp.HTTPVersion) *TestRequest {
	tr.spec.Major, tr.spec.Minor = v.Major, v.Minor
	return tr
}

// WithRemoteAddr sets the client address (nil, as on a Unix socket).
func (tr *TestRequest) WithRemoteAddr(a net.Addr) *TestRequest {
	tr.spec.Remote = a
	return tr
}

// WithSecure marks the request as arrived over TLS.
func (tr *TestRequest) WithSecure(secure bool) *TestRequest {
	tr.spec.Secure = secure
	return tr
}

// WithBodyLength sets the body length the request reports (negative: unknown).
func (tr *TestRequest) WithBodyLength(n int64) *TestRequest {
	tr.spec.BodyLen = n
	return tr
}

// Request builds the *tinyhttp.Request (once; later calls return the same one).
func (tr *TestRequest) Request() *tinyhttp.Request {
	if tr.req == nil {
		tr.req = testhook.NewRequest(tr.spec).(*tinyhttp.Request)
	}
	return tr.req
}

// Answered reports whether the request was answered.
func (tr *TestRequest) Answered() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.answered
}

// Response returns the Response the request was answered with, or nil.
func (tr *TestRequest) Response() *tinyhttp.Response {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.resp
}

// StatusCode returns the answer's status code, or 0 if there is none.
func (tr *TestRequest) StatusCode() tinyhttp.StatusCode {
	if r := tr.Response(); r != nil {
		return r.StatusCode()
	}
	return 0
}

// Wire returns the answer exactly as the server would have written it to
// this request's connection (with Date, Server and framing fields), or the
// raw bytes written through IntoWriter. The response body is read on the
// first call.
func (tr *TestRequest) Wire() ([]byte, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.raw != nil {
		return tr.raw.Bytes(), nil
	}
	if tr.resp == nil {
		return nil, errors.New("tinyhttptest: request not answered")
	}
	if tr.wire == nil && tr.wireErr == nil {
		tr.wire, tr.wireErr = testhook.Render(tr.resp, tr.spec.Method, tr.spec.Major, tr.spec.Minor)
	}
	return tr.wire, tr.wireErr
}

// Result parses Wire as a client would, with net/http.
func (tr *TestRequest) Result() (*http.Response, error) {
	wire, err := tr.Wire()
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequest(tr.spec.Method, "http://example.com/", nil)
	return http.ReadResponse(bufio.NewReader(bytes.NewReader(wire)), req)
}

// Body returns the response body as a client would read it (after
// de-chunking); nil if the request is unanswered or the body fails.
func (tr *TestRequest) Body() []byte {
	res, err := tr.Result()
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil
	}
	return b
}

// Header returns the first value of a response header field, among those the
// application set.
func (tr *TestRequest) Header(name string) (string, bool) {
	r := tr.Response()
	if r == nil {
		return "", false
	}
	for _, h := range r.Headers() {
		if h.Field.Equal(name) {
			return h.Value, true
		}
	}
	return "", false
}

// sink records the answer.
type sink struct{ tr *TestRequest }

func (s sink) Respond(v any) error {
	s.tr.mu.Lock()
	defer s.tr.mu.Unlock()
	s.tr.resp, s.tr.answered = v.(*tinyhttp.Response), true
	return nil
}

func (s sink) IntoWriter() (io.WriteCloser, error) {
	s.tr.mu.Lock()
	defer s.tr.mu.Unlock()
	s.tr.raw, s.tr.answered = &bytes.Buffer{}, true
	return nopCloser{s.tr.raw}, nil
}

func (s sink) Upgrade(string, any) (net.Conn, error) {
	return nil, errors.New("tinyhttptest: Upgrade needs a real connection; test it over a socket")
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
