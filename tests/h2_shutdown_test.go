package tests

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client is a raw HTTP/2 client connection: the frames are the test's.
type h2Client struct {
	t  *testing.T
	c  *wiretest.Client
	fr *http2.Framer
}

// dialH2C opens an h2c connection with prior knowledge and exchanges
// SETTINGS.
func dialH2C(t *testing.T, s *server) *h2Client {
	t.Helper()
	c := s.dial()
	c.Conn.SetDeadline(time.Now().Add(wiretest.Timeout)) // a hang fails
	c.Send(http2.ClientPreface)
	h := &h2Client{t: t, c: c, fr: http2.NewFramer(c.Conn, c.R)}
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return h
}

// get opens stream id with a GET of path.
func (h *h2Client) get(id uint32, path string) {
	h.t.Helper()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "t"}, {":path", path}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		h.t.Fatal(err)
	}
}

// next reads frames, acknowledging SETTINGS and skipping WINDOW_UPDATE
// and PING, and returns the next other one (nil at the end of the
// connection).
func (h *h2Client) next() http2.Frame {
	h.t.Helper()
	for {
		f, err := h.fr.ReadFrame()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			h.t.Fatalf("reading a frame: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				h.fr.WriteSettingsAck()
			}
		case *http2.WindowUpdateFrame, *http2.PingFrame:
		default:
			return f
		}
	}
}

// TestHTTP2ShutdownGoAway: Shutdown sends GOAWAY naming the last stream
// the server took, lets that stream finish, refuses newer ones, and closes
// the connection once it is done.
func TestHTTP2ShutdownGoAway(t *testing.T) {
	s := newServerConfig(t, tinyhttp.ServerConfig{H2C: true})
	h := dialH2C(t, s)
	h.get(1, "/slow")
	r := s.recv() // stream 1 is in flight

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wiretest.Timeout)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	ga, ok := h.next().(*http2.GoAwayFrame)
	if !ok {
		t.Fatal("the first frame after Shutdown is not GOAWAY")
	}
	if ga.ErrCode != http2.ErrCodeNo || ga.LastStreamID != 1 {
		t.Errorf("GOAWAY %v, last stream %d; want NO_ERROR, 1", ga.ErrCode, ga.LastStreamID)
	}
	// A stream opened after GOAWAY is not served.
	h.get(3, "/late")
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with stream 1 unanswered", err)
	default:
	}
	if err := r.Respond(tinyhttp.FromString("finished")); err != nil {
		t.Fatalf("Respond on stream 1 during Shutdown: %v", err)
	}
	var body []byte
	var status string
	for ended := false; !ended; {
		switch f := h.next().(type) {
		case nil:
			t.Fatalf("connection closed before stream 1 ended (status %q, body %q)", status, body)
		case *http2.HeadersFrame:
			if f.StreamID == 3 {
				t.Fatal("stream 3, opened after GOAWAY, was answered")
			}
			fields, err := hpack.NewDecoder(4096, nil).DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			for _, hf := range fields {
				if hf.Name == ":status" {
					status = hf.Value
				}
			}
			ended = f.StreamEnded()
		case *http2.DataFrame:
			if f.StreamID == 1 {
				body = append(body, f.Data()...)
				ended = f.StreamEnded()
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == 1 {
				t.Fatalf("stream 1 reset: %v", f.ErrCode)
			}
		case *http2.GoAwayFrame: // x/net may send a second, final GOAWAY
		}
	}
	if status != "200" || string(body) != "finished" {
		t.Errorf("stream 1: status %q, body %q; want 200 \"finished\"", status, body)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(wiretest.Timeout):
		t.Fatal("Shutdown did not return after the last stream ended")
	}
	if r, err := s.TryRecv(); r != nil {
		t.Errorf("stream 3 (%s) reached the application after GOAWAY (err %v)", r.URL(), err)
	}
}
