package tinyhttp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/testhook"
)

// This file lets package tinyhttptest build requests without a network.

func init() { testhook.NewRequest = newDetachedRequest }

// newDetachedRequest builds a request whose answer goes to spec.Sink.
func newDetachedRequest(spec testhook.Spec) any {
	r := &Request{answer: sinkAnswerer{spec.Sink, spec.Remote}, secure: spec.Secure}
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
type sinkAnswerer struct {
	sink   testhook.Sink
	remote net.Addr
}

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

func (a sinkAnswerer) remoteAddr() net.Addr { return a.remote }

func (a sinkAnswerer) remoteString() string {
	if a.remote == nil {
		return "@"
	}
	return a.remote.String()
}

func (a sinkAnswerer) logf(msg string) { log.Print(msg) }

func (a sinkAnswerer) logPanic(r *Request, v any) {
	log.Printf("tinyhttp: handler panic on %s %s: %v", r.Method(), r.URL(), v)
}

func (a sinkAnswerer) requestContext(*Request) (context.Context, context.CancelCauseFunc) {
	return context.WithCancelCause(context.Background())
}

func (a sinkAnswerer) tlsState() *tls.ConnectionState { return nil }

// openStream collects the streamed body: the sink gets the whole response
// when the stream ends.
func (a sinkAnswerer) openStream(_ *Request, resp *Response, _ bool) (responseStream, error) {
	if err := resp.validate(); err != nil {
		a.sink.Respond(Empty(StatusInternalServerError))
		return nil, err
	}
	return &sinkStream{sink: a.sink, resp: resp}, nil
}

// informational responses have nowhere to go without a connection.
func (a sinkAnswerer) informational(*Request, *Response) error { return nil }

func (a sinkAnswerer) hijack(*Request, responseStream) (net.Conn, error) {
	return nil, errors.New("tinyhttptest: Hijack needs a real connection; test it over a socket")
}

func (a sinkAnswerer) setBodyReadDeadline(*Request, time.Time) error { return nil }

func (a sinkAnswerer) serveNative(*Request, http.Handler) (bool, error) { return false, nil }

// sinkStream is a responseStream for a detached request.
type sinkStream struct {
	sink  testhook.Sink
	resp  *Response
	body  bytes.Buffer
	ended bool
}

func (s *sinkStream) Write(p []byte) (int, error) { return s.body.Write(p) }

func (s *sinkStream) ReadFrom(src io.Reader) (int64, error) { return s.body.ReadFrom(src) }

func (s *sinkStream) Flush() error { return nil }

func (s *sinkStream) End(trailers []Header, _ bool) error {
	if s.ended {
		return nil
	}
	s.ended = true
	s.resp.closeBody()
	s.resp.setReader(bytes.NewReader(s.body.Bytes()), int64(s.body.Len()))
	return s.sink.Respond(s.resp)
}

func (s *sinkStream) Abort() { s.ended = true }

func (s *sinkStream) SetWriteDeadline(time.Time) error { return nil }

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
