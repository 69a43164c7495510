package tinyhttp

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
	"github.com/google/go-cmp/cmp"
)

// stateRecorder records ConnState calls per connection.
type stateRecorder struct {
	mu     sync.Mutex
	states map[net.Conn][]ConnState
	order  []net.Conn
	change chan struct{}
}

func newStateRecorder() *stateRecorder {
	return &stateRecorder{states: make(map[net.Conn][]ConnState), change: make(chan struct{}, 1000)}
}

func (s *stateRecorder) hook(c net.Conn, st ConnState) {
	s.mu.Lock()
	if _, ok := s.states[c]; !ok {
		s.order = append(s.order, c)
	}
	s.states[c] = append(s.states[c], st)
	s.mu.Unlock()
	s.change <- struct{}{}
}

// waitFor waits until the first connection's states end with last, and
// returns them.
func (s *stateRecorder) waitFor(t *testing.T, last ConnState) []ConnState {
	t.Helper()
	deadline := time.After(wiretest.Timeout)
	for {
		s.mu.Lock()
		var got []ConnState
		if len(s.order) > 0 {
			got = append(got, s.states[s.order[0]]...)
		}
		s.mu.Unlock()
		if len(got) > 0 && got[len(got)-1] == last {
			return got
		}
		select {
		case <-s.change:
		case <-deadline:
			t.Fatalf("states %v never ended with %v", got, last)
		}
	}
}

// TestConnState: the hook sees net/http's states in net/http's order.
func TestConnState(t *testing.T) {
	tests := []struct {
		name  string
		run   func(t *testing.T, ts *wireServer)
		last  ConnState
		want  []ConnState
		upgr  bool
		close bool
	}{
		{"two keep-alive requests", func(t *testing.T, ts *wireServer) {
			c := ts.dial(t)
			c.Send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
			c.ReadResponse(false)
			waitState(t, ts, StateIdle)
			c.Send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
			c.ReadResponse(false)
			waitStateCount(t, ts, StateIdle, 2)
			c.Close()
		}, StateClosed, []ConnState{StateNew, StateActive, StateIdle, StateActive, StateIdle, StateClosed}, false, false},
		{"bad request", func(t *testing.T, ts *wireServer) {
			c := ts.dial(t)
			c.Send("GET / HTTP/1.1\r\nBad Header\r\n\r\n")
			c.ReadResponse(false)
		}, StateClosed, []ConnState{StateNew, StateActive, StateClosed}, false, false},
		{"upgrade", func(t *testing.T, ts *wireServer) {
			c := ts.dial(t)
			c.Invariants = false
			c.Send("GET /up HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n")
			c.ReadResponse(false)
		}, StateHijacked, []ConnState{StateNew, StateActive, StateHijacked}, true, false},
		{"idle connection closed by Close", func(t *testing.T, ts *wireServer) {
			c := ts.dial(t)
			c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
			c.ReadResponse(false)
			waitState(t, ts, StateIdle)
			go ts.srv.Close()
		}, StateClosed, []ConnState{StateNew, StateActive, StateIdle, StateClosed}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newStateRecorder()
			ts := startWireServer(t, ServerConfig{ConnState: rec.hook}, func(_ *wireServer, r *Request) {
				if r.UpgradeRequested() {
					if c, err := r.Upgrade("x", nil); err == nil {
						c.Close()
					}
					return
				}
				r.Respond(FromString("ok"))
			})
			ts.states = rec
			tt.run(t, ts)
			if d := cmp.Diff(tt.want, rec.waitFor(t, tt.last)); d != "" {
				t.Errorf("states (-want +got):\n%s", d)
			}
		})
	}
}

// waitState waits until the first connection has reported state at least once.
func waitState(t *testing.T, ts *wireServer, state ConnState) { waitStateCount(t, ts, state, 1) }

// waitStateCount waits until the first connection has reported state n times.
func waitStateCount(t *testing.T, ts *wireServer, state ConnState, n int) {
	t.Helper()
	rec := ts.states
	deadline := time.After(wiretest.Timeout)
	for {
		rec.mu.Lock()
		count := 0
		if len(rec.order) > 0 {
			for _, s := range rec.states[rec.order[0]] {
				if s == state {
					count++
				}
			}
		}
		rec.mu.Unlock()
		if count >= n {
			return
		}
		select {
		case <-rec.change:
		case <-deadline:
			t.Fatalf("%v reported %d times, want %d", state, count, n)
		}
	}
}

// TestStatsCounters: Stats counts requests, responses by class, bytes and
// the server's own refusals by cause.
func TestStatsCounters(t *testing.T) {
	ts := startWireServer(t, ServerConfig{MaxRequestLine: 64, MaxBodyBytes: 10}, func(_ *wireServer, r *Request) {
		if r.URL() == "/missing" {
			r.Respond(Empty(404))
			return
		}
		r.Respond(FromString("ok"))
	})
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
	c.ReadResponse(false)
	c.ReadResponse(false)
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nBad Header\r\n\r\n",                              // 400
		"GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: a\r\n\r\n", // 414
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n",         // 413
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",                                 // 505
	} {
		bad := ts.dial(t)
		bad.Send(raw)
		bad.ReadResponse(false)
	}
	want := Stats{RequestsReceived: 2, Responses2xx: 1, Responses4xx: 4, Responses5xx: 1,
		Rejected400: 1, Rejected413: 1, Rejected414: 1, Rejected505: 1, ConnectionsAccepted: 5}
	got := ts.srv.Stats()
	if got.BytesRead == 0 || got.BytesWritten == 0 {
		t.Errorf("bytes read %d, written %d", got.BytesRead, got.BytesWritten)
	}
	got.BytesRead, got.BytesWritten, got.ConnectionsOpen, got.ConnectionsIdle, got.WorkersRunning = 0, 0, 0, 0, 0
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Stats (-want +got):\n%s", d)
	}
}

// TestStatsOverload: a connection above MaxConnections counts as a 503.
func TestStatsOverload(t *testing.T) {
	ts := startWireServer(t, ServerConfig{MaxConnections: 1}, func(_ *wireServer, r *Request) { r.Respond(FromString("ok")) })
	c := ts.dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	c.ReadResponse(false)
	extra := ts.dial(t)
	if resp := extra.ReadResponse(false); resp.Status != 503 {
		t.Fatalf("extra connection: %d", resp.Status)
	}
	if got := ts.srv.Stats().Rejected503; got != 1 {
		t.Errorf("Rejected503 = %d, want 1", got)
	}
}

// recordingHandler is a slog.Handler that keeps its records.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r)
	h.mu.Unlock()
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// snapshot returns the records so far.
func (h *recordingHandler) snapshot() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.records...)
}

// attrs returns a record's attributes by key.
func attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	return m
}

// TestLogRecords: a refused request is a Debug record with stable
// attributes; a flood of them is rate-limited; a handler panic is an Error
// record with its stack.
func TestLogRecords(t *testing.T) {
	rh := &recordingHandler{}
	ts := startWireServer(t, ServerConfig{Logger: slog.New(rh)}, func(_ *wireServer, r *Request) {
		if r.URL() == "/panic" {
			r.Handle(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
			return
		}
		r.Respond(FromString("ok"))
	})
	for range 1000 {
		c := ts.dial(t)
		c.Send("GET / HTTP/1.1\r\nBad Header\r\n\r\n")
		c.ReadResponse(false)
		c.Close()
	}
	recs := rh.snapshot()
	if len(recs) == 0 || len(recs) > 2*debugBurst {
		t.Fatalf("%d records for 1,000 bad requests, want between 1 and %d", len(recs), 2*debugBurst)
	}
	a := attrs(recs[0])
	if recs[0].Level != slog.LevelDebug || a["status"] != "400" || !strings.HasPrefix(a["remote"], "127.0.0.1:") || a["err"] == "" {
		t.Errorf("first record: %v %q %v", recs[0].Level, recs[0].Message, a)
	}

	c := ts.dial(t)
	c.Send("GET /panic HTTP/1.1\r\nHost: a\r\n\r\n")
	c.ReadResponse(false)
	deadline := time.Now().Add(wiretest.Timeout)
	for {
		for _, r := range rh.snapshot() {
			if r.Level == slog.LevelError && strings.Contains(r.Message, "panic") {
				if a := attrs(r); a["panic"] != "boom" || a["target"] != "/panic" || !strings.Contains(a["stack"], "goroutine") {
					t.Errorf("panic record: %v", a)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no Error record for the panic")
		}
		time.Sleep(time.Millisecond)
	}
}
