package tinyhttp

// Tests of the sequencer (pipeline.go) and of the connection's concurrency
// contract (conn.go): the slot ring on its own, then one connection's
// responses answered from many goroutines at once, in every order, with
// every kind of body, under -race.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// TestSequencerRing: slots keep their requests through growth of the ring,
// and a slot is gone once its response is written.
func TestSequencerRing(t *testing.T) {
	var q sequencer
	var reqs []*Request
	for i := range 3 * initialSlots {
		r := &Request{}
		reqs = append(reqs, r)
		if id := q.file(r, exchange{version: HTTPVersion{1, 1}}, 7); id != uint64(i) {
			t.Fatalf("file gave id %d, want %d", id, i)
		}
	}
	if q.outstanding() != 3*initialSlots || q.idle() {
		t.Fatalf("outstanding %d, idle %v", q.outstanding(), q.idle())
	}
	for i, r := range reqs {
		s := q.lookup(uint64(i))
		if s == nil || s.req != r || s.state != slotPending || s.gen != 7 {
			t.Fatalf("slot %d lost its request after growth: %+v", i, s)
		}
	}
	for i := range reqs {
		if q.head() != q.lookup(uint64(i)) || q.headReady() {
			t.Fatalf("head is not slot %d, or ready while pending", i)
		}
		q.advance()
		if q.lookup(uint64(i)) != nil {
			t.Fatalf("slot %d still there once written", i)
		}
	}
	if !q.idle() || q.head() != nil {
		t.Fatalf("not idle after every response")
	}
	// Filed after a full turn of the ring: the ring does not grow again.
	size := len(q.slots)
	for range size {
		q.file(nil, exchange{}, 0)
	}
	if len(q.slots) != size {
		t.Errorf("ring grew from %d to %d slots for as many outstanding requests", size, len(q.slots))
	}
}

// TestConcurrentAnswersLeaveInOrder: 48 pipelined requests on one
// connection, answered by as many goroutines in random order with bodies of
// every kind (strings, bytes, readers of known and unknown length, slow
// readers, 100 KiB bodies), leave in request order with their own bodies.
func TestConcurrentAnswersLeaveInOrder(t *testing.T) {
	const n = 48
	ts := startWireServer(t, ServerConfig{MaxPipelined: n}, nil)
	c := ts.dial(t)
	var raw strings.Builder
	for i := range n {
		fmt.Fprintf(&raw, "GET /%d HTTP/1.1\r\nHost: a\r\n\r\n", i)
	}
	c.Send(raw.String())
	reqs := make([]*Request, n)
	for i := range reqs {
		reqs[i] = ts.recv(t)
	}
	var wg sync.WaitGroup
	for _, i := range rand.Perm(n) {
		wg.Go(func() {
			if err := reqs[i].Respond(concurrentBody(i)); err != nil {
				t.Errorf("Respond(%d): %v", i, err)
			}
		})
	}
	for i := range n {
		resp := c.ReadResponse(false)
		if want := concurrentText(i); string(resp.Body) != want {
			t.Fatalf("response %d: body of %d bytes %q..., want %d bytes for /%d", i, len(resp.Body), wiretest.Truncate(string(resp.Body)), len(want), i)
		}
	}
	wiretest.Within(t, wiretest.Timeout, "the answering goroutines", wg.Wait)
}

// concurrentText is the body of the answer to /i.
func concurrentText(i int) string {
	if i%7 == 3 {
		return strings.Repeat(fmt.Sprintf("big %d;", i), 100<<10/8)
	}
	return fmt.Sprintf("response %d", i)
}

// concurrentBody answers /i with a body kind that depends on i.
func concurrentBody(i int) *Response {
	text := concurrentText(i)
	switch i % 6 {
	case 0:
		return FromString(text)
	case 1:
		return FromData([]byte(text))
	case 2:
		return NewResponse(200, nil, strings.NewReader(text), int64(len(text)))
	case 3:
		return NewResponse(200, nil, strings.NewReader(text), -1)
	case 4:
		return NewResponse(200, nil, iotest.OneByteReader(strings.NewReader(text)), -1)
	}
	return NewResponse(200, nil, &sleepyReader{r: strings.NewReader(text)}, int64(len(text)))
}

// sleepyReader is a body that comes slowly: each read waits a little. The
// wait is part of the scenario (a slow producer), not synchronisation.
type sleepyReader struct{ r io.Reader }

func (s *sleepyReader) Read(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	return s.r.Read(p)
}

// TestAnswersRaceClose: answers, raw writers, drops and Close racing on
// the connections of one server end without a panic, a deadlock or a
// leaked goroutine; every answer either succeeds or reports that the
// connection closed.
func TestAnswersRaceClose(t *testing.T) {
	for round := range 10 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			base := wiretest.Goroutines()
			s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
			if err != nil {
				t.Fatal(err)
			}
			var clients sync.WaitGroup
			for range 3 {
				clients.Go(func() { raceClient(s.Addr().String()) })
			}
			var answers sync.WaitGroup
			for k := range 12 {
				// Not every request is read (IntoWriter stops its
				// connection's reading): take what comes within a moment.
				r, _ := s.RecvTimeout(raceRecvWait)
				if r == nil {
					break
				}
				answers.Go(func() { raceAnswer(t, r, k) })
			}
			s.Close()
			if !wiretest.Within(t, wiretest.Timeout, "answers after Close", answers.Wait) || !wiretest.Within(t, wiretest.Timeout, "clients", clients.Wait) {
				return
			}
			wiretest.CheckLeaks(t, base)
		})
	}
}

// raceRecvWait is how long TestAnswersRaceClose waits for one more request
// before it closes the server: the outcome is checked either way.
const raceRecvWait = 100 * time.Millisecond

// raceClient sends pipelined requests, some with bodies, and reads
// whatever comes back until the server closes.
func raceClient(addr string) {
	c, err := net.DialTimeout("tcp", addr, wiretest.Timeout)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wiretest.Timeout))
	io.WriteString(c, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"+
		"POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n"+strings.Repeat("x", 5000)+
		"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"+
		"GET /d HTTP/1.1\r\nHost: a\r\n\r\n")
	io.Copy(io.Discard, bufio.NewReader(c))
}

// raceAnswer answers r in one of several ways, checking the error.
func raceAnswer(t *testing.T, r *Request, k int) {
	var err error
	switch k % 4 {
	case 0:
		err = r.Respond(FromString("ok"))
	case 1:
		io.Copy(io.Discard, r.Body())
		err = r.Respond(NewResponse(200, nil, iotest.HalfReader(strings.NewReader(strings.Repeat("y", 20000))), -1))
	case 2:
		var w io.WriteCloser
		if w, err = r.IntoWriter(); err == nil {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			err = w.Close()
		}
	case 3:
		err = r.Respond(FromData(make([]byte, 70_000))) // not quick: handed to a writer of its own
	}
	if err != nil && !errors.Is(err, ErrConnectionClosed) && !isNetErr(err) {
		t.Errorf("answer %d: %v", k, err)
	}
}

// isNetErr reports a write error of a connection the server closed.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe)
}

// TestRequestStringsStayPut: the strings of a request (target, header
// fields) keep their bytes while later requests on the same connection are
// read into the same arena (storeHead), however many follow.
func TestRequestStringsStayPut(t *testing.T) {
	ts := startWireServer(t, ServerConfig{}, nil)
	c := ts.dial(t)
	type kept struct{ url, name, value string }
	var all []kept
	for batch := range 20 {
		var raw strings.Builder
		for i := range 10 {
			fmt.Fprintf(&raw, "GET /b%d/r%d HTTP/1.1\r\nHost: a\r\nX-Batch: %d-%d\r\n\r\n", batch, i, batch, i)
		}
		c.Send(raw.String())
		for range 10 {
			r := ts.recv(t)
			all = append(all, kept{r.URL(), string(r.Headers()[1].Field), r.Headers()[1].Value})
			if err := r.Respond(FromString("ok")); err != nil {
				t.Fatal(err)
			}
			c.ReadResponse(false)
		}
	}
	for k, got := range all {
		batch, i := k/10, k%10
		want := kept{fmt.Sprintf("/b%d/r%d", batch, i), "X-Batch", fmt.Sprintf("%d-%d", batch, i)}
		if got != want {
			t.Fatalf("request %d now reads %+v, want %+v", k, got, want)
		}
	}
}
