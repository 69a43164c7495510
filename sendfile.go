package tinyhttp

// The socket side of writing: a writer that renews the connection's write
// deadline as it makes progress and hands file bodies to the connection's
// ReadFrom, which sends them with sendfile on plain TCP.

import (
	"io"
	"net"
	"time"
)

// deadlineWriter writes to a connection with a write deadline renewed before
// its writes: a client that stops reading is cut off after timeout without
// progress. Only the goroutine holding the write turn uses it.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
	expires time.Time    // the deadline last set
	fresh   time.Time    // a clock reading the next renew may use instead of reading the clock
	pinned  bool         // the application set the deadline (pin): no renewal until unpin
	stats   *serverStats // counts the bytes written
}

// pin sets the write deadline to t (zero: none) and stops renewals, for a
// streamed response whose handler set its own deadline
// (http.ResponseController.SetWriteDeadline).
func (w *deadlineWriter) pin(t time.Time) {
	w.pinned = true
	w.conn.SetWriteDeadline(t)
}

// unpin lets the write timeout govern again, from the next write.
func (w *deadlineWriter) unpin() {
	w.pinned = false
	w.expires = time.Time{} // the next renew sets the deadline
}

// writeChunkForDeadline bounds each ReadFrom step, so that the write timeout
// measures progress, not the length of a whole file transfer.
const writeChunkForDeadline = 4 << 20

// renew pushes the deadline back to timeout from now. A deadline set less
// than renewSlack of the timeout ago is kept: under load that spares a timer
// update per response, and a stalled client is still cut off between
// (1-renewSlack)×timeout and timeout after its last progress.
func (w *deadlineWriter) renew() {
	if w.timeout <= 0 || w.pinned {
		return
	}
	now := w.fresh
	if now.IsZero() {
		now = time.Now()
	}
	w.fresh = time.Time{} // good for one renewal: a long transfer reads the clock
	target := now.Add(w.timeout)
	if target.Sub(w.expires) < w.timeout/renewSlack {
		return
	}
	w.expires = target
	w.conn.SetWriteDeadline(target)
}

// renewSlack: a deadline is renewed once a quarter of its timeout has passed.
const renewSlack = 4

// Write renews the deadline and writes p.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.renew()
	n, err := w.conn.Write(p)
	w.stats.bytesOut.Add(uint64(n))
	return n, err
}

// ReadFrom lets a file body go out through the connection's ReadFrom
// (sendfile on plain TCP), in steps that each renew the deadline.
func (w *deadlineWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := w.conn.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, r)
	}
	var total int64
	for {
		w.renew()
		lr := &io.LimitedReader{R: r, N: writeChunkForDeadline}
		if outer, ok := r.(*io.LimitedReader); ok {
			if outer.N <= 0 {
				return total, nil
			}
			lr = &io.LimitedReader{R: outer.R, N: min(outer.N, writeChunkForDeadline)}
			n, err := rf.ReadFrom(lr)
			w.stats.bytesOut.Add(uint64(n))
			outer.N -= n
			total += n
			if err != nil || n == 0 {
				return total, err
			}
			continue
		}
		n, err := rf.ReadFrom(lr)
		w.stats.bytesOut.Add(uint64(n))
		total += n
		if err != nil || n < writeChunkForDeadline {
			return total, err
		}
	}
}

// writerOnly hides ReadFrom, to stop io.Copy from recursing.
type writerOnly struct{ io.Writer }
