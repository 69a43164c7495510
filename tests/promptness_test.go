package tests

// Tests from tiny_http 0.12, tests/promptness.rs.
//
// tiny-http bounds these with 200 ms timeouts. Here the bound is wiretest.Timeout
// (5 s): a server that waits for a slow body (100 s to produce) before doing
// what the test expects fails, while a merely slow machine does not. No test
// measures speed.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// slowByteInterval and slowByteStep make slowByteSrc produce 1000 bytes every
// 100 ms, like promptness.rs SlowByteSrc.
const (
	slowByteInterval = 100 * time.Millisecond
	slowByteStep     = 1000
)

// slowByteLen is the length of the slow bodies: 1,000,000 bytes, 100 s at
// slowByteSrc's pace, far beyond wiretest.Timeout.
const slowByteLen = 1_000_000

// errStopped is what a slowByteSrc returns once its test has ended.
var errStopped = errors.New("slow source stopped: the test ended")

// slowByteSrc is promptness.rs SlowByteSrc: a reader that produces len bytes
// of val very slowly. It gives up with errStopped once stop is closed, so
// that nothing outlives the test.
type slowByteSrc struct {
	val  byte
	len  int
	stop <-chan struct{}
}

// Read waits slowByteInterval, then produces up to slowByteStep bytes.
func (s *slowByteSrc) Read(p []byte) (int, error) {
	select {
	case <-time.After(slowByteInterval):
	case <-s.stop:
		return 0, errStopped
	}
	if s.len == 0 {
		return 0, io.EOF
	}
	n := min(s.len, len(p), slowByteStep)
	for i := range n {
		p[i] = s.val
	}
	s.len -= n
	return n, nil
}

// stopOnCleanup returns a channel closed when the test ends, before the
// server is closed (cleanups run last-registered first).
func stopOnCleanup(t *testing.T) <-chan struct{} {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return stop
}

// encodeChunked is promptness.rs encode_chunked: it copies data to output
// with the chunked transfer coding, one chunk per read, ending with the
// zero-size chunk.
func encodeChunked(data io.Reader, output io.Writer) error {
	buf := make([]byte, 4096)
	for {
		l, err := data.Read(buf)
		if err != nil && err != io.EOF {
			return err
		}
		if _, werr := fmt.Fprintf(output, "%X\r\n%s\r\n", l, buf[:l]); werr != nil {
			return werr
		}
		if l == 0 {
			return nil
		}
	}
}

// assertRequestsParsedPromptly is promptness.rs
// prompt_pipelining::assert_requests_parsed_promptly: reqCnt pipelined
// requests, each with body reqBody, must all be received while the response
// to the first is still being sent (very slowly). writeRequests writes them.
func assertRequestsParsedPromptly(t *testing.T, reqCnt int, reqBody []byte, writeRequests func(io.Writer) error) {
	stop := stopOnCleanup(t)
	s := newServer(t)
	c := s.dial()

	finished := make(chan struct{})
	s.goroutine(func() {
		for i := range reqCnt {
			r, err := s.RecvTimeout(wiretest.Timeout)
			if err != nil || r == nil {
				t.Errorf("request %d: RecvTimeout = %v, %v", i+1, r, err)
				return
			}
			// Read the whole body of the request.
			body, err := io.ReadAll(r.Body())
			if err != nil {
				t.Errorf("request %d: reading body: %v", i+1, err)
				return
			}
			if !bytes.Equal(body, reqBody) {
				t.Errorf("request %d: body of %d bytes, want %d", i+1, len(body), len(reqBody))
			}
			// The next pipelined request should now be available for
			// parsing, while the (possibly slow) response is sent by
			// another goroutine.
			s.goroutine(func() {
				src := &slowByteSrc{val: 42, len: slowByteLen, stop: stop}
				r.Respond(tinyhttp.Empty(200).WithData(src, slowByteLen))
			})
		}
		close(finished)
	})

	s.goroutine(func() {
		c.Conn.SetWriteDeadline(time.Now().Add(wiretest.Timeout))
		if err := writeRequests(c.Conn); err != nil {
			t.Errorf("writing requests: %v", err)
		}
	})

	// The requests must be sent and received before wiretest.Timeout expires.
	select {
	case <-finished:
	case <-time.After(wiretest.Timeout):
		t.Errorf("server did not finish reading %d pipelined requests within %v", reqCnt, wiretest.Timeout)
	}
}

// pipelinedHead is the head of each request of the prompt_pipelining tests.
//
// Adjusted: Host added (CONFORMANCE H01); the Rust requests have none, which
// tinyhttp answers with 400 and a close.
const pipelinedHead = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"

// TestPromptPipelining_Empty is promptness.rs prompt_pipelining::empty.
func TestPromptPipelining_Empty(t *testing.T) {
	assertRequestsParsedPromptly(t, 5, nil, func(w io.Writer) error {
		for range 5 {
			if _, err := io.WriteString(w, pipelinedHead+"\r\n"); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestPromptPipelining_ContentLengthShort is promptness.rs
// prompt_pipelining::content_length_short: a 100-byte body, short but not
// trivial (read before the request is queued).
func TestPromptPipelining_ContentLengthShort(t *testing.T) {
	body := bytes.Repeat([]byte{65}, 100)
	assertRequestsParsedPromptly(t, 5, body, func(w io.Writer) error {
		for range 5 {
			if _, err := fmt.Fprintf(w, "%sContent-Length: %d\r\n\r\n%s", pipelinedHead, len(body), body); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestPromptPipelining_ContentLengthLong is promptness.rs
// prompt_pipelining::content_length_long: a 10000-byte body, long enough
// that it is streamed, not read before the request is queued.
func TestPromptPipelining_ContentLengthLong(t *testing.T) {
	body := bytes.Repeat([]byte{65}, 10000)
	assertRequestsParsedPromptly(t, 5, body, func(w io.Writer) error {
		for range 5 {
			if _, err := fmt.Fprintf(w, "%sContent-Length: %d\r\n\r\n%s", pipelinedHead, len(body), body); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestPromptPipelining_Chunked is promptness.rs prompt_pipelining::chunked:
// a 10000-byte chunked body.
func TestPromptPipelining_Chunked(t *testing.T) {
	body := bytes.Repeat([]byte{65}, 10000)
	assertRequestsParsedPromptly(t, 5, body, func(w io.Writer) error {
		for range 5 {
			if _, err := io.WriteString(w, pipelinedHead+"Transfer-Encoding: chunked\r\n\r\n"); err != nil {
				return err
			}
			if err := encodeChunked(bytes.NewReader(body), w); err != nil {
				return err
			}
		}
		return nil
	})
}

// assertRespondsPromptly is promptness.rs
// prompt_responses::assert_responds_promptly: the application answers at
// once without reading the request body, which the client writes very
// slowly; the response must arrive without waiting for the body.
//
// Adjusted: the application's 400 carries an X-Handler field, and the test
// checks for it, so that an automatic 400 from the server (for a malformed
// request) cannot pass for the application's answer.
func assertRespondsPromptly(t *testing.T, writeRequest func(io.Writer, <-chan struct{}) error) {
	stop := stopOnCleanup(t)
	s := newServer(t)
	s.serve(1, func(r *tinyhttp.Request) {
		// The server attempts to respond immediately.
		r.Respond(tinyhttp.Empty(400).WithHeader(tinyhttp.Header{Field: "X-Handler", Value: "yes"}))
	})
	c := s.dial()

	// The request is written, possibly very slowly, by another goroutine.
	s.goroutine(func() {
		err := writeRequest(c.Conn, stop)
		var ne net.Error
		switch {
		case err == nil, errors.Is(err, errStopped), errors.Is(err, net.ErrClosed), wiretest.IsReset(err):
		case errors.As(err, &ne) && ne.Timeout():
		default:
			t.Errorf("writing the request: %v", err)
		}
	})

	// The response should arrive before wiretest.Timeout expires.
	resp, err := c.TryReadResponse(false)
	c.Close()
	if err != nil {
		t.Fatalf("the response was not sent promptly: %v", err)
	}
	if resp.Status != 400 {
		t.Errorf("response:\n%v\nwant the application's 400", resp)
	}
	if v, _ := resp.Get("X-Handler"); v != "yes" {
		t.Errorf("response without X-Handler: the application did not answer:\n%v", resp)
	}
}

// writeSlowly writes head, then a slow body of slowByteLen bytes (chunked
// when chunked is set), until the body ends, a write fails or stop is closed.
func writeSlowly(w io.Writer, stop <-chan struct{}, head string, chunked bool) error {
	if conn, ok := w.(net.Conn); ok {
		// Generous: the test ends (and closes the connection) long before.
		conn.SetWriteDeadline(time.Now().Add(10 * wiretest.Timeout))
	}
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	src := &slowByteSrc{val: 65, len: slowByteLen, stop: stop}
	if chunked {
		return encodeChunked(src, w)
	}
	_, err := io.Copy(w, src)
	return err
}

// TestPromptResponses_ContentLengthHTTP11 is promptness.rs
// prompt_responses::content_length_http11.
//
// Adjusted: Host added (CONFORMANCE H01).
func TestPromptResponses_ContentLengthHTTP11(t *testing.T) {
	assertRespondsPromptly(t, func(w io.Writer, stop <-chan struct{}) error {
		return writeSlowly(w, stop, fmt.Sprintf("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n", slowByteLen), false)
	})
}

// TestPromptResponses_ContentLengthHTTP10 is promptness.rs
// prompt_responses::content_length_http10.
func TestPromptResponses_ContentLengthHTTP10(t *testing.T) {
	assertRespondsPromptly(t, func(w io.Writer, stop <-chan struct{}) error {
		return writeSlowly(w, stop, fmt.Sprintf("GET / HTTP/1.0\r\nContent-Length: %d\r\n\r\n", slowByteLen), false)
	})
}

// TestPromptResponses_ExpectContinue is promptness.rs
// prompt_responses::expect_continue.
//
// Adjusted: the Rust test sends "Expect: 100 continue" (a space, not a
// hyphen), which is not the 100-continue expectation; tinyhttp answers an
// unknown expectation with 417 itself (CONFORMANCE C10), so the application
// would never see the request. The test sends "100-continue", which is what
// it is about: a client that sends its body without waiting for
// "100 Continue". Host added (CONFORMANCE H01). The literal Rust bytes are
// kept in TestPromptResponses_ExpectContinueLiteral.
func TestPromptResponses_ExpectContinue(t *testing.T) {
	assertRespondsPromptly(t, func(w io.Writer, stop <-chan struct{}) error {
		return writeSlowly(w, stop, fmt.Sprintf("GET / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", slowByteLen), false)
	})
}

// TestPromptResponses_ExpectContinueLiteral sends the literal request of
// promptness.rs prompt_responses::expect_continue ("Expect: 100 continue",
// Host added): the server answers 417 at once, without waiting for the
// body (CONFORMANCE C10).
func TestPromptResponses_ExpectContinueLiteral(t *testing.T) {
	stop := stopOnCleanup(t)
	s := newServer(t)
	s.serve(1, func(r *tinyhttp.Request) {
		t.Errorf("the application got a request with an unknown expectation")
		r.Respond(tinyhttp.Empty(400))
	})
	c := s.dial()
	s.goroutine(func() {
		writeSlowly(c.Conn, stop, fmt.Sprintf("GET / HTTP/1.1\r\nHost: localhost\r\nExpect: 100 continue\r\nContent-Length: %d\r\n\r\n", slowByteLen), false)
	})
	resp := c.ReadResponse(false)
	c.Close()
	if resp.Status != 417 {
		t.Errorf("response:\n%v\nwant 417", resp)
	}
	if !strings.HasPrefix(resp.Proto, "HTTP/1.1") {
		t.Errorf("status line protocol %q, want HTTP/1.1", resp.Proto)
	}
}

// TestPromptResponses_Chunked is promptness.rs prompt_responses::chunked.
//
// Adjusted: Host added (CONFORMANCE H01).
func TestPromptResponses_Chunked(t *testing.T) {
	assertRespondsPromptly(t, func(w io.Writer, stop <-chan struct{}) error {
		return writeSlowly(w, stop, "GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", true)
	})
}
