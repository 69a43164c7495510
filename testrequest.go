package tinyhttp

import (
	"bufio"
	"bytes"
	"io"
	"net"

	"github.com/c0c8f223/tinyhttp/internal/testhook"
)

// This file lets package tinyhttptest build requests without a network.

func init() { testhook.NewRequest = newDetachedRequest }

// newDetachedRequest builds a request whose answer goes to spec.Sink.
func newDetachedRequest(spec testhook.Spec) any {
	r := &Request{answer: sinkAnswerer{spec.Sink}, remote: spec.Remote, secure: spec.Secure}
	r.head = requestHead{
		method:  Method(spec.Method),
		target:  spec.Target,
		version: HTTPVersion{Major: spec.Major, Minor: spec.Minor},
	}
	for _, kv := range spec.Headers {
		r.head.headers = append(r.head.headers, Header{Field: HeaderField(kv[0]), Value: kv[1]})
	}
	deriveFraming(&r.head) // best effort: a test request may break the wire rules on purpose
	r.body, r.bodyLen = spec.Body, spec.BodyLen
	if r.body == nil {
		r.body, r.bodyLen = noBody{}, 0
	}
	return r
}

// sinkAnswerer hands a detached request's answer to its sink.
type sinkAnswerer struct{ sink testhook.Sink }

func (a sinkAnswerer) respond(_ *Request, resp *Response) error {
	if err := resp.validate(); err != nil {
		a.sink.Respond(Empty(StatusInternalServerError))
		return err
	}
	return a.sink.Respond(resp)
}

func (a sinkAnswerer) intoWriter(*Request) (io.WriteCloser, error) { return a.sink.IntoWriter() }

func (a sinkAnswerer) upgrade(_ *Request, protocol string, resp *Response) (net.Conn, error) {
	if err := resp.validateHeaders(); err != nil {
		return nil, err
	}
	return a.sink.Upgrade(protocol, resp)
}

func (a sinkAnswerer) trailers(*Request) []Header { return nil }

func (a sinkAnswerer) decodedBodyLimit() int64 { return DefaultMaxDecodedBodyBytes }

// A detached request is never watched for a drop: its test sees the answer,
// or its absence, through the sink.
func (a sinkAnswerer) dropped(uint64)   {}
func (a sinkAnswerer) rewatch(*Request) {}

func init() { testhook.Render = renderResponse }

// renderResponse serializes resp as it would answer a request of the given
// method and version on a keep-alive connection.
func renderResponse(v any, method string, major, minor uint8) ([]byte, error) {
	resp := v.(*Response)
	if err := resp.validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	x := exchange{head: method == string(MethodHead), version: HTTPVersion{major, minor}, keepAlive: true, teChunked: -1}
	if _, err := writeResponse(w, resp, &x, &responsePolicy{server: DefaultServerName}); err != nil {
		return nil, err
	}
	err := w.Flush()
	return buf.Bytes(), err
}
